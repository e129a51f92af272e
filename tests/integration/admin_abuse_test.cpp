// SPDX-License-Identifier: Apache-2.0
// The admin socket against a real unprivileged local user (issue 10, item 7) and a fleet of
// 100,000 registered devices (item 8), with a real benchd and benchctl.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bytes.hpp"
#include "core/clock.hpp"
#include "harness.hpp"
#include "store/store.hpp"

namespace pb::test {
namespace {

using nlohmann::json;

// benchd's peak resident set (VmHWM) in KiB, 0 if unreadable.
long peakRssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

constexpr int kAbuserConnections = 64;
constexpr std::size_t kBytesPerConnection = 30u * 1024u * 1024u;  // as in the attack run

struct FloodCounts {
  int connected = 0;
  int refusedWithPb9501 = 0;  // got the PB-9501 line
  int closedByServer = 0;     // then EOF
};

// The abuser: forked before benchd starts (so the child has one thread and needs no allocation),
// drops to uid/gid 65534, waits for "go", opens kAbuserConnections connections, tries to push 30
// MiB down each, reads what benchd says, reports, and holds every socket until told to stop.
struct Abuser {
  pid_t pid = -1;
  int go = -1;       // parent writes 'g' (flood) then 's' (stop)
  int results = -1;  // child writes a FloodCounts
};

Abuser forkAbuser(const std::string& socketPath) {
  int goPipe[2];
  int resultPipe[2];
  if (pipe2(goPipe, O_CLOEXEC) != 0 || pipe2(resultPipe, O_CLOEXEC) != 0) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socketPath.c_str());
  pid_t pid = fork();
  if (pid == 0) {
    ::close(goPipe[1]);
    ::close(resultPipe[0]);
    static char junk[1u << 20];
    static int fds[kAbuserConnections];
    FloodCounts counts;
    char cmd = 0;
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0 || ::read(goPipe[0], &cmd, 1) != 1) {
      _exit(2);
    }
    for (int i = 0; i < kAbuserConnections; ++i) {
      fds[i] = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      timeval tv{10, 0};  // safety net against a hung test only
      setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
      ++counts.connected;
      for (std::size_t sent = 0; sent < kBytesPerConnection;) {
        ssize_t n = ::send(fds[i], junk, sizeof junk, MSG_NOSIGNAL);
        if (n <= 0) break;  // benchd hung up
        sent += static_cast<std::size_t>(n);
      }
      char reply[512];
      std::size_t got = 0;
      ssize_t n;
      while (got < sizeof reply - 1 &&
             (n = ::recv(fds[i], reply + got, sizeof reply - 1 - got, 0)) > 0) {
        got += static_cast<std::size_t>(n);
      }
      reply[got] = '\0';
      if (std::strstr(reply, "PB-9501") != nullptr) ++counts.refusedWithPb9501;
      if (::recv(fds[i], reply, 1, 0) == 0) ++counts.closedByServer;
    }
    if (::write(resultPipe[1], &counts, sizeof counts) != sizeof counts) _exit(3);
    (void)::read(goPipe[0], &cmd, 1);  // hold the sockets while root works
    _exit(0);
  }
  ::close(goPipe[0]);
  ::close(resultPipe[1]);
  return Abuser{pid, goPipe[1], resultPipe[0]};
}

// The admin.denied records of uid 65534 in the audit log.
std::vector<json> deniedRecords(Benchd& b) {
  std::vector<json> out;
  for (const auto& rec : b.benchctlJson({"audit", "tail", "-n", "50"})) {
    if (rec.value("action", "") == "admin.denied" && rec.value("actor", "") == "uid:65534")
      out.push_back(rec);
  }
  return out;
}

TEST(AdminAbuse, UnprivilegedFloodIsRefusedAtAcceptWhileRootKeepsWorking) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the abuser as uid 65534";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // let uid 65534 reach the socket file
  Benchd b(dir.path());
  Abuser abuser = forkAbuser(b.adminSocket());
  ASSERT_GT(abuser.pid, 0);
  ASSERT_TRUE(b.start()) << b.process()->err();
  long before = peakRssKiB(b.process()->pid());

  ASSERT_EQ(::write(abuser.go, "g", 1), 1);
  FloodCounts counts;
  ASSERT_EQ(::read(abuser.results, &counts, sizeof counts), static_cast<ssize_t>(sizeof counts));
  // While the abuser still holds every socket, root is served at once.
  RunResult status = b.benchctl({"status"});
  EXPECT_EQ(status.exitCode, 0) << status.out << status.err;
  ASSERT_EQ(::write(abuser.go, "s", 1), 1);
  int st = 0;
  waitpid(abuser.pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;

  EXPECT_EQ(counts.connected, kAbuserConnections);
  EXPECT_EQ(counts.refusedWithPb9501, kAbuserConnections);
  EXPECT_EQ(counts.closedByServer, kAbuserConnections);
  long after = peakRssKiB(b.process()->pid());
  std::printf(
      "[ info ] benchd VmHWM before the flood %ld KiB, after %ld KiB (+%ld KiB); %d "
      "connections x %zu MiB offered\n",
      before, after, after - before, kAbuserConnections, kBytesPerConnection >> 20);
  EXPECT_LT(after - before, 200L * 1024L);  // generous: the attack run reached +460 MB

  // The refusals are one aggregated audit record, written when benchd stops (the 60 s window
  // is still open).
  EXPECT_TRUE(deniedRecords(b).empty());
  b.stop();
  ASSERT_TRUE(b.start());
  auto denied = deniedRecords(b);
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0]["details"]["count"], kAbuserConnections) << denied[0].dump();
  EXPECT_EQ(denied[0]["details"]["commands"]["(connect)"], kAbuserConnections);
}

TEST(AdminPaging, BenchctlListsOneHundredThousandDevices) {
  constexpr int kDevices = 100'000;
  TempDir dir;
  Benchd b(dir.path());
  ASSERT_TRUE(b.start());  // creates the keys and the database
  b.stop();
  {
    // Imported through the store API: the register import itself is not under test here.
    auto keyHex = readFile(dir.file("keys/audit.key"));
    auto key = fromHex(keyHex.substr(0, 64));
    ASSERT_TRUE(key.has_value());
    SystemClock clock;
    auto store = Store::open(dir.file("inventory.db"), *key, clock);
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::vector<RegistryRow> rows;
    rows.reserve(kDevices);
    for (int i = 0; i < kDevices; ++i) {
      RegistryRow r;
      char uuid[40];
      std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", i);
      r.serial = "SN-" + std::to_string(1'000'000 + i);
      r.smbiosUuid = uuid;
      r.model = "Latitude 7440";
      r.owner = "Owner " + std::to_string(i);
      r.ownerEmail = "owner@example.org";
      r.tenant = "lab";
      r.windowFrom = clock.nowUnix() - 86'400;
      r.windowUntil = clock.nowUnix() + 86'400 * 365;
      r.line = i + 2;
      rows.push_back(std::move(r));
    }
    auto imported = (*store)->importRegistry(rows, "uid:0", "fleet.csv");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
  }
  ASSERT_TRUE(b.start());

  auto t0 = std::chrono::steady_clock::now();
  RunResult text = b.benchctl({"devices"});
  auto t1 = std::chrono::steady_clock::now();
  RunResult js = b.benchctl({"--json", "registry", "list"});
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("\n100000 devices\n"), std::string::npos) << text.out.substr(0, 300);
  ASSERT_EQ(js.exitCode, 0) << js.err;
  json all = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(all.is_array());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(all.front()["id"], "dev-000001");
  EXPECT_EQ(all.back()["id"], "dev-100000");
  RunResult some = b.benchctl({"devices", "--limit", "3"});
  EXPECT_NE(some.out.find("\n3 devices\n"), std::string::npos) << some.out;
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf(
      "[ info ] 100,000 devices: benchctl devices %lld ms (%zu bytes), benchctl --json "
      "registry list %lld ms (%zu bytes)\n",
      static_cast<long long>(ms(t1 - t0)), text.out.size(), static_cast<long long>(ms(t2 - t1)),
      js.out.size());
}

}  // namespace
}  // namespace pb::test
