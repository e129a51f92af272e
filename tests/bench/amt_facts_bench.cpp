// SPDX-License-Identifier: Apache-2.0
// Agent AMT fact collection time against the AMT firmware simulator (all commands: 11 commands +
// one GetCertificateHashEntry per hash, 25 on the default device = 36 exchanges), per device, and
// its ratio to the same number of bare transport round trips (GetProvisioningState, no parsing)
// measured in the same run: the ratio is what the client, parsing and fact building cost on top
// of the socket.
//
// Usage: amt_facts_bench [devices (default 200)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "agent/facts_collector.hpp"
#include "amt/amt_sim_server.hpp"
#include "amt/amthi.hpp"
#include "mei/unix_socket_transport.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  char tmpl[] = "/tmp/pb-amt-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string sock = std::string(tmpl) + "/amt.sock";
  pb::AmtSimServer server(pb::defaultAmtSimConfig(), sock);
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "amt_facts_bench: %s\n", st.error().message.c_str());
    return 1;
  }
  pb::UnixSocketOptions opt;
  opt.path = sock;

  // Every device is a fresh transport (connect handshake included), as each agent run is.
  std::vector<double> collect, raw;
  std::uint64_t exchanges = 0;
  const pb::Bytes rawRequest = pb::amthi::buildRequest(pb::amthi::Command::GetProvisioningState);
  for (int i = 0; i < devices; ++i) {
    const auto before = server.requestsHandled();
    {
      pb::UnixSocketTransport t(opt);
      const auto t0 = Clock::now();
      pb::AmtFacts f = pb::collectAmtFacts(t);
      collect.push_back(ms(Clock::now() - t0));
      if (f.access != pb::AmtAccess::Ok) {
        std::fprintf(stderr, "amt_facts_bench: collection failed: %s\n", f.accessDetail.c_str());
        return 1;
      }
    }
    // requestsHandled is counted on the server thread before it replies: read it after the
    // transport is gone.
    exchanges = server.requestsHandled() - before;
    {
      pb::UnixSocketTransport t(opt);
      const auto t0 = Clock::now();
      for (std::uint64_t k = 0; k < exchanges; ++k) {
        if (!t.exchange(rawRequest, std::chrono::milliseconds(3000)).ok()) return 1;
      }
      raw.push_back(ms(Clock::now() - t0));
    }
  }
  server.stop();
  std::filesystem::remove_all(tmpl);

  const double c = median(collect), r = median(raw);
  std::printf("amt_facts_bench: %d devices, %llu AMTHI exchanges per device\n", devices,
              static_cast<unsigned long long>(exchanges));
  std::printf("  collectAmtFacts (all commands): %.3f ms per device (median)\n", c);
  std::printf("  raw transport round trips:      %.3f ms for the same %llu exchanges (median)\n", r,
              static_cast<unsigned long long>(exchanges));
  std::printf("  ratio collect / raw:            %.2f\n", c / r);
  return 0;
}
