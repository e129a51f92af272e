// SPDX-License-Identifier: Apache-2.0
// Issue 10, items 3 and 4: genuine devices' admission latency while the agent port is flooded,
// against an unloaded run in the same process, and benchd's memory under each flood.
//
// Three phases, each against a fresh benchd with the default limits (max_sessions 512, 8 per
// source, hello deadline 3 s) and one slot per genuine device:
//   unloaded  the genuine devices alone;
//   idle-tls  plus 512 TLS connections from 128 unmapped loopback sources x 4 that never send a
//             hello (each reconnects 1 s after benchd drops it or refuses it);
//   bare-tcp  plus 600 TCP connects from one address that never send a ClientHello.
// The genuine devices are the agent's own AgentSession (connect, hello, verdict, with its retry
// policy), one per slot source, all started at once once the flood is running. Latency = start
// of the session to its final verdict (retries included). RSS is read from /proc/PID/status.
//
// Usage: flood_bench [--devices N]   (N <= 250; default 32)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>  // must precede boost/asio headers on Boost 1.74
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/agent_session.hpp"
#include "flood.hpp"
#include "harness.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using pb::test::Benchd;
using pb::test::Flood;
using pb::test::FloodKind;
using pb::test::FloodOptions;
using pb::test::TempDir;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// "VmHWM" or "VmRSS" of a process, in KiB.
long statusKiB(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

std::string source(int i) {
  return "127.0.1." + std::to_string(i + 1);
}
std::string serial(int i) {
  return "FLOODB" + std::to_string(10000 + i);
}
std::string uuid(int i) {
  char b[40];
  std::snprintf(b, sizeof b, "5e1c2b3a-0000-4222-8333-9444%08x", i + 1);
  return b;
}

struct Phase {
  std::string name;
  int completed = 0;
  int devices = 0;
  double p50 = 0, p95 = 0, max = 0;
  int maxAttempts = 0;
  long rssKiB = 0, hwmKiB = 0;
  long floodConnects = 0, floodDropped = 0;
};

Phase runPhase(const std::string& name, int devices, FloodKind kind, bool flood) {
  Phase ph;
  ph.name = name;
  ph.devices = devices;
  TempDir dir;
  pb::test::BenchdOptions bo;
  bo.limitsYaml = "  io_timeout_ms: 10000\n";  // everything else at its default
  std::ostringstream slots;
  slots << "slots:\n";
  for (int i = 0; i < devices; ++i)
    slots << "  - {id: s" << i << ", source: " << source(i) << "}\n";
  bo.extraConfig = slots.str();
  Benchd benchd(dir.path(), bo);
  if (!benchd.start()) {
    std::cerr << "benchd did not start:\n" << benchd.process()->err();
    return ph;
  }
  std::ostringstream reg;
  reg << "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until\n";
  for (int i = 0; i < devices; ++i) {
    reg << serial(i) << "," << uuid(i) << ",M,O,o@x.example,default,2020-01-01,2099-01-01\n";
  }
  pb::test::writeFile(dir.file("registry.csv"), reg.str());
  if (benchd.benchctl({"registry", "import", dir.file("registry.csv")}).exitCode != 0) return ph;

  std::unique_ptr<Flood> f;
  if (flood) {
    FloodOptions fo;
    fo.kind = kind;
    fo.port = benchd.port();
    if (kind == FloodKind::IdleTls) {
      for (int i = 1; i <= 128; ++i) fo.sources.push_back("127.0.9." + std::to_string(i));
      fo.connections = 512;
    } else {
      fo.sources = {"127.0.8.1"};
      fo.connections = 600;
    }
    f = std::make_unique<Flood>(fo);
    f->start();
    if (!f->waitConnects(fo.connections, 120s)) std::cerr << name << ": flood did not ramp up\n";
  }

  auto tls = pb::makeClientContext(*pb::readPinFile(benchd.pinFile()));
  asio::io_context io(1);
  std::vector<double> latency;
  const auto t0 = Clock::now();
  for (int i = 0; i < devices; ++i) {
    pb::AgentOptions ao;
    ao.port = benchd.port();
    ao.bindAddress = source(i);
    ao.ioTimeout = 10s;
    pb::IdentityFacts facts;
    facts.serial = serial(i);
    facts.smbiosUuid = uuid(i);
    facts.model = "M";
    facts.macs = {"02:00:00:00:00:01"};
    auto session = std::make_shared<pb::AgentSession>(io.get_executor(), *tls, ao, facts, nullptr);
    asio::co_spawn(io, session->run(), [&, session](std::exception_ptr e, pb::AgentOutcome out) {
      if (e || out.state != "identified") {
        std::cerr << name << ": device " << i << " ended " << out.state << " " << out.code << " "
                  << out.message << "\n";
        return;
      }
      ++ph.completed;
      ph.maxAttempts = std::max(ph.maxAttempts, out.attempts);
      latency.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    });
  }
  io.run();
  ph.rssKiB = statusKiB(benchd.process()->pid(), "VmRSS");
  ph.hwmKiB = statusKiB(benchd.process()->pid(), "VmHWM");
  if (f) {
    ph.floodConnects = f->stats().connects;
    ph.floodDropped = f->stats().droppedByServer;
    f->stop();
  }
  benchd.stop();
  ph.p50 = percentile(latency, 0.50);
  ph.p95 = percentile(latency, 0.95);
  ph.max = latency.empty() ? 0 : *std::max_element(latency.begin(), latency.end());
  return ph;
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--devices")) devices = std::clamp(std::atoi(argv[i + 1]), 1, 250);
  }
  std::vector<Phase> phases;
  phases.push_back(runPhase("unloaded", devices, FloodKind::IdleTls, false));
  phases.push_back(runPhase("idle-tls", devices, FloodKind::IdleTls, true));
  phases.push_back(runPhase("bare-tcp", devices, FloodKind::BareTcp, true));

  const double base = std::max(phases[0].p95, 1.0);
  bool ok = true;
  std::printf("%-9s %9s %9s %9s %9s %8s %10s %10s %14s %9s\n", "phase", "devices", "p50 ms",
              "p95 ms", "max ms", "attempts", "RSS MiB", "HWM MiB", "flood conns", "p95/base");
  for (const auto& ph : phases) {
    const double ratio = ph.p95 / base;
    std::printf("%-9s %4d/%-4d %9.1f %9.1f %9.1f %8d %10.1f %10.1f %6ld/%-7ld %8.2fx\n",
                ph.name.c_str(), ph.completed, ph.devices, ph.p50, ph.p95, ph.max, ph.maxAttempts,
                static_cast<double>(ph.rssKiB) / 1024.0, static_cast<double>(ph.hwmKiB) / 1024.0,
                ph.floodConnects, ph.floodDropped, ratio);
    ok = ok && ph.completed == ph.devices && (ph.name == "unloaded" || ratio <= 3.0);
  }
  std::printf("flood conns = connections the flood made / that benchd dropped\n");
  std::printf("target: every device completes; p95 within 3x of unloaded: %s\n",
              ok ? "met" : "MISSED");
  return ok ? 0 : 1;
}
