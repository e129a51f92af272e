// SPDX-License-Identifier: Apache-2.0
// The session manager in process: real Store on a temp-dir SQLite file, real TLS listener on port
// 0, agents as coroutines. A test Stage holds a session open so concurrency rules can be observed.
#include <filesystem>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/reasons.hpp"
#include "net/tls_client.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "net/tls_listener.hpp"
#include "protocol/messages.hpp"
#include "session/session_manager.hpp"

namespace pb {
namespace {

namespace asio = boost::asio;
constexpr std::int64_t kNow = 1'800'000'000;
const std::string kUuid = "6f1c2b3a-1111-4222-8333-944455556666";

// Built outside co_await expressions: GCC 12 rejects a braced json initialiser inside one.
nlohmann::json message(const std::string& type) {
  return nlohmann::json{{"type", type}};
}

// Waits for the agent to say "continue", then reports success: a stand-in for a later stage
// (facts collection, attestation) that talks to the agent.
class HoldStage final : public Stage {
 public:
  std::string_view name() const override { return "hold"; }
  DeviceState successState() const override { return DeviceState::Checked; }
  asio::awaitable<StageOutcome> run(StageContext& ctx) override {
    seenPolicyHash = ctx.policy.hash;
    auto f = co_await ctx.agent.readFrame(ctx.ioTimeout);
    StageOutcome out;
    if (!f.ok()) {
      out.to = DeviceState::Failed;
      out.code = std::string(reason::kPeerClosed);
      out.retryable = true;
      co_return out;
    }
    out.to = DeviceState::Checked;
    co_return out;
  }
  std::string seenPolicyHash;
};

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-session.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = Store::open(dir_ + "/inventory.db", randomBytes(32), clock_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    RegistryRow row;
    row.serial = "PF3ABC12";
    row.smbiosUuid = kUuid;
    row.model = "T14";
    row.owner = "Ada";
    row.ownerEmail = "ada@acme.example";
    row.tenant = "default";
    row.windowFrom = kNow - 3600;
    row.windowUntil = kNow + 3600;
    row.line = 2;
    ASSERT_TRUE(store_->importRegistry({row}, "uid:0", "test.csv").ok());

    ASSERT_TRUE(generateSelfSignedIdentity(dir_ + "/k", dir_ + "/c", "test").ok());
    auto server = makeServerContext(dir_ + "/c", dir_ + "/k");
    ASSERT_TRUE(server.ok());
    auto pin = spkiPinForCertFile(dir_ + "/c");
    client_ = *makeClientContext(*fromHex(*pin));

    auto stage = std::make_unique<HoldStage>();
    stage_ = stage.get();
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(std::move(stage));
    SessionOptions so;
    so.benchId = "t";
    so.ioTimeout = std::chrono::seconds(5);
    sessions_ = std::make_unique<SessionManager>(
        *store_, clock_, log_, so, makePolicySnapshot(defaultPolicy()), std::move(stages));
    ListenerOptions lo;
    lo.maxSessionsPerSource = 16;
    listener_ = std::make_unique<TlsListener>(
        io_.get_executor(), lo, *server,
        [this](std::unique_ptr<FrameTransport> t) { return sessions_->handle(std::move(t)); });
    auto port = listener_->start();
    ASSERT_TRUE(port.ok());
    port_ = *port;
  }
  void TearDown() override {
    listener_->stop();
    std::filesystem::remove_all(dir_);
  }

  asio::awaitable<std::unique_ptr<FrameTransport>> connect() {
    auto c = co_await connectTls(io_.get_executor(), "127.0.0.1", port_, client_,
                                 std::chrono::seconds(5), 1 << 20);
    EXPECT_TRUE(c.ok());
    co_return std::move(*c);
  }
  static asio::awaitable<nlohmann::json> hello(FrameTransport& t, const std::string& uuid) {
    Hello h;
    h.versions = {1};
    h.agent = "test";
    h.identity.serial = "PF3ABC12";
    h.identity.smbiosUuid = uuid;
    co_await t.writeFrame(h.toJson(), std::chrono::seconds(5));
    auto welcome = co_await t.readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(welcome.ok() && (*welcome)["type"] == "welcome");
    auto verdict = co_await t.readFrame(std::chrono::seconds(5));
    co_return verdict.ok() ? *verdict : nlohmann::json{};
  }
  // Runs `body` as the agent side; the listener stops when it ends (or, with stopWhenDone false,
  // when something else stops it, e.g. an observer).
  void runTest(asio::awaitable<void> body, bool stopWhenDone = true) {
    bool done = false;
    asio::co_spawn(io_, std::move(body), [&, stopWhenDone](std::exception_ptr e) {
      done = true;
      if (e) std::rethrow_exception(e);
      if (stopWhenDone) listener_->stop();
    });
    io_.run();
    ASSERT_TRUE(done);
  }
  DeviceRecord device() { return **store_->findDevice("dev-000001"); }

  std::string dir_;
  FixedClock clock_{kNow};
  Logger log_{nullptr};
  std::unique_ptr<Store> store_;
  std::shared_ptr<asio::ssl::context> client_;
  HoldStage* stage_ = nullptr;
  std::unique_ptr<SessionManager> sessions_;
  asio::io_context io_;
  std::unique_ptr<TlsListener> listener_;
  std::uint16_t port_ = 0;
};

TEST_F(SessionTest, IdentifiedIsRecordedBeforeTheAgentHearsIt) {
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto v = co_await hello(*a, kUuid);
    EXPECT_EQ(v["state"], "identified");
    EXPECT_FALSE(v["final"].get<bool>());
    EXPECT_EQ(device().state, DeviceState::Identified);  // durable already
    co_await a->writeFrame(message("continue"), std::chrono::seconds(5));
    auto last = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(last.ok());
    EXPECT_EQ((*last)["state"], "checked");
    EXPECT_TRUE((*last)["final"].get<bool>());
    co_await a->close();
  }());
  EXPECT_EQ(device().state, DeviceState::Checked);
  EXPECT_EQ(sessions_->liveSessions(), 0u);
}

TEST_F(SessionTest, TwoDevicesClaimingOneSerialAtOnceAreBothBlocked) {
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto va = co_await hello(*a, kUuid);
    EXPECT_EQ(va["state"], "identified");
    auto b = co_await connect();
    auto vb = co_await hello(*b, "7d2c91b0-55aa-4e0f-b1c3-0a9e8d7f6c54");
    EXPECT_EQ(vb["state"], "blocked");
    EXPECT_EQ(vb["code"], std::string(reason::kSerialClaimedTwice));
    // The first one is contested too: its next step ends blocked instead of succeeding.
    co_await a->writeFrame(message("continue"), std::chrono::seconds(5));
    auto last = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_EQ((*last)["state"], "blocked");
    EXPECT_EQ((*last)["code"], std::string(reason::kSerialClaimedTwice));
    co_await a->close();
    co_await b->close();
  }());
  EXPECT_EQ(device().state, DeviceState::Blocked);
}

TEST_F(SessionTest, SameDeviceTwiceFailsTheDuplicateWithoutTouchingTheRecord) {
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto va = co_await hello(*a, kUuid);
    EXPECT_EQ(va["state"], "identified") << va.dump();
    auto b = co_await connect();
    auto vb = co_await hello(*b, kUuid);
    EXPECT_EQ(vb["state"], "failed");
    EXPECT_EQ(vb["code"], std::string(reason::kSessionActive));
    EXPECT_TRUE(vb["retryable"].get<bool>());
    EXPECT_EQ(device().state, DeviceState::Identified)
        << device().reasonCode;  // the live session's state stands
    co_await a->writeFrame(message("continue"), std::chrono::seconds(5));
    co_await a->readFrame(std::chrono::seconds(5));
    co_await a->close();
    co_await b->close();
  }());
}

TEST_F(SessionTest, AgentVanishingMidStageFailsRetryable) {
  // The server side notices the close on its own; stop once it has recorded the outcome.
  sessions_->setObserver([this](const SessionEvent& e) {
    if (e.state == DeviceState::Failed) listener_->stop();
  });
  runTest(
      [this]() -> asio::awaitable<void> {
        auto a = co_await connect();
        co_await hello(*a, kUuid);
        co_await a->close();
      }(),
      false);
  EXPECT_EQ(device().state, DeviceState::Failed);
  EXPECT_EQ(device().reasonCode, reason::kPeerClosed);
  EXPECT_TRUE(device().retryable);
}

TEST_F(SessionTest, SessionFinishesUnderThePolicyItStartedWith) {
  const std::string before = sessions_->policy().hash;
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    co_await hello(*a, kUuid);
    Policy p = defaultPolicy();
    p.name = "changed";
    sessions_->setPolicy(makePolicySnapshot(p));
    co_await a->writeFrame(message("continue"), std::chrono::seconds(5));
    co_await a->readFrame(std::chrono::seconds(5));
    co_await a->close();
  }());
  EXPECT_EQ(stage_->seenPolicyHash, before);
  EXPECT_NE(sessions_->policy().hash, before);
}

TEST_F(SessionTest, GarbageFirstFrameGetsErrorAndNoSessionRecord) {
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    co_await a->writeFrame(message("attest"), std::chrono::seconds(5));
    auto e = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(e.ok());
    EXPECT_EQ((*e)["type"], "error");
    EXPECT_EQ((*e)["code"], std::string(reason::kUnexpectedMessage));
    co_await a->close();
  }());
  auto sessions = store_->listSessions(false, 10);
  ASSERT_TRUE(sessions.ok());
  EXPECT_TRUE(sessions->empty());
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

TEST_F(SessionTest, SessionTimeLimitEndsTheSessionRetryable) {
  SessionOptions so;
  so.benchId = "t";
  so.sessionTimeout = std::chrono::milliseconds(0);  // used up before the first stage starts
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<HoldStage>());
  sessions_ = std::make_unique<SessionManager>(
      *store_, clock_, log_, so, makePolicySnapshot(defaultPolicy()), std::move(stages));
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto v = co_await hello(*a, kUuid);
    EXPECT_EQ(v["state"], "identified");
    auto e = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(e.ok());
    if (e.ok()) {
      EXPECT_EQ((*e)["type"], "error");
      EXPECT_EQ((*e)["code"], std::string(reason::kTimeout));
    }
    co_await a->close();
  }());
  EXPECT_EQ(device().state, DeviceState::Failed);
  EXPECT_EQ(device().reasonCode, reason::kTimeout);
  EXPECT_TRUE(device().retryable);
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

// A TLS connection that never sends hello gives its place back after the short hello deadline,
// not after the io timeout, and leaves no session row.
TEST_F(SessionTest, ConnectionThatNeverSaysHelloIsDroppedAtTheHelloDeadline) {
  SessionOptions so;
  so.benchId = "t";
  so.ioTimeout = std::chrono::seconds(600);  // would hold the place for ten minutes
  so.helloTimeout = std::chrono::milliseconds(100);
  sessions_ = std::make_unique<SessionManager>(*store_, clock_, log_, so,
                                               makePolicySnapshot(defaultPolicy()),
                                               std::vector<std::unique_ptr<Stage>>{});
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto end = co_await a->readFrame(std::chrono::seconds(20));
    EXPECT_FALSE(end.ok());
    if (!end.ok()) {
      EXPECT_EQ(end.error().code, reason::kPeerClosed);
    }
    co_await a->close();
  }());
  auto sessions = store_->listSessions(false, 10);
  ASSERT_TRUE(sessions.ok());
  EXPECT_TRUE(sessions->empty());
}

asio::awaitable<nlohmann::json> unregisteredHello(FrameTransport& t, const std::string& serial) {
  Hello h;
  h.versions = {1};
  h.agent = "test";
  h.identity.serial = serial;
  h.identity.smbiosUuid = "4c4c4544-0031-3010-8052-b2c04f4a9999";
  co_await t.writeFrame(h.toJson(), std::chrono::seconds(5));
  auto first = co_await t.readFrame(std::chrono::seconds(5));
  if (!first.ok()) co_return nlohmann::json{};
  if ((*first)["type"] == "error") co_return *first;
  auto verdict = co_await t.readFrame(std::chrono::seconds(5));  // after the welcome
  co_return verdict.ok() ? *verdict : nlohmann::json{};
}

TEST_F(SessionTest, UnregisteredHellosAreRateLimitedPerSourceAndRefusalsAggregated) {
  SessionOptions so;
  so.benchId = "t";
  so.ioTimeout = std::chrono::seconds(5);
  so.unregisteredHellosPerMinute = 0.001;  // no refill within the test
  so.unregisteredHelloBurst = 2;
  sessions_ = std::make_unique<SessionManager>(*store_, clock_, log_, so,
                                               makePolicySnapshot(defaultPolicy()),
                                               std::vector<std::unique_ptr<Stage>>{});
  std::vector<std::string> outcomes;
  runTest([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 6; ++i) {
      auto a = co_await connect();
      auto f = co_await unregisteredHello(*a, "STRANGER-" + std::to_string(i));
      outcomes.push_back(f.value("type", "") == "error" ? f.value("code", "")
                                                        : f.value("code", "") + "/verdict");
      co_await a->close();
    }
    // A registered device from the same address is not limited.
    auto b = co_await connect();
    auto v = co_await hello(*b, kUuid);
    EXPECT_EQ(v["state"], "identified");
    co_await b->close();
  }());
  const std::string limited(reason::kRateLimited);
  EXPECT_EQ(outcomes, (std::vector<std::string>{"PB-1001/verdict", "PB-1001/verdict", limited,
                                                limited, limited, limited}));
  // Only the admitted hellos have session rows.
  auto sessions = store_->listSessions(false, 100);
  ASSERT_TRUE(sessions.ok());
  EXPECT_EQ(sessions->size(), 3u);
  // Four refusals, one audit record (the first, count 1); the rest are in the next record.
  auto countRecords = [&] {
    std::vector<std::uint64_t> counts;
    Result<std::vector<AuditRecord>> tail = store_->auditTail(1000);
    EXPECT_TRUE(tail.ok());
    if (!tail.ok()) return counts;
    for (const auto& r : *tail) {
      if (r.action == "agent.rate_limited") {
        EXPECT_EQ(r.reason, limited);
        EXPECT_EQ(r.details["source"], "127.0.0.1");
        counts.push_back(r.details["refused"].get<std::uint64_t>());
      }
    }
    return counts;
  };
  EXPECT_EQ(countRecords(), (std::vector<std::uint64_t>{1}));
  sessions_->flushRefusals();
  EXPECT_EQ(countRecords(), (std::vector<std::uint64_t>{1, 3}));
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

// A stage with a bug: it throws instead of returning an outcome.
class ThrowingStage final : public Stage {
 public:
  std::string_view name() const override { return "throws"; }
  DeviceState successState() const override { return DeviceState::Checked; }
  asio::awaitable<StageOutcome> run(StageContext&) override {
    throw std::runtime_error("a bug in a stage");
    co_return StageOutcome{};
  }
};

TEST_F(SessionTest, AnInternalExceptionFailsTheSessionAndTellsTheAgent) {
  SessionOptions so;
  so.benchId = "t";
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<ThrowingStage>());
  sessions_ = std::make_unique<SessionManager>(
      *store_, clock_, log_, so, makePolicySnapshot(defaultPolicy()), std::move(stages));
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto v = co_await hello(*a, kUuid);
    EXPECT_EQ(v["state"], "identified");
    auto e = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(e.ok());
    if (e.ok()) {
      EXPECT_EQ((*e)["type"], "error");
      EXPECT_EQ((*e)["code"], std::string(reason::kInternalError));
    }
    co_await a->close();
  }());
  auto sessions = store_->listSessions(false, 10);
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].state, DeviceState::Failed);
  EXPECT_EQ((*sessions)[0].reasonCode, reason::kInternalError);
  EXPECT_FALSE((*sessions)[0].open);  // not left open until the next restart
  EXPECT_EQ(device().state, DeviceState::Failed);
  EXPECT_EQ(device().reasonCode, reason::kInternalError);
  EXPECT_TRUE(device().retryable);
  EXPECT_EQ(sessions_->liveSessions(), 0u);
}

TEST_F(SessionTest, BidiAndNulInAClaimAreRefusedBeforeAnythingIsStored) {
  runTest([this]() -> asio::awaitable<void> {
    for (const std::string& model : {std::string("T14\xE2\x80\xAE"
                                                 "41T"),
                                     std::string("T14\0x", 5)}) {
      auto a = co_await connect();
      Hello h;
      h.versions = {1};
      h.agent = "test";
      h.identity.serial = "PF3ABC12";
      h.identity.smbiosUuid = kUuid;
      h.identity.model = model;
      co_await a->writeFrame(h.toJson(), std::chrono::seconds(5));
      auto e = co_await a->readFrame(std::chrono::seconds(5));
      EXPECT_TRUE(e.ok());
      if (e.ok()) {
        EXPECT_EQ((*e)["type"], "error");
        EXPECT_EQ((*e)["code"], std::string(reason::kMalformedFrame));
        EXPECT_NE((*e)["message"].get<std::string>().find("hello.identity.model"),
                  std::string::npos);
      }
      co_await a->close();
    }
  }());
  auto sessions = store_->listSessions(false, 10);
  ASSERT_TRUE(sessions.ok());
  EXPECT_TRUE(sessions->empty());
  EXPECT_FALSE(device().state.has_value());
}

TEST_F(SessionTest, TheSameDeviceWithItsSerialInAnotherCaseIsADuplicate) {
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto va = co_await hello(*a, kUuid);
    EXPECT_EQ(va["state"], "identified");
    auto b = co_await connect();
    Hello h;
    h.versions = {1};
    h.agent = "test";
    h.identity.serial = "pf3abc12";
    h.identity.smbiosUuid = kUuid;
    co_await b->writeFrame(h.toJson(), std::chrono::seconds(5));
    co_await b->readFrame(std::chrono::seconds(5));  // welcome
    auto vb = co_await b->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(vb.ok());
    if (vb.ok()) {
      EXPECT_EQ((*vb)["code"], std::string(reason::kSessionActive));
    }
    EXPECT_EQ(device().state, DeviceState::Identified);
    co_await a->writeFrame(message("continue"), std::chrono::seconds(5));
    co_await a->readFrame(std::chrono::seconds(5));
    co_await a->close();
    co_await b->close();
  }());
  EXPECT_EQ(device().state, DeviceState::Checked);
}

// The second attack: an agent presenting an attested device's serial and UUID without its
// TPM. The device was enrolled at attestation, so the claim is quarantined for re-enrollment, on
// the session only: the device record stays attested with its EK.
TEST_F(SessionTest, AClaimWithoutTheTpmLeavesAnAttestedDeviceAttested) {
  SessionRecord first;
  first.deviceId = "dev-000001";
  first.source = "127.0.0.1:1";
  auto created = store_->createSession(first, "session:test");
  ASSERT_TRUE(created.ok());
  Transition t;
  t.sessionId = created->id;
  t.deviceId = "dev-000001";
  t.to = DeviceState::Attested;
  t.closeSession = true;
  t.bindEkSha256 = std::string(64, 'e');
  t.actor = "session:" + created->id;
  t.action = "attest.attested";
  ASSERT_TRUE(store_->applyTransition(t).ok());
  const DeviceRecord before = device();
  ASSERT_NE(before.enrolledAt, 0);

  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto v = co_await hello(*a, kUuid);
    EXPECT_EQ(v["state"], "quarantined");
    EXPECT_EQ(v["code"], std::string(reason::kReEnrollment));
    co_await a->close();
  }());
  const DeviceRecord after = device();
  EXPECT_EQ(after.state, DeviceState::Attested);
  EXPECT_EQ(after.reasonCode, "");
  EXPECT_EQ(after.boundEkSha256, std::string(64, 'e'));
  EXPECT_EQ(after.lastSessionId, created->id);
  EXPECT_EQ(after.updatedAt, before.updatedAt);
}

// A stage that attests with a fixed EK without looking anything up: the store must refuse the
// binding when another device holds that EK, and the session must end quarantined PB-1023.
class BindingStage final : public Stage {
 public:
  std::string_view name() const override { return "attest"; }
  DeviceState successState() const override { return DeviceState::Attested; }
  asio::awaitable<StageOutcome> run(StageContext&) override {
    StageOutcome out;
    out.to = DeviceState::Attested;
    out.bindEkSha256 = std::string(64, 'f');
    co_return out;
  }
};

TEST_F(SessionTest, ABindingTheStoreRefusesIsQuarantinedNotAnInternalError) {
  RegistryRow other;
  other.serial = "PF3OTHER";
  other.smbiosUuid = "0b6f1c2e-4d5a-4e3b-9c8d-7a6b5c4d3e2f";
  other.model = "T14";
  other.owner = "Bob";
  other.ownerEmail = "bob@acme.example";
  other.tenant = "default";
  other.ekSha256 = std::string(64, 'f');  // the register says this TPM is PF3OTHER's
  other.windowFrom = kNow - 3600;
  other.windowUntil = kNow + 3600;
  other.line = 3;
  ASSERT_TRUE(store_->importRegistry({other}, "uid:0", "more.csv").ok());
  SessionOptions so;
  so.benchId = "t";
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<BindingStage>());
  sessions_ = std::make_unique<SessionManager>(
      *store_, clock_, log_, so, makePolicySnapshot(defaultPolicy()), std::move(stages));
  runTest([this]() -> asio::awaitable<void> {
    auto a = co_await connect();
    auto v = co_await hello(*a, kUuid);
    EXPECT_EQ(v["state"], "identified");
    auto last = co_await a->readFrame(std::chrono::seconds(5));
    EXPECT_TRUE(last.ok());
    if (last.ok()) {
      EXPECT_EQ((*last)["type"], "verdict");
      EXPECT_EQ((*last)["state"], "quarantined");
      EXPECT_EQ((*last)["code"], std::string(reason::kEkBoundElsewhere));
      EXPECT_TRUE((*last)["final"].get<bool>());
    }
    co_await a->close();
  }());
  EXPECT_EQ(device().state, DeviceState::Quarantined);
  EXPECT_EQ(device().reasonCode, reason::kEkBoundElsewhere);
  EXPECT_EQ(device().boundEkSha256, "");
}

}  // namespace
}  // namespace pb
