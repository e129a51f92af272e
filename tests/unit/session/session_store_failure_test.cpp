// SPDX-License-Identifier: Apache-2.0
// Every store-failure branch of the session manager, without TLS: the agent is an in-memory
// transport (tests/support/memory_transport.hpp) and the real SQLite store sits behind a
// decorator that fails one chosen call (tests/support/failing_store.hpp). Whatever call fails, the
// agent hears an answer (an error frame or its verdict), nothing hangs, and no step is recorded
// after the failed one.
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "core/reasons.hpp"
#include "protocol/messages.hpp"
#include "session/session_manager.hpp"
#include "support/failing_store.hpp"
#include "support/memory_transport.hpp"
#include "support/temp_dir.hpp"

namespace pb {
namespace {

namespace asio = boost::asio;
constexpr std::int64_t kNow = 1'800'000'000;
const std::string kUuid = "6f1c2b3a-1111-4222-8333-944455556666";
constexpr auto kIo = std::chrono::seconds(5);

// Succeeds at once, or throws (a bug in a stage), or asks to bind an EK.
class QuickStage final : public Stage {
 public:
  enum class Mode { Pass, Throw, BindEk };
  explicit QuickStage(Mode mode) : mode_(mode) {}
  std::string_view name() const override { return "quick"; }
  DeviceState successState() const override {
    return mode_ == Mode::BindEk ? DeviceState::Attested : DeviceState::Checked;
  }
  asio::awaitable<StageOutcome> run(StageContext& /*ctx*/) override {
    if (mode_ == Mode::Throw) throw std::runtime_error("stage bug");
    StageOutcome out;
    out.to = successState();
    if (mode_ == Mode::BindEk) out.bindEkSha256 = std::string(64, 'e');
    co_return out;
  }

 private:
  Mode mode_;
};

struct AgentView {
  std::vector<nlohmann::json> frames;  // everything the appliance said, in order
  [[nodiscard]] const nlohmann::json& last() const { return frames.back(); }
};

class SessionStoreFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_.file("inventory.db"), randomBytes(32), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    real_ = std::move(*s);
    failing_ = std::make_unique<test::FailingStore>(*real_);
  }
  void addDevice(const std::string& ek = "") {
    RegistryRow row;
    row.serial = "PF3ABC12";
    row.smbiosUuid = kUuid;
    row.model = "T14";
    row.owner = "Ada";
    row.ownerEmail = "ada@acme.example";
    row.tenant = "default";
    row.ekSha256 = ek;
    row.windowFrom = kNow - 3600;
    row.windowUntil = kNow + 3600;
    row.line = 2;
    ASSERT_TRUE(real_->importRegistry({row}, "uid:0", "test.csv").ok());
  }
  std::unique_ptr<SessionManager> manager(QuickStage::Mode mode, SessionOptions so = {}) {
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(std::make_unique<QuickStage>(mode));
    so.benchId = "t";
    so.ioTimeout = kIo;
    return std::make_unique<SessionManager>(*failing_, clock_, log_, so,
                                            makePolicySnapshot(defaultPolicy()), std::move(stages));
  }
  // One agent: sends hello, then reads until the appliance closes.
  AgentView run(SessionManager& m, const std::string& serial = "PF3ABC12") {
    asio::io_context io;
    auto pair = test::makeTransportPair(io.get_executor(), "10.0.0.7");
    AgentView view;
    asio::co_spawn(io, m.handle(std::move(pair.appliance)), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    FrameTransport& agent = *pair.agent;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Hello h;
          h.versions = {1};
          h.agent = "test";
          h.identity.serial = serial;
          h.identity.smbiosUuid = kUuid;
          (void)co_await agent.writeFrame(h.toJson(), kIo);
          for (;;) {
            auto f = co_await agent.readFrame(kIo);
            if (!f.ok()) break;
            view.frames.push_back(*f);
          }
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    return view;
  }
  std::vector<SessionRecord> sessions() { return *real_->listSessions(false, 0); }

  test::TempDir dir_{"pb-session-fail"};
  FixedClock clock_{kNow};
  Logger log_{nullptr};
  std::unique_ptr<Store> real_;
  std::unique_ptr<test::FailingStore> failing_;
};

TEST_F(SessionStoreFailureTest, EveryCallOfAGoodSessionFailingStillAnswersTheAgent) {
  addDevice();
  auto m = manager(QuickStage::Mode::Pass);
  AgentView good = run(*m);
  ASSERT_FALSE(good.frames.empty());
  EXPECT_EQ(good.last()["type"], "verdict");
  EXPECT_EQ(good.last()["state"], "checked");
  const std::vector<std::string> calls = failing_->calls();
  // findDeviceBySerial, createSession, activeApproval, admission step, stage step.
  ASSERT_EQ(calls.size(), 5u) << ::testing::PrintToString(calls);

  for (std::size_t n = 1; n <= calls.size(); ++n) {
    SCOPED_TRACE("failing call " + std::to_string(n) + " (" + calls[n - 1] + ")");
    const std::size_t before = sessions().size();
    failing_->failCall(n);
    AgentView view = run(*m);
    EXPECT_EQ(failing_->failed(), calls[n - 1]);
    ASSERT_FALSE(view.frames.empty());
    const std::vector<SessionRecord> after = sessions();
    if (calls[n - 1] == "activeApproval") {
      // Admission runs without an approval (none was needed): the session completes.
      EXPECT_EQ(view.last()["type"], "verdict");
      EXPECT_EQ(view.last()["state"], "checked");
      continue;
    }
    EXPECT_EQ(view.last()["type"], "error") << view.last().dump();
    EXPECT_EQ(view.last()["code"], reason::kInternalError);
    if (calls[n - 1] == "findDeviceBySerial" || calls[n - 1] == "createSession") {
      EXPECT_EQ(after.size(), before) << "nothing was recorded";
      EXPECT_EQ(view.frames.size(), 1u);  // not even welcome
      continue;
    }
    ASSERT_EQ(after.size(), before + 1);
    // No step after the failed one: the session stays where the last good step left it (open;
    // benchd fails it at the next start, failOpenSessions).
    const SessionRecord& s = after.front();  // newest first
    EXPECT_TRUE(s.open);
    EXPECT_EQ(s.state, n == 4 ? DeviceState::Discovered : DeviceState::Identified);
  }
}

TEST_F(SessionStoreFailureTest, AFailedRecordOfALostPeerEndsQuietly) {
  addDevice();
  auto m = manager(QuickStage::Mode::Pass);
  failing_->failMethod("applyTransition");
  asio::io_context io;
  auto pair = test::makeTransportPair(io.get_executor());
  FrameTransport& agent = *pair.agent;
  asio::co_spawn(io, m->handle(std::move(pair.appliance)), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Hello h;
        h.versions = {1};
        h.agent = "test";
        h.identity.serial = "PF3ABC12";
        h.identity.smbiosUuid = kUuid;
        (void)co_await agent.writeFrame(h.toJson(), kIo);
        co_await agent.close();  // gone before the welcome
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  EXPECT_EQ(failing_->failed(), "applyTransition");  // the session.peer_lost record
  ASSERT_EQ(sessions().size(), 1u);
  EXPECT_EQ(sessions()[0].state, DeviceState::Discovered);
}

TEST_F(SessionStoreFailureTest, AFailedTimeoutRecordStillTellsTheAgent) {
  addDevice();
  SessionOptions so;
  so.sessionTimeout = std::chrono::milliseconds(0);  // out of time before the first stage
  auto m = manager(QuickStage::Mode::Pass, so);
  failing_->failMethod("applyTransition", 2);  // admission is recorded, the timeout is not
  AgentView view = run(*m);
  EXPECT_EQ(failing_->failed(), "applyTransition");
  ASSERT_FALSE(view.frames.empty());
  EXPECT_EQ(view.last()["type"], "error");
  EXPECT_EQ(view.last()["code"], reason::kTimeout);
  EXPECT_EQ(sessions()[0].state, DeviceState::Identified);
}

TEST_F(SessionStoreFailureTest, AFailedRecordAfterAStageBugStillTellsTheAgent) {
  addDevice();
  auto m = manager(QuickStage::Mode::Throw);
  failing_->failMethod("applyTransition", 2);  // the session.internal_error record
  AgentView view = run(*m);
  EXPECT_EQ(failing_->failed(), "applyTransition");
  ASSERT_FALSE(view.frames.empty());
  EXPECT_EQ(view.last()["type"], "error");
  EXPECT_EQ(view.last()["code"], reason::kInternalError);
  EXPECT_EQ(sessions()[0].state, DeviceState::Identified);
  EXPECT_TRUE(sessions()[0].open);
}

TEST_F(SessionStoreFailureTest, AFailedQuarantineAfterARefusedEkBindingIsAnInternalError) {
  addDevice();
  // Another device holds the EK in the register: the store refuses the binding (PB-1023), the
  // manager records the quarantine instead, and that record fails too.
  RegistryRow other;
  other.serial = "OTHER-1";
  other.smbiosUuid = "6f1c2b3a-1111-4222-8333-944455550000";
  other.model = "T14";
  other.owner = "Bob";
  other.ownerEmail = "bob@acme.example";
  other.tenant = "default";
  other.ekSha256 = std::string(64, 'e');
  other.windowFrom = kNow - 3600;
  other.windowUntil = kNow + 3600;
  other.line = 3;
  ASSERT_TRUE(real_->importRegistry({other}, "uid:0", "other.csv").ok());
  auto m = manager(QuickStage::Mode::BindEk);
  failing_->failMethod("applyTransition", 3);  // admission ok, binding refused, quarantine fails
  AgentView view = run(*m);
  EXPECT_EQ(failing_->failed(), "applyTransition");
  ASSERT_FALSE(view.frames.empty());
  EXPECT_EQ(view.last()["type"], "error");
  EXPECT_EQ(view.last()["code"], reason::kInternalError);
  EXPECT_EQ(sessions()[0].state, DeviceState::Identified);
}

TEST_F(SessionStoreFailureTest, AFailedRefusalAuditStillRefusesTheHello) {
  SessionOptions so;
  so.unregisteredHelloBurst = 1;  // one unregistered hello, then refusals
  so.unregisteredHellosPerMinute = 0.001;
  auto m = manager(QuickStage::Mode::Pass, so);
  (void)run(*m, "NOT-REGISTERED");
  const std::size_t before = sessions().size();
  failing_->failMethod("appendAudit");
  AgentView view = run(*m, "NOT-REGISTERED");
  EXPECT_EQ(failing_->failed(), "appendAudit");
  ASSERT_FALSE(view.frames.empty());
  EXPECT_EQ(view.last()["type"], "error");
  EXPECT_EQ(view.last()["code"], reason::kRateLimited);
  EXPECT_EQ(sessions().size(), before);  // refused before any row
}

}  // namespace
}  // namespace pb
