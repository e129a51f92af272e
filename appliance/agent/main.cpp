// SPDX-License-Identifier: Apache-2.0
// bench-agent: runs on the device being provisioned. Composition root only.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <getopt.h>

#include "agent/agent_session.hpp"
#include "agent/attest_responder.hpp"
#include "agent/facts_collector.hpp"
#include "agent/facts_responder.hpp"
#include "core/files.hpp"
#include "mei/mei_transport.hpp"
#include "mei/unix_socket_transport.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "protocol/device_facts_json.hpp"
#include "sysfs/identity_reader.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: bench-agent --appliance HOST:PORT --pin FILE [options]

Connects to the provisioning appliance over pinned TLS 1.3, reports this device's identity facts
and follows the appliance until it gives a verdict.

Options:
  --appliance HOST:PORT  appliance address (required)
  --pin FILE             file holding the appliance certificate pin, "sha256:<hex>" (required)
  --root DIR             read /sys under DIR instead of / (fixture trees, simulation)
  --bind ADDR            connect from this local address (slot identification on the bench)
  --mei                  read AMT through /dev/mei0..3 (the default)
  --amt-socket PATH      read AMT from an AMT firmware simulator on this Unix socket instead
  --no-amt               do not read AMT at all
  --dump-facts FILE      write the firmware and AMT facts as JSON to FILE and exit (no appliance
                         needed; `benchctl check --policy P --facts FILE` evaluates them offline)
  --tcti TCTI            the TPM to attest with (default device:/dev/tpmrm0; simulation:
                         swtpm:host=127.0.0.1,port=P); never tpm2-tss's implicit default
  --event-log PATH       measured-boot event log (default
                         /sys/kernel/security/tpm0/binary_bios_measurements)
  --timeout-ms N         timeout of every read and write (default 30000)
  --attempts N           connection attempts including reconnects (default 64)
  --retry-budget-ms N    start no new attempt after N ms (default 120000): an unreachable or
                         full appliance (PB-0007, PB-0008) is retried with exponential backoff
                         and jitter until then
  --backoff-max-ms N     longest wait between attempts (default 5000)
  --json                 print the outcome as one JSON object on stdout
  --quiet                no progress lines on stderr
  -h, --help             this text
  --version              print the version

Exit status:
  0 ready   10 identified, awaiting further stages   20 blocked   21 quarantined
  22 failed   23 not attestable   2 usage error   3 appliance unreachable
  4 appliance certificate does not match the pin   5 protocol error
)";

bool splitHostPort(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    unsigned long p = std::stoul(s.substr(colon + 1));
    if (p == 0 || p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

enum class AmtSource { Mei, Socket, None };

// nullptr for --no-amt: the collector then reports AMT as not read.
std::unique_ptr<pb::AmtTransport> makeAmtTransport(AmtSource source, const std::string& socket) {
  if (source == AmtSource::Mei) {
    return std::make_unique<pb::MeiTransport>(pb::MeiOptions{}, pb::makeSystemMeiSyscalls());
  }
  if (source == AmtSource::Socket) {
    pb::UnixSocketOptions so;
    so.path = socket;
    return std::make_unique<pb::UnixSocketTransport>(so);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  pb::AgentOptions opt;
  std::string appliance, pinFile, root = "/";
  AmtSource amtSource = AmtSource::Mei;
  std::string dumpFacts;
  std::string amtSocket;
  bool json = false, quiet = false;
  pb::AttestResponderOptions attestOptions;
  static const option kLong[] = {{"appliance", required_argument, nullptr, 'a'},
                                 {"pin", required_argument, nullptr, 'p'},
                                 {"root", required_argument, nullptr, 'r'},
                                 {"bind", required_argument, nullptr, 'b'},
                                 {"mei", no_argument, nullptr, 'M'},
                                 {"amt-socket", required_argument, nullptr, 'S'},
                                 {"no-amt", no_argument, nullptr, 'N'},
                                 {"dump-facts", required_argument, nullptr, 'D'},
                                 {"tcti", required_argument, nullptr, 'T'},
                                 {"event-log", required_argument, nullptr, 'e'},
                                 {"timeout-ms", required_argument, nullptr, 't'},
                                 {"attempts", required_argument, nullptr, 'n'},
                                 {"retry-budget-ms", required_argument, nullptr, 'B'},
                                 {"backoff-max-ms", required_argument, nullptr, 'X'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"quiet", no_argument, nullptr, 'q'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  try {
    while ((c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1) {
      switch (c) {
        case 'a':
          appliance = optarg;
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
        case 'M':
          amtSource = AmtSource::Mei;
          break;
        case 'S':
          amtSource = AmtSource::Socket;
          amtSocket = optarg;
          break;
        case 'N':
          amtSource = AmtSource::None;
          break;
        case 'D':
          dumpFacts = optarg;
          break;
        case 'T':
          attestOptions.tcti = optarg;
          break;
        case 'e':
          attestOptions.eventLogPath = optarg;
          break;
        case 't':
          opt.ioTimeout = std::chrono::milliseconds(std::stoul(optarg));
          break;
        case 'n':
          opt.maxAttempts = std::max(1, std::stoi(optarg));
          break;
        case 'B':
          opt.retryBudget = std::chrono::milliseconds(std::stoul(optarg));
          break;
        case 'X':
          opt.backoffMax = std::chrono::milliseconds(std::max(1UL, std::stoul(optarg)));
          break;
        case 'j':
          json = true;
          break;
        case 'q':
          quiet = true;
          break;
        case 'h':
          std::cout << kUsage;
          return 0;
        case 'V':
          std::cout << "bench-agent 0.1.0 (protocol 1)\n";
          return 0;
        default:
          std::cerr << kUsage;
          return pb::agent_exit::kUsage;
      }
    }
  } catch (const std::exception&) {
    std::cerr << "bench-agent: a numeric option has a bad value\n" << kUsage;
    return pb::agent_exit::kUsage;
  }
  if (optind == argc && !dumpFacts.empty()) {
    std::unique_ptr<pb::AmtTransport> amt = makeAmtTransport(amtSource, amtSocket);
    const pb::DeviceFacts collected = pb::collectFacts(root, amt.get());
    if (pb::Status st = pb::writeFileAtomic(dumpFacts, pb::toJson(collected).dump(2) + "\n", 0644);
        !st.ok()) {
      std::cerr << "bench-agent: " << st.error().message << "\n";
      return pb::agent_exit::kUsage;
    }
    return 0;
  }
  if (optind != argc || appliance.empty() || pinFile.empty() ||
      !splitHostPort(appliance, opt.host, opt.port)) {
    std::cerr << "bench-agent: --appliance HOST:PORT and --pin FILE are required\n\n" << kUsage;
    return pb::agent_exit::kUsage;
  }

  if (!pb::isAllowedTcti(attestOptions.tcti)) {
    std::cerr << "bench-agent: --tcti must be device:/dev/…, swtpm:host=H,port=P or mssim:…\n";
    return pb::agent_exit::kUsage;
  }
  auto pin = pb::readPinFile(pinFile);
  if (!pin.ok()) {
    std::cerr << "bench-agent: " << pin.error().message << "\n";
    return pb::agent_exit::kUsage;
  }
  auto facts = pb::readIdentityFacts(root);
  if (!facts.ok()) {
    std::cerr << "bench-agent: cannot read identity facts: " << facts.error().message << "\n";
    return pb::agent_exit::kProtocol;
  }
  auto progressLine = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "bench-agent: " << line << "\n";
  };
  // Firmware and AMT facts, read in band exactly as on real hardware (the transport is the only
  // difference between a device and provbench-sim); the checks stage asks for them.
  std::unique_ptr<pb::AmtTransport> amt = makeAmtTransport(amtSource, amtSocket);
  const pb::DeviceFacts deviceFacts = pb::collectFacts(root, amt.get());
  amt.reset();  // release the AMTHI client: LMS or the next tool may need it
  if (deviceFacts.amt) {
    const auto& a = *deviceFacts.amt;
    std::size_t active = 0;
    for (const auto& h : a.hashes) active += h.isActive ? 1 : 0;
    progressLine("amt: access " + std::string(pb::amtAccessName(a.access)) +
                 (a.access == pb::AmtAccess::Ok
                      ? ", AMT " + a.amtVersion + ", " + a.provisioningState + "/" + a.controlMode +
                            ", " + std::to_string(a.hashes.size()) + " trusted-root hashes (" +
                            std::to_string(active) + " active)"
                      : ": " + a.accessDetail));
  }

  auto tls = pb::makeClientContext(*pin);
  if (!tls.ok()) {
    std::cerr << "bench-agent: " << tls.error().message << "\n";
    return pb::agent_exit::kProtocol;
  }

  boost::asio::io_context io;
  auto progress = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "bench-agent: " << line << "\n";
  };
  auto attest = std::make_shared<pb::AttestResponder>(attestOptions);
  auto factsResponder = std::make_shared<pb::FactsResponder>(deviceFacts);
  pb::AgentSession session(io.get_executor(), *tls, opt, *facts, progress,
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

  if (json) {
    std::cout << outcome.toJson().dump() << "\n";
  } else {
    std::string verdict = outcome.state.empty() ? "NO VERDICT" : outcome.state;
    for (auto& ch : verdict) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::cout << "provbench: " << verdict;
    if (!outcome.code.empty()) std::cout << " (" << outcome.code << ")";
    if (!outcome.message.empty()) std::cout << " " << outcome.message;
    std::cout << "\n";
    if (!outcome.remediation.empty()) std::cout << "  what to do: " << outcome.remediation << "\n";
  }
  return outcome.exitCode;
}
