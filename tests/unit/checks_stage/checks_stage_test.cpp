// SPDX-License-Identifier: Apache-2.0
// The checks stage against a scripted agent: an in-memory FrameTransport that answers the
// facts_request the way a test tells it to (good facts, spoiled facts, garbage, silence).
#include "checks/checks_stage.hpp"

#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/reasons.hpp"
#include "policy/evaluate.hpp"
#include "protocol/device_facts_json.hpp"
#include "protocol/messages.hpp"
#include "session/policy_snapshot.hpp"
#include "session/session_manager.hpp"
#include "test_facts.hpp"

namespace pb {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// The agent side: every written frame is kept; reads are answered by `reply` from what was written.
class ScriptedAgent final : public FrameTransport {
 public:
  std::function<Result<json>(const std::vector<json>& written)> reply;
  std::vector<json> written;
  std::vector<json>* copyTo = nullptr;  // survives the transport (SessionManager owns it)
  bool failWrites = false;

  asio::awaitable<Result<json>> readFrame(std::chrono::milliseconds) override {
    co_return reply(written);
  }
  asio::awaitable<Status> writeFrame(const json& msg, std::chrono::milliseconds) override {
    if (failWrites) co_return makeError(std::string(reason::kPeerClosed), "closed");
    written.push_back(msg);
    if (copyTo != nullptr) copyTo->push_back(msg);
    co_return Status{};
  }
  asio::awaitable<void> close() override { co_return; }
  std::string peerAddress() const override { return "192.0.2.10"; }
};

class ChecksStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-checks-stage-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::open(dir_ + "/inventory.db", Bytes(32, 7), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    SessionRecord init;
    init.source = "192.0.2.10";
    auto created = store_->createSession(init, "session:new");
    ASSERT_TRUE(created.ok());
    session_ = *created;
    identity_ = test::goodFacts().identity;
    policy_ = makePolicySnapshot(test::goodPolicy());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Agent answers with these facts (as JSON, so tests can also send broken ones).
  void answerWith(json facts) {
    agent_.reply = [facts = std::move(facts)](const std::vector<json>& written) -> Result<json> {
      if (written.empty() || written.back().value("type", "") != "facts_request") {
        return makeError(std::string(reason::kTimeout), "no request seen");
      }
      return json{{"type", "facts"}, {"facts", facts}};
    };
  }

  StageOutcome runStage() {
    ChecksStage stage(*store_);
    std::optional<DeviceRecord> noDevice;
    StageContext ctx{session_, noDevice, identity_, *policy_,
                     agent_,   clock_,   log_,      std::chrono::milliseconds(1000)};
    StageOutcome out;
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          out = co_await stage.run(ctx);
          done = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io_.run();
    EXPECT_TRUE(done);
    return out;
  }

  std::optional<CheckRun> stored() {
    auto r = store_->checkRunForSession(session_.id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }

  std::string dir_;
  FixedClock clock_{1'780'000'000};
  std::FILE* devNull_ = std::fopen("/dev/null", "w");
  Logger log_{devNull_};
  std::unique_ptr<Store> store_;
  SessionRecord session_;
  IdentityFacts identity_;
  std::shared_ptr<const PolicySnapshot> policy_;
  ScriptedAgent agent_;
  asio::io_context io_;

 public:
  ~ChecksStageTest() override { std::fclose(devNull_); }
};

TEST_F(ChecksStageTest, AllPassIsCheckedAndResultsAreStoredWithThePolicyHash) {
  answerWith(toJson(test::goodFacts()));
  StageOutcome out = runStage();
  EXPECT_EQ(out.to, DeviceState::Checked);
  EXPECT_TRUE(out.code.empty());
  ASSERT_EQ(agent_.written.size(), 1U);
  EXPECT_EQ(agent_.written[0], json({{"type", "facts_request"}}));
  auto run = stored();
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->policyHash, policy_->hash);
  EXPECT_EQ(run->checks.size(), allCheckIds().size());
}

TEST_F(ChecksStageTest, WarningsDoNotBlock) {
  DeviceFacts f = test::goodFacts();
  f.amt->hashes[2].isActive = false;  // amt.thumbprints warns: nothing active
  answerWith(toJson(f));
  EXPECT_EQ(runStage().to, DeviceState::Checked);
}

TEST_F(ChecksStageTest, FirstFailureGivesTheCodeEvenAfterMissingData) {
  DeviceFacts f = test::goodFacts();
  f.amt->provisioningState.clear();  // missing_data, earlier in the list
  f.amt->hashes[0].isActive = true;  // fail: Go Daddy active
  answerWith(toJson(f));
  StageOutcome out = runStage();
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, reason::kAmtForeignThumbprint);
  EXPECT_FALSE(out.retryable);
  EXPECT_NE(out.details["detail"].get<std::string>().find("Go Daddy Class 2 CA"),
            std::string::npos);
  auto run = stored();
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->checks[3].checkId, "amt.thumbprints");
  EXPECT_EQ(run->checks[3].outcome, "fail");
}

TEST_F(ChecksStageTest, MissingDataFailsClosed) {
  DeviceFacts f = test::goodFacts();
  f.firmware->secureBoot.reset();
  answerWith(toJson(f));
  StageOutcome out = runStage();
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, reason::kCheckMissingData);
  EXPECT_TRUE(out.retryable);
}

TEST_F(ChecksStageTest, IdentityComesFromTheHelloNotTheFactsMessage) {
  DeviceFacts f = test::goodFacts();
  f.identity.serial = "SOMEONE-ELSE";
  answerWith(toJson(f));
  EXPECT_EQ(runStage().to, DeviceState::Checked);
}

TEST_F(ChecksStageTest, MalformedFactsFailWithFactsMalformedAndStoreNothing) {
  json bad = toJson(test::goodFacts());
  bad["amt"]["config_server_port"] = "9971";
  answerWith(bad);
  StageOutcome out = runStage();
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, reason::kFactsMalformed);
  EXPECT_FALSE(stored().has_value());
}

TEST_F(ChecksStageTest, WrongMessageTypeMissingBodyAndSilenceFail) {
  agent_.reply = [](const std::vector<json>&) -> Result<json> { return json{{"type", "hello"}}; };
  EXPECT_EQ(runStage().code, reason::kUnexpectedMessage);
  io_.restart();
  agent_.reply = [](const std::vector<json>&) -> Result<json> { return json{{"type", "facts"}}; };
  EXPECT_EQ(runStage().code, reason::kFactsMalformed);
  io_.restart();
  agent_.reply = [](const std::vector<json>&) -> Result<json> {
    return makeError(std::string(reason::kTimeout), "timed out");
  };
  StageOutcome silent = runStage();
  EXPECT_EQ(silent.to, DeviceState::Failed);
  EXPECT_EQ(silent.code, reason::kTimeout);
  EXPECT_TRUE(silent.retryable);
  io_.restart();
  agent_.failWrites = true;
  EXPECT_EQ(runStage().code, reason::kPeerClosed);
  EXPECT_FALSE(stored().has_value());
}

TEST_F(ChecksStageTest, ASecondRunForTheSessionCannotOverwriteTheFirst) {
  answerWith(toJson(test::goodFacts()));
  EXPECT_EQ(runStage().to, DeviceState::Checked);
  io_.restart();
  StageOutcome again = runStage();
  EXPECT_EQ(again.to, DeviceState::Failed);
  EXPECT_EQ(again.code, reason::kInternalError);
}

// The whole path below the network: Hello -> admission -> ChecksStage -> durable state, stored
// results and the verdicts the agent hears.
TEST_F(ChecksStageTest, ThroughTheSessionManagerAFailedCheckIsDurableAndExplained) {
  RegistryRow row;
  row.serial = identity_.serial;
  row.smbiosUuid = identity_.smbiosUuid;
  row.model = identity_.model;
  row.owner = "Alice";
  row.ownerEmail = "alice@example.org";
  row.tenant = policy_->policy.tenantId;
  row.windowFrom = 0;
  row.windowUntil = clock_.nowUnix() + 86400;
  row.line = 2;
  auto imported = store_->importRegistry({row}, "uid:0", "register.csv");
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const std::string deviceId = imported->devices.at(0).id;

  DeviceFacts f = test::goodFacts();
  f.amt->hashes[1].isActive = true;  // VeriSign G5 active
  std::vector<json> heard;
  auto agent = std::make_unique<ScriptedAgent>();
  agent->copyTo = &heard;
  Hello hello;
  hello.versions = {1};
  hello.agent = "bench-agent/test";
  hello.identity = identity_;
  agent->reply = [hello, facts = toJson(f)](const std::vector<json>& written) -> Result<json> {
    if (written.empty()) return hello.toJson();
    if (written.back().value("type", "") == "facts_request") {
      return json{{"type", "facts"}, {"facts", facts}};
    }
    return makeError(std::string(reason::kPeerClosed), "agent done");
  };
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<ChecksStage>(*store_));
  SessionOptions opt;
  opt.benchId = "bench-test";
  SessionManager sessions(*store_, clock_, log_, opt, policy_, std::move(stages));
  asio::co_spawn(io_, sessions.handle(std::move(agent)), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io_.run();

  auto device = store_->findDevice(deviceId);
  ASSERT_TRUE(device.ok() && device->has_value());
  EXPECT_EQ((*device)->state, DeviceState::Failed);
  EXPECT_EQ((*device)->reasonCode, reason::kAmtForeignThumbprint);
  auto run = store_->latestCheckRunForDevice(deviceId);
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->policyHash, policy_->hash);
  ASSERT_FALSE(heard.empty());
  const json& last = heard.back();
  EXPECT_EQ(last.value("type", ""), "verdict");
  EXPECT_EQ(last.value("state", ""), "failed");
  EXPECT_EQ(last.value("code", ""), reason::kAmtForeignThumbprint);
  EXPECT_EQ(last.value("final", false), true);
}

}  // namespace
}  // namespace pb
