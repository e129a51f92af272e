// SPDX-License-Identifier: Apache-2.0
// provbench-sim-agent: bench-agent's session with the simulator's TamperingResponder, so a
// simulated device can play an attack on the attestation exchange (replayed quote, wrong nonce,
// unrestricted AK, narrowed PCR selection). Built with the simulator, never shipped on the bench
// image: bench-agent has no such switches. Composition root only.
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <getopt.h>

#include "agent/agent_session.hpp"
#include "agent/facts_collector.hpp"
#include "agent/facts_responder.hpp"
#include "mei/unix_socket_transport.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "sim/tampering_responder.hpp"
#include "sysfs/identity_reader.hpp"

namespace {

constexpr const char* kUsage =
    R"(Usage: provbench-sim-agent --appliance HOST:PORT --pin FILE --tcti TCTI --tamper LIST [options]

bench-agent for simulated devices that misbehave during attestation (test-only).

Options (as bench-agent): --root DIR, --bind ADDR, --timeout-ms N, --event-log PATH,
  --amt-socket PATH, --json
  --tamper LIST   comma-separated: replay_quote, wrong_nonce, ak_unrestricted,
                  narrow_pcr_selection
Exit status: as bench-agent.
)";

bool splitHostPort(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = s.substr(0, colon);
  try {
    unsigned long p = std::stoul(s.substr(colon + 1));
    if (p == 0 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  pb::AgentOptions opt;
  pb::AttestResponderOptions attestOptions;
  std::string appliance, pinFile, root = "/", tamperList, amtSocket;
  bool json = false;
  static const option kLong[] = {{"appliance", required_argument, nullptr, 'a'},
                                 {"pin", required_argument, nullptr, 'p'},
                                 {"root", required_argument, nullptr, 'r'},
                                 {"bind", required_argument, nullptr, 'b'},
                                 {"timeout-ms", required_argument, nullptr, 't'},
                                 {"tcti", required_argument, nullptr, 'T'},
                                 {"event-log", required_argument, nullptr, 'e'},
                                 {"tamper", required_argument, nullptr, 'x'},
                                 {"amt-socket", required_argument, nullptr, 'S'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  try {
    while ((c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1) {
      switch (c) {
        case 'a':
          appliance = optarg;
          break;
        case 'S':
          amtSocket = optarg;
          break;
        case 'p':
          pinFile = optarg;
          break;
        case 'r':
          root = optarg;
          break;
        case 'b':
          opt.bindAddress = optarg;
          break;
        case 't':
          opt.ioTimeout = std::chrono::milliseconds(std::stoul(optarg));
          break;
        case 'T':
          attestOptions.tcti = optarg;
          break;
        case 'e':
          attestOptions.eventLogPath = optarg;
          break;
        case 'x':
          tamperList = optarg;
          break;
        case 'j':
          json = true;
          break;
        case 'h':
          std::cout << kUsage;
          return 0;
        default:
          std::cerr << kUsage;
          return pb::agent_exit::kUsage;
      }
    }
  } catch (const std::exception&) {
    std::cerr << kUsage;
    return pb::agent_exit::kUsage;
  }
  auto tamper = pb::parseAgentTamper(tamperList);
  if (optind != argc || appliance.empty() || pinFile.empty() || !tamper.ok() ||
      !splitHostPort(appliance, opt.host, opt.port) || !pb::isAllowedTcti(attestOptions.tcti)) {
    std::cerr << kUsage;
    return pb::agent_exit::kUsage;
  }
  opt.agentName = "provbench-sim-agent/0.1.0 (" + pb::formatAgentTamper(*tamper) + ")";
  auto pin = pb::readPinFile(pinFile);
  auto facts = pb::readIdentityFacts(root);
  if (!pin.ok() || !facts.ok()) {
    std::cerr << "provbench-sim-agent: cannot read the pin or the identity facts\n";
    return pb::agent_exit::kUsage;
  }
  auto tls = pb::makeClientContext(*pin);
  if (!tls.ok()) return pb::agent_exit::kProtocol;

  // The firmware/AMT facts as bench-agent reads them: these devices misbehave only in attestation.
  std::unique_ptr<pb::UnixSocketTransport> amt;
  if (!amtSocket.empty()) {
    pb::UnixSocketOptions so;
    so.path = amtSocket;
    amt = std::make_unique<pb::UnixSocketTransport>(so);
  }
  auto factsResponder = std::make_shared<pb::FactsResponder>(pb::collectFacts(root, amt.get()));
  amt.reset();

  boost::asio::io_context io;
  auto attest = std::make_shared<pb::TamperingResponder>(attestOptions, *tamper);
  pb::AgentSession session(
      io.get_executor(), *tls, opt, *facts,
      [](const std::string& line) { std::cerr << "provbench-sim-agent: " << line << "\n"; },
      {factsResponder, attest});
  pb::AgentOutcome outcome;
  boost::asio::co_spawn(io, session.run(), [&](std::exception_ptr e, pb::AgentOutcome o) {
    if (e) {
      outcome.exitCode = pb::agent_exit::kProtocol;
      outcome.message = "internal error";
    } else {
      outcome = std::move(o);
    }
  });
  io.run();
  outcome.tpmMs = static_cast<double>(attest->tpmTime().count()) / 1000.0;
  if (json) std::cout << outcome.toJson().dump() << "\n";
  return outcome.exitCode;
}
