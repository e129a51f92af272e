// SPDX-License-Identifier: Apache-2.0
// The admin socket's bounds against a local abuser (issue 10, item 7): role-less peers refused at
// accept, slots reserved for admins, per-uid and per-role limits, aggregated denial audits and the
// role cache. Roles are injected (a resolver the test switches between connections); the real
// unprivileged uid is exercised in admin_server_test.cpp and
// tests/integration/admin_abuse_test.cpp.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "admin/admin_client.hpp"
#include "admin/admin_server.hpp"
#include "core/reasons.hpp"
#include "test_support.hpp"

namespace pb {
namespace {

using nlohmann::json;
using test::AdminTempDir;
using test::FakeHandler;
using test::RawClient;

// Answers whatever role the test set last, and counts the lookups (NSS in production).
class SwitchableRole : public RoleResolver {
 public:
  explicit SwitchableRole(Role role) : role_(role) {}
  Role roleFor(uid_t, gid_t) const override {
    ++lookups_;
    return role_.load();
  }
  void set(Role role) { role_ = role; }
  int lookups() const { return lookups_.load(); }

 private:
  std::atomic<Role> role_;
  mutable std::atomic<int> lookups_{0};
};

class AdminLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override { stopServer(); }
  void stopServer() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string socketPath() const { return dir_.path() + "/admin.sock"; }

  void start(AdminServerOptions options) {
    server_ =
        std::make_unique<AdminServer>(io_.get_executor(), socketPath(), roles_, handler_, options);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }
  // No caching, so each connection gets the role set just before it connected.
  static AdminServerOptions uncached() {
    AdminServerOptions o;
    o.roleCacheTtl = std::chrono::milliseconds(0);
    return o;
  }
  // A connection the server has accepted (with the current role) and answered once.
  std::unique_ptr<RawClient> held() {
    auto c = std::make_unique<RawClient>(socketPath());
    c->send("{\"cmd\":\"status\"}\n");
    json r = c->readResponse();
    EXPECT_EQ(r["ok"], true) << r.dump();
    return c;
  }
  json call(const std::string& cmd) {
    auto client = AdminClient::connect(socketPath());
    if (!client) return json{{"client_error", client.error().message}};
    auto r = client->call(cmd, json::object());
    if (!r) return json{{"client_error", r.error().message}};
    return *r;
  }

  AdminTempDir dir_;
  boost::asio::io_context io_;
  std::thread thread_;
  FakeHandler handler_;
  std::shared_ptr<SwitchableRole> roles_ = std::make_shared<SwitchableRole>(Role::None);
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminLimitsTest, RoleLessPeerIsAnsweredAndClosedAtAcceptWithoutSendingAnything) {
  start(uncached());
  RawClient c(socketPath());
  ASSERT_TRUE(c.connected());
  json r = c.readResponse();  // nothing sent: the refusal comes at accept
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_EQ(r["code"], reason::kAdminUnauthorised);
  EXPECT_NE(r["error"].get<std::string>().find("no admin access"), std::string::npos);
  EXPECT_EQ(c.readLine(), std::nullopt);  // and closed
  EXPECT_TRUE(handler_.calls().empty());
}

TEST_F(AdminLimitsTest, RoleLessFloodNeitherHoldsSlotsNorWritesARecordPerConnection) {
  AdminServerOptions o = uncached();
  o.maxConnections = 2;
  o.reservedAdminConnections = 1;
  start(o);
  constexpr int kFlood = 200;
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < kFlood; ++i) {
    flood.push_back(std::make_unique<RawClient>(socketPath()));
    // Buffering data is pointless: nobody reads it.
    flood.back()->send(std::string(4096, 'x'));
  }
  for (auto& c : flood) EXPECT_EQ(c->readResponse()["code"], reason::kAdminUnauthorised);
  roles_->set(Role::Admin);
  EXPECT_EQ(call("status")["ok"], true);
  stopServer();
  auto denied = handler_.denied();
  ASSERT_EQ(denied.size(), 1u);  // one aggregated record, not 200
  EXPECT_EQ(denied[0].count, kFlood);
  EXPECT_EQ(denied[0].commands.at(std::string(kDeniedAtConnect)), kFlood);
  EXPECT_EQ(denied[0].uid, getuid());
  EXPECT_EQ(denied[0].role, Role::None);
}

TEST_F(AdminLimitsTest, ReadOnlyFloodCannotTakeTheSlotsReservedForAdmins) {
  AdminServerOptions o = uncached();
  o.maxConnections = 6;
  o.reservedAdminConnections = 2;
  o.maxConnectionsPerUid = 100;  // one test uid plays every reader
  start(o);
  roles_->set(Role::ReadOnly);
  std::vector<std::unique_ptr<RawClient>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(held());
  RawClient fifth(socketPath());
  json r = fifth.readResponse();
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("in use"), std::string::npos) << r.dump();
  EXPECT_EQ(fifth.readLine(), std::nullopt);
  // The two reserved slots still take admins, while every reader stays connected.
  roles_->set(Role::Admin);
  auto admin1 = held();
  auto admin2 = held();
  // Now every slot is taken; a third admin is turned away like anyone else.
  RawClient third(socketPath());
  EXPECT_NE(third.readResponse()["error"].get<std::string>().find("too many"), std::string::npos);
}

TEST_F(AdminLimitsTest, OneNonAdminUidIsLimitedToItsShare) {
  AdminServerOptions o = uncached();
  o.maxConnections = 16;
  o.maxConnectionsPerUid = 2;
  start(o);
  roles_->set(Role::ReadOnly);
  auto a = held();
  auto b = held();
  RawClient c(socketPath());
  json r = c.readResponse();
  EXPECT_NE(r["error"].get<std::string>().find("already has 2"), std::string::npos) << r.dump();
  roles_->set(Role::Admin);  // admins are not limited per uid
  auto d = held();
  auto e = held();
  auto f = held();
}

// A valid request padded with whitespace to `bytes` bytes (newline excluded).
std::string paddedStatus(std::size_t bytes) {
  std::string head = "{\"cmd\":\"status\"";
  return head + std::string(bytes - head.size() - 1, ' ') + "}\n";
}

TEST_F(AdminLimitsTest, ReadOnlyBufferIsCappedSmallerThanAnAdminsBuffer) {
  AdminServerOptions o = uncached();
  o.maxReadOnlyRequestBytes = 1024;
  o.maxRequestBytes = 64 * 1024;
  start(o);
  roles_->set(Role::ReadOnly);
  {
    RawClient reader(socketPath());
    reader.send(paddedStatus(1024));  // exactly the cap: fine
    EXPECT_EQ(reader.readResponse()["ok"], true);
    reader.send(paddedStatus(1025));
    json r = reader.readResponse();
    EXPECT_EQ(r["code"], reason::kAdminBadRequest) << r.dump();
    EXPECT_NE(r["error"].get<std::string>().find("1024 bytes for the readonly role"),
              std::string::npos)
        << r.dump();
    EXPECT_EQ(reader.readLine(), std::nullopt);
  }
  roles_->set(Role::Admin);
  RawClient admin(socketPath());
  admin.send(paddedStatus(32 * 1024));
  EXPECT_EQ(admin.readResponse()["ok"], true);
  admin.send(paddedStatus(64 * 1024 + 1));
  EXPECT_NE(admin.readResponse()["error"].get<std::string>().find("65536 bytes for the admin"),
            std::string::npos);
}

TEST_F(AdminLimitsTest, NRefusedRequestsBecomeOneAuditRecordWithCountN) {
  start(uncached());
  roles_->set(Role::ReadOnly);
  constexpr int kRefused = 50;
  RawClient c(socketPath());
  for (int i = 0; i < kRefused; ++i) {
    c.send(i % 2 == 0
               ? "{\"cmd\":\"block\",\"args\":{\"id\":\"dev-000001\",\"reason\":\"x\"}}\n"
               : "{\"cmd\":\"approve\",\"args\":{\"id\":\"dev-000001\",\"reason\":\"x\"}}\n");
    EXPECT_EQ(c.readResponse()["code"], reason::kAdminUnauthorised);
  }
  EXPECT_TRUE(handler_.denied().empty());  // the window is still open (60 s)
  stopServer();                            // shutdown flushes it
  auto denied = handler_.denied();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].count, kRefused);
  EXPECT_EQ(denied[0].commands.at("block"), kRefused / 2);
  EXPECT_EQ(denied[0].commands.at("approve"), kRefused / 2);
  EXPECT_EQ(denied[0].role, Role::ReadOnly);
  EXPECT_EQ(denied[0].pid, getpid());
  EXPECT_LE(denied[0].firstUnix, denied[0].lastUnix);
  EXPECT_TRUE(handler_.calls().empty());
}

TEST_F(AdminLimitsTest, NoDenialNoRecord) {
  start(uncached());
  roles_->set(Role::Admin);
  EXPECT_EQ(call("status")["ok"], true);
  stopServer();
  EXPECT_TRUE(handler_.denied().empty());
}

TEST_F(AdminLimitsTest, RolesAreCachedPerUidSoAFloodCostsOneLookup) {
  AdminServerOptions o;  // default: cached for 5 s
  start(o);
  for (int i = 0; i < 50; ++i) {
    RawClient c(socketPath());
    EXPECT_EQ(c.readResponse()["code"], reason::kAdminUnauthorised);
  }
  EXPECT_EQ(roles_->lookups(), 1);
}

// ---- the pieces, with explicit time ----

TEST(DenialAggregator, OneSummaryPerUidPerWindow) {
  using namespace std::chrono_literals;
  DenialAggregator agg(60s, 16);
  auto t0 = DenialAggregator::Clock::time_point{} + 1h;
  bool opened = false;
  EXPECT_FALSE(agg.add(1000, 1000, 5, Role::None, kDeniedAtConnect, t0, 100, &opened));
  EXPECT_TRUE(opened);
  for (int i = 1; i < 10; ++i) {
    EXPECT_FALSE(
        agg.add(1000, 1000, 5 + i, Role::None, kDeniedAtConnect, t0 + 1s * i, 100 + i, &opened));
    EXPECT_FALSE(opened);
  }
  EXPECT_FALSE(agg.add(2000, 2000, 9, Role::ReadOnly, "block", t0 + 30s, 130));
  EXPECT_EQ(agg.nextDeadline(), t0 + 60s);
  EXPECT_TRUE(agg.takeExpired(t0 + 59s).empty());
  auto first = agg.takeExpired(t0 + 60s);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].uid, 1000u);
  EXPECT_EQ(first[0].count, 10);
  EXPECT_EQ(first[0].pid, 14);  // the latest
  EXPECT_EQ(first[0].firstUnix, 100);
  EXPECT_EQ(first[0].lastUnix, 109);
  EXPECT_EQ(agg.nextDeadline(), t0 + 90s);
  // A new refusal from uid 1000 opens a new window.
  agg.add(1000, 1000, 20, Role::None, kDeniedAtConnect, t0 + 61s, 161, &opened);
  EXPECT_TRUE(opened);
  auto rest = agg.takeAll();
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_EQ(agg.openWindows(), 0u);
  EXPECT_FALSE(agg.nextDeadline().has_value());
}

TEST(DenialAggregator, TrackedUidsAreCappedByClosingTheOldestWindowEarly) {
  using namespace std::chrono_literals;
  DenialAggregator agg(60s, 3);
  auto t0 = DenialAggregator::Clock::time_point{} + 1h;
  for (uid_t u = 1; u <= 3; ++u) EXPECT_FALSE(agg.add(u, u, 1, Role::None, "x", t0 + 1s * u, 0));
  agg.add(1, 1, 1, Role::None, "x", t0 + 10s, 0);  // uid 1 again: no growth
  auto evicted = agg.add(4, 4, 1, Role::None, "x", t0 + 11s, 0);
  ASSERT_TRUE(evicted.has_value());
  EXPECT_EQ(evicted->uid, 1u);  // the oldest window, with its count so far
  EXPECT_EQ(evicted->count, 2);
  EXPECT_EQ(agg.openWindows(), 3u);
}

class CountingResolver : public RoleResolver {
 public:
  Role roleFor(uid_t uid, gid_t) const override {
    ++lookups;
    return uid == 0 ? Role::Admin : Role::None;
  }
  mutable int lookups = 0;
};

TEST(RoleCache, CachesPerUidAndGidUntilTheTtlEnds) {
  using namespace std::chrono_literals;
  CountingResolver r;
  RoleCache cache(5000ms, 16);
  auto t0 = RoleCache::Clock::time_point{} + 1h;
  EXPECT_EQ(cache.roleFor(r, 0, 0, t0), Role::Admin);
  EXPECT_EQ(cache.roleFor(r, 0, 0, t0 + 4s), Role::Admin);
  EXPECT_EQ(r.lookups, 1);
  EXPECT_EQ(cache.roleFor(r, 0, 5, t0), Role::Admin);  // another gid is another entry
  EXPECT_EQ(r.lookups, 2);
  EXPECT_EQ(cache.roleFor(r, 0, 0, t0 + 5s), Role::Admin);  // expired: asked again
  EXPECT_EQ(r.lookups, 3);
}

TEST(RoleCache, StaysWithinItsSize) {
  using namespace std::chrono_literals;
  CountingResolver r;
  RoleCache cache(5000ms, 8);
  auto t0 = RoleCache::Clock::time_point{} + 1h;
  for (uid_t u = 1; u <= 100; ++u) EXPECT_EQ(cache.roleFor(r, u, u, t0), Role::None);
  EXPECT_LE(cache.size(), 8u);
  EXPECT_EQ(r.lookups, 100);
}

TEST(RoleCache, ZeroTtlAlwaysAsks) {
  CountingResolver r;
  RoleCache cache(std::chrono::milliseconds(0), 8);
  for (int i = 0; i < 3; ++i) cache.roleFor(r, 7, 7, RoleCache::Clock::now());
  EXPECT_EQ(r.lookups, 3);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace pb
