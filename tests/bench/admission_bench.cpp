// SPDX-License-Identifier: Apache-2.0
// Admission throughput against one real benchd, next to the two physical limits of that path
// measured on the same machine in the same run:
//   - TLS 1.3 handshakes/s on loopback with the same key type (EC P-256),
//   - durable SQLite commits/s with benchd's settings (WAL, synchronous=FULL).
// limit = min(handshakes/s, commits/s ÷ commits per admission); ratio = admissions/s ÷ limit.
//
// Usage: admission_bench [--agents N] [--rounds R] [--seconds S]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include "harness.hpp"
#include "net/tls_client.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "net/tls_listener.hpp"
#include "protocol/messages.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using pb::test::Benchd;
using pb::test::TempDir;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

long peakRssKiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string serialFor(int i) {
  char b[16];
  std::snprintf(b, sizeof b, "BENCH%05d", i);
  return b;
}
std::string uuidFor(int i) {
  char b[40];
  std::snprintf(b, sizeof b, "6f1c2b3a-%04x-4222-8333-9444%08x", i & 0xffff, i);
  return b;
}

// One simulated agent: connect, Hello, wait for the admission verdict. Returns ms from the first
// frame sent to the decision, or a negative value on failure.
asio::awaitable<double> oneAgent(std::shared_ptr<asio::ssl::context> ctx, std::uint16_t port,
                                 int i) {
  auto ex = co_await asio::this_coro::executor;
  auto conn =
      co_await pb::connectTls(ex, "127.0.0.1", port, ctx, std::chrono::seconds(60), 1 << 20);
  if (!conn.ok()) co_return -1.0;
  pb::Hello h;
  h.versions = {pb::kProtocolVersion};
  h.agent = "admission-bench/1";
  h.identity.serial = serialFor(i);
  h.identity.smbiosUuid = uuidFor(i);
  auto t0 = Clock::now();
  if (!(co_await (*conn)->writeFrame(h.toJson(), std::chrono::seconds(60))).ok()) co_return -2.0;
  for (;;) {
    auto f = co_await (*conn)->readFrame(std::chrono::seconds(60));
    if (!f.ok()) co_return -3.0;
    if (f->value("type", "") == "verdict") {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      bool ok = f->value("state", "") == "identified";
      co_await (*conn)->close();
      co_return ok ? ms : -4.0;
    }
  }
}

double measureHandshakes(const std::string& dir, double seconds) {
  const std::string key = dir + "/hs.key", crt = dir + "/hs.crt";
  if (!pb::generateSelfSignedIdentity(key, crt, "bench").ok()) return 0;
  auto server = pb::makeServerContext(crt, key);
  auto pin = pb::spkiPinForCertFile(crt);
  auto client = pb::makeClientContext(*pb::fromHex(*pin));
  asio::io_context serverIo(1);
  pb::ListenerOptions lo;
  lo.maxSessions = 4096;
  lo.maxSessionsPerSource = 4096;
  lo.maxHandshakes = 4096;
  pb::TlsListener listener(
      serverIo.get_executor(), lo, *server,
      [](std::unique_ptr<pb::FrameTransport> t) -> asio::awaitable<void> { co_await t->close(); });
  auto port = listener.start();
  std::thread st([&] { serverIo.run(); });
  asio::io_context clientIo(1);
  std::atomic<long> done{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  auto worker = [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    while (Clock::now() < deadline) {
      auto c = co_await pb::connectTls(ex, "127.0.0.1", *port, *client, std::chrono::seconds(10),
                                       1 << 20);
      if (c.ok()) {
        ++done;
        co_await (*c)->close();
      }
    }
  };
  auto t0 = Clock::now();
  for (int i = 0; i < 16; ++i) asio::co_spawn(clientIo, worker(), asio::detached);
  clientIo.run();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  listener.stop();
  serverIo.stop();
  st.join();
  return static_cast<double>(done.load()) / elapsed;
}

double measureCommits(const std::string& dir, double seconds) {
  sqlite3* db = nullptr;
  if (sqlite3_open((dir + "/commits.db").c_str(), &db) != SQLITE_OK) return 0;
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(a,b,c) VALUES(?,?,?)", -1, &ins, nullptr);
  std::string payload(300, 'x');  // about one session row + one audit record
  long n = 0;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int k = 1; k <= 3; ++k) {
      sqlite3_bind_text(ins, k, payload.c_str(), static_cast<int>(payload.size()), SQLITE_STATIC);
    }
    sqlite3_step(ins);
    sqlite3_reset(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    ++n;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return static_cast<double>(n) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 256, rounds = 4;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--agents")) agents = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
  }
  TempDir dir;
  pb::test::BenchdOptions bo;
  bo.limitsYaml =
      "  io_timeout_ms: 60000\n  handshake_timeout_ms: 60000\n  max_sessions: 1024\n"
      "  max_sessions_per_source: 1024\n";
  Benchd benchd(dir.path(), bo);
  if (!benchd.start()) {
    std::cerr << "benchd did not start:\n" << benchd.process()->err();
    return 1;
  }
  std::ostringstream reg;
  reg << "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until\n";
  for (int i = 0; i < agents; ++i) {
    reg << serialFor(i) << "," << uuidFor(i) << ",M,O,o@x.example,default,2020-01-01,2099-01-01\n";
  }
  pb::test::writeFile(dir.file("registry.csv"), reg.str());
  if (benchd.benchctl({"registry", "import", dir.file("registry.csv")}).exitCode != 0) return 1;

  auto client = pb::makeClientContext(*pb::readPinFile(benchd.pinFile()));
  auto auditBefore = benchd.benchctlJson({"status"}).value("audit_records", 0L);

  std::vector<double> latencies;
  int failures = 0;
  double wall = 0;
  const double cpuBefore = cpuSeconds(benchd.process()->pid());
  for (int r = 0; r < rounds; ++r) {
    asio::io_context io(1);
    std::vector<double> round(static_cast<std::size_t>(agents), 0);
    auto t0 = Clock::now();
    for (int i = 0; i < agents; ++i) {
      asio::co_spawn(
          io, oneAgent(*client, benchd.port(), i),
          [&round, i](std::exception_ptr, double ms) { round[static_cast<std::size_t>(i)] = ms; });
    }
    io.run();
    wall += std::chrono::duration<double>(Clock::now() - t0).count();
    for (double ms : round) {
      if (ms >= 0) {
        latencies.push_back(ms);
      } else {
        ++failures;
      }
    }
  }
  const long rssKiB = peakRssKiB(benchd.process()->pid());
  const double benchdCpu = cpuSeconds(benchd.process()->pid()) - cpuBefore;
  auto auditAfter = benchd.benchctlJson({"status"}).value("audit_records", 0L);
  // Each durable step is one transaction carrying exactly one audit record.
  const double commitsPerAdmission =
      latencies.empty()
          ? 0
          : static_cast<double>(auditAfter - auditBefore) / static_cast<double>(latencies.size());
  benchd.stop();

  const double admissions = static_cast<double>(latencies.size()) / wall;
  std::cerr << "measuring TLS handshakes and SQLite commits (" << seconds << " s each)...\n";
  const double hs = measureHandshakes(dir.path(), seconds);
  const double commits = measureCommits(dir.path(), seconds);
  const double limit = std::min(hs, commits / std::max(1.0, commitsPerAdmission));

  std::printf("agents per round            %d x %d rounds (%d failed)\n", agents, rounds, failures);
  std::printf("admissions/s                %.1f\n", admissions);
  std::printf("latency p50 / p95 (ms)      %.1f / %.1f  (first frame to decision)\n",
              percentile(latencies, 0.50), percentile(latencies, 0.95));
  std::printf("benchd CPU                   %.0f%% of one core during the rounds\n",
              100.0 * benchdCpu / wall);
  std::printf("benchd peak RSS             %.1f MiB\n", static_cast<double>(rssKiB) / 1024.0);
  std::printf("TLS 1.3 handshakes/s        %.1f  (EC P-256, loopback)\n", hs);
  std::printf("SQLite commits/s            %.1f  (WAL, synchronous=FULL)\n", commits);
  std::printf("commits per admission       %.2f\n", commitsPerAdmission);
  std::printf(
      "limit                       %.1f  = min(handshakes/s, commits/s / commits per admission)\n",
      limit);
  std::printf("ratio                       %.2f  = admissions/s / limit (target >= 0.5)\n",
              admissions / limit);
  std::printf("rss target                  %s (< 64 MiB)\n", rssKiB < 64 * 1024 ? "met" : "MISSED");
  return failures == 0 ? 0 : 1;
}
