// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_server.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/admin_client.hpp"
#include "core/reasons.hpp"
#include "test_support.hpp"

namespace pb {
namespace {

using nlohmann::json;
using test::AdminTempDir;
using test::FakeHandler;
using test::FixedRole;
using test::RawClient;

class AdminServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    stopServer();
    server_.reset();
  }

  // Stops the server and waits for its io thread: every open denial window is audited by then.
  void stopServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string socketPath() const { return dir_.path() + "/admin.sock"; }

  // Binds and listens; the io thread is started separately so a test can fork first.
  void bind(std::shared_ptr<const RoleResolver> roles, AdminServerOptions options = {}) {
    server_ = std::make_unique<AdminServer>(io_.get_executor(), socketPath(), std::move(roles),
                                            handler_, options);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
  void run() {
    thread_ = std::thread([this] { io_.run(); });
  }
  void startWith(Role role, AdminServerOptions options = {}) {
    bind(std::make_shared<FixedRole>(role), options);
    run();
  }

  json call(const std::string& cmd, const json& args = json::object()) {
    auto client = AdminClient::connect(socketPath());
    if (!client) return json{{"client_error", client.error().message}};
    auto r = client->call(cmd, args);
    if (!r) return json{{"client_error", r.error().message}};
    return *r;
  }

  AdminTempDir dir_;
  boost::asio::io_context io_;
  std::thread thread_;
  FakeHandler handler_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ReadCommandAllowedForReadOnly) {
  startWith(Role::ReadOnly);
  json r = call("devices", {{"state", "ready"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["echo"], "devices");
  auto calls = handler_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].role, Role::ReadOnly);
  EXPECT_EQ(calls[0].uid, getuid());
  EXPECT_EQ(calls[0].pid, getpid());
  EXPECT_EQ(calls[0].args, (json{{"state", "ready"}}));
  EXPECT_TRUE(handler_.denied().empty());
}

TEST_F(AdminServerTest, WriteCommandRefusedForReadOnly) {
  startWith(Role::ReadOnly);
  json r = call("block", {{"id", "dev-000001"}, {"reason", "stolen"}});
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_EQ(r["code"], reason::kAdminUnauthorised);
  EXPECT_NE(r["error"].get<std::string>().find("admin role"), std::string::npos);
  EXPECT_TRUE(handler_.calls().empty());
  stopServer();
  auto denied = handler_.denied();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].commands, (std::map<std::string, std::int64_t>{{"block", 1}}));
  EXPECT_EQ(denied[0].count, 1);
  EXPECT_EQ(denied[0].uid, getuid());
  EXPECT_EQ(denied[0].role, Role::ReadOnly);
}

TEST_F(AdminServerTest, WriteCommandRefusedForNone) {
  startWith(Role::None);
  json r = call("registry.import", {{"file_name", "r.csv"}, {"content", "serial\n"}});
  EXPECT_EQ(r["code"], reason::kAdminUnauthorised) << r.dump();
  EXPECT_TRUE(handler_.calls().empty());
  stopServer();
  EXPECT_EQ(handler_.denied().size(), 1u);
}

TEST_F(AdminServerTest, ReadCommandRefusedForNone) {
  startWith(Role::None);
  json r = call("status");
  EXPECT_EQ(r["code"], reason::kAdminUnauthorised) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("no admin access"), std::string::npos);
  EXPECT_TRUE(handler_.calls().empty());
  stopServer();
  ASSERT_EQ(handler_.denied().size(), 1u);
  EXPECT_EQ(handler_.denied()[0].role, Role::None);
}

TEST_F(AdminServerTest, AdminMayWrite) {
  startWith(Role::Admin);
  json r = call("approve", {{"id", "dev-000001"}, {"reason", "ok"}, {"ttl_hours", 2}});
  EXPECT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(handler_.calls().size(), 1u);
  EXPECT_EQ(handler_.calls()[0].role, Role::Admin);
}

TEST_F(AdminServerTest, MalformedJsonIsABadRequestAndTheConnectionStaysUsable) {
  startWith(Role::Admin);
  RawClient c(socketPath());
  ASSERT_TRUE(c.connected());
  c.send("{\"cmd\": \"status\"\n");
  json r = c.readResponse();
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], reason::kAdminBadRequest);
  c.send("{\"cmd\":\"status\"}\n");
  EXPECT_EQ(c.readResponse()["ok"], true);
  EXPECT_EQ(handler_.calls().size(), 1u);
}

TEST_F(AdminServerTest, UnknownCommandIsABadRequest) {
  startWith(Role::Admin);
  json r = call("reboot");
  EXPECT_EQ(r["code"], reason::kAdminBadRequest) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("unknown command"), std::string::npos);
  EXPECT_TRUE(handler_.calls().empty());
  EXPECT_TRUE(handler_.denied().empty());
}

TEST_F(AdminServerTest, UnknownArgumentIsABadRequest) {
  startWith(Role::Admin);
  json r = call("status", {{"verbose", true}});
  EXPECT_EQ(r["code"], reason::kAdminBadRequest) << r.dump();
  EXPECT_TRUE(handler_.calls().empty());
}

TEST_F(AdminServerTest, OversizeLineIsRefusedAndTheConnectionClosed) {
  AdminServerOptions options;
  options.maxRequestBytes = 1024;
  startWith(Role::Admin, options);
  RawClient c(socketPath());
  ASSERT_TRUE(c.connected());
  c.send(std::string(4096, 'x'));
  json r = c.readResponse();
  EXPECT_EQ(r["code"], reason::kAdminBadRequest) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("larger than 1024"), std::string::npos);
  EXPECT_EQ(c.readLine(), std::nullopt);  // closed
  EXPECT_TRUE(handler_.calls().empty());
}

TEST_F(AdminServerTest, LineOfExactlyTheLimitIsAccepted) {
  AdminServerOptions options;
  options.maxRequestBytes = 1024;
  startWith(Role::Admin, options);
  std::string line = R"({"cmd":"status"})";
  line.resize(1024, ' ');
  RawClient c(socketPath());
  c.send(line + "\n");
  EXPECT_EQ(c.readResponse()["ok"], true);
}

TEST_F(AdminServerTest, SeveralRequestsOnOneConnection) {
  startWith(Role::Admin);
  RawClient c(socketPath());
  c.send("{\"cmd\":\"status\"}\r\n{\"cmd\":\"audit.verify\"}\n{\"cmd\":\"devices\"}\n");
  EXPECT_EQ(c.readResponse()["result"]["echo"], "status");
  EXPECT_EQ(c.readResponse()["result"]["echo"], "audit.verify");
  EXPECT_EQ(c.readResponse()["result"]["echo"], "devices");
}

TEST_F(AdminServerTest, ClientReusesItsConnection) {
  startWith(Role::Admin);
  auto client = AdminClient::connect(socketPath());
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = client->call("status", json::object());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)["ok"], true);
  }
  EXPECT_EQ(handler_.calls().size(), 3u);
}

TEST_F(AdminServerTest, IdleConnectionIsClosed) {
  AdminServerOptions options;
  options.idleTimeout = std::chrono::milliseconds(50);
  startWith(Role::Admin, options);
  RawClient c(socketPath());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.readLine(), std::nullopt);  // EOF from the server, well before the 10 s safety net
}

TEST_F(AdminServerTest, HandlerExceptionBecomesInternalError) {
  startWith(Role::Admin);
  handler_.throwOnNextCall();
  json r = call("status");
  EXPECT_EQ(r["code"], reason::kInternalError) << r.dump();
  EXPECT_EQ(call("status")["ok"], true);  // the server survived
}

TEST_F(AdminServerTest, TooManyConnectionsAreTurnedAway) {
  AdminServerOptions options;
  options.maxConnections = 1;
  startWith(Role::Admin, options);
  RawClient first(socketPath());
  first.send("{\"cmd\":\"status\"}\n");
  ASSERT_EQ(first.readResponse()["ok"], true);  // accepted and being served
  RawClient second(socketPath());
  json r = second.readResponse();
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("too many"), std::string::npos);
  EXPECT_EQ(second.readLine(), std::nullopt);
}

TEST_F(AdminServerTest, SocketIsWorldConnectableAndRemovedOnStop) {
  startWith(Role::Admin);
  struct stat st {};
  ASSERT_EQ(lstat(socketPath().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  server_->stop();
  EXPECT_NE(lstat(socketPath().c_str(), &st), 0);
}

TEST_F(AdminServerTest, StaleSocketFileIsReplaced) {
  {
    // A socket file left behind by a crashed server: bound, never listening, closed.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socketPath().c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  startWith(Role::Admin);
  EXPECT_EQ(call("status")["ok"], true);
}

TEST_F(AdminServerTest, RefusesToStealALiveSocket) {
  startWith(Role::Admin);
  FakeHandler other;
  AdminServer second(io_.get_executor(), socketPath(), std::make_shared<FixedRole>(Role::Admin),
                     other);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("another server"), std::string::npos);
  EXPECT_EQ(call("status")["ok"], true);  // the first one still owns it
}

TEST_F(AdminServerTest, RefusesAPathThatIsNotASocket) {
  { std::ofstream(socketPath()) << "precious"; }
  AdminServer server(io_.get_executor(), socketPath(), std::make_shared<FixedRole>(Role::Admin),
                     handler_);
  auto st = server.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a socket"), std::string::npos);
  std::ifstream in(socketPath());
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(AdminServerTest, RefusesAnOverlongPath) {
  AdminServer server(io_.get_executor(), dir_.path() + "/" + std::string(200, 'a'),
                     std::make_shared<FixedRole>(Role::Admin), handler_);
  EXPECT_FALSE(server.start().ok());
}

TEST(AdminClientTest, UnreachableSocketNamesThePathAndTheService) {
  AdminTempDir dir;
  auto c = AdminClient::connect(dir.path() + "/missing.sock");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, admin_client_error::kUnreachable);
  EXPECT_NE(c.error().message.find(dir.path() + "/missing.sock"), std::string::npos);
  EXPECT_NE(c.error().message.find("benchd"), std::string::npos);
}

TEST_F(AdminServerTest, ClientRefusesAnOversizeRequestLocally) {
  startWith(Role::Admin);
  auto client = AdminClient::connect(socketPath());
  ASSERT_TRUE(client.ok());
  auto r = client->call(
      "registry.import",
      json{{"file_name", "r.csv"}, {"content", std::string(kMaxAdminRequestBytes, 'a')}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, admin_client_error::kTooLarge);
  EXPECT_TRUE(handler_.calls().empty());
}

// --- real credentials: a forked child that drops to another uid before connecting ---

// Forks before the io thread exists (so the child is single-threaded and may allocate), drops to
// uid/gid, sends one request and writes the raw response (or an error) to a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child forkClient(const std::string& socketPath, uid_t uid, gid_t gid, const std::string& cmd,
                 const json& args) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string out;
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
      out = "cannot drop privileges";
    } else if (auto client = AdminClient::connect(socketPath); !client) {
      out = "connect: " + client.error().message;
    } else if (auto r = client->call(cmd, args); !r) {
      out = "call: " + r.error().message;
    } else {
      out = r->dump();
    }
    std::size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::write(p[1], out.data() + off, out.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  ::close(p[1]);
  return Child{pid, p[0]};
}

std::string collect(Child child) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(child.out, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(child.out);
  int status = 0;
  waitpid(child.pid, &status, 0);
  return out;
}

TEST_F(AdminServerTest, RealUnauthorisedCallerGetsPb9501) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch the client to uid 65534 (nobody)";
  auto access = AccessControl::create({"root", ""}, std::make_shared<SystemGroupDirectory>());
  ASSERT_TRUE(access.ok()) << access.error().message;
  bind(std::make_shared<AccessControl>(std::move(*access)));
  Child child =
      forkClient(socketPath(), 65534, 65534, "block", {{"id", "dev-000001"}, {"reason", "x"}});
  ASSERT_GT(child.pid, 0);
  run();
  std::string out = collect(child);
  json r = json::parse(out, nullptr, false);
  ASSERT_TRUE(r.is_object()) << out;
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["code"], reason::kAdminUnauthorised);
  EXPECT_TRUE(handler_.calls().empty());
  stopServer();
  auto denied = handler_.denied();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].uid, 65534u);
  EXPECT_EQ(denied[0].gid, 65534u);
  EXPECT_EQ(denied[0].pid, child.pid);
  EXPECT_EQ(denied[0].role, Role::None);
}

TEST_F(AdminServerTest, RealReadonlyGroupMemberMayReadButNotWrite) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch the client's uid";
  auto dir = std::make_shared<test::FakeGroupDirectory>();
  dir->groups = {{"bench-admin", 4300}, {"bench-read", 4301}};
  dir->members = {{4242, {4242, 4301}}};  // readonly via a supplementary group of its passwd entry
  auto access = AccessControl::create({"bench-admin", "bench-read"}, dir);
  ASSERT_TRUE(access.ok());
  bind(std::make_shared<AccessControl>(std::move(*access)));
  Child reader = forkClient(socketPath(), 4242, 4242, "status", json::object());
  Child writer =
      forkClient(socketPath(), 4242, 4242, "unblock", {{"id", "dev-000001"}, {"reason", "x"}});
  run();
  json read = json::parse(collect(reader), nullptr, false);
  json write = json::parse(collect(writer), nullptr, false);
  EXPECT_EQ(read["ok"], true) << read.dump();
  EXPECT_EQ(write["code"], reason::kAdminUnauthorised) << write.dump();
  ASSERT_EQ(handler_.calls().size(), 1u);
  EXPECT_EQ(handler_.calls()[0].uid, 4242u);
  EXPECT_EQ(handler_.calls()[0].role, Role::ReadOnly);
}

}  // namespace
}  // namespace pb
