// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/reasons.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

const Bytes kKey(32, 0x42);

class CheckResultsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-checkstore-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto r = Store::open(dir_ + "/inventory.db", kKey, clock_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r).value();
    RegistryRow row;
    row.serial = "SN-1";
    row.smbiosUuid = "4c4c4544-0031-3410-8033-b2c04f4e3201";
    row.model = "Latitude 7440";
    row.owner = "Alice";
    row.ownerEmail = "alice@example.org";
    row.tenant = "lab";
    row.windowFrom = 0;
    row.windowUntil = clock_.nowUnix() + 86400;
    row.line = 2;
    auto imported = store_->importRegistry({row}, "uid:0", "register.csv");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    deviceId_ = imported->devices.at(0).id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string newSession() {
    SessionRecord init;
    init.deviceId = deviceId_;
    init.source = "192.0.2.10";
    auto s = store_->createSession(init, "session:new");
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->id : "";
  }

  CheckRun run(const std::string& sessionId, const std::string& failing = "") {
    CheckRun r;
    r.sessionId = sessionId;
    r.deviceId = deviceId_;
    r.policyHash = std::string(64, 'a');
    r.checks = {{"amt.presence", "pass", "", "AMT present", ""},
                {"amt.thumbprints", failing.empty() ? "pass" : "fail",
                 failing.empty() ? "" : failing, "msg", failing.empty() ? "" : "reflash"},
                {"tpm.present", "missing_data", "PB-2090", "no TPM facts", "run as root"}};
    return r;
  }

  std::string dir_;
  FixedClock clock_{1'780'000'000};
  std::unique_ptr<Store> store_;
  std::string deviceId_;
};

TEST_F(CheckResultsStoreTest, RecordsAndReadsBackInOrderWithPolicyHashAndAudit) {
  const std::string s = newSession();
  auto st = store_->recordCheckRun(run(s, "PB-2004"), "session:" + s);
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto back = store_->checkRunForSession(s);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->has_value());
  const CheckRun& r = **back;
  EXPECT_EQ(r.deviceId, deviceId_);
  EXPECT_EQ(r.policyHash, std::string(64, 'a'));
  EXPECT_EQ(r.recordedAt, clock_.nowUnix());
  ASSERT_EQ(r.checks.size(), 3U);
  EXPECT_EQ(r.checks[0].checkId, "amt.presence");
  EXPECT_EQ(r.checks[1].outcome, "fail");
  EXPECT_EQ(r.checks[1].code, "PB-2004");
  EXPECT_EQ(r.checks[2].remediation, "run as root");

  auto audit = store_->auditForDevice(deviceId_, 0);
  ASSERT_TRUE(audit.ok());
  const AuditRecord& last = audit->back();
  EXPECT_EQ(last.action, "checks.recorded");
  EXPECT_EQ(last.sessionId, s);
  EXPECT_EQ(last.details["counts"]["fail"], 1);
  EXPECT_EQ(last.details["not_passed"]["amt.thumbprints"], "PB-2004");
  auto verify = store_->verifyAudit();
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->ok);
}

TEST_F(CheckResultsStoreTest, LatestRunForDeviceIsTheNewestSession) {
  auto none = store_->latestCheckRunForDevice(deviceId_);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  const std::string first = newSession();
  ASSERT_TRUE(store_->recordCheckRun(run(first, "PB-2004"), "t").ok());
  clock_.set(clock_.nowUnix() + 60);
  const std::string second = newSession();
  ASSERT_TRUE(store_->recordCheckRun(run(second), "t").ok());
  auto latest = store_->latestCheckRunForDevice(deviceId_);
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->sessionId, second);
}

TEST_F(CheckResultsStoreTest, RefusesReplayUnknownSessionAndBadOutcomeWholly) {
  const std::string s = newSession();
  ASSERT_TRUE(store_->recordCheckRun(run(s), "t").ok());
  auto again = store_->recordCheckRun(run(s), "t");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, reason::kAdminConflict);

  auto unknown = store_->recordCheckRun(run("s-0000000000000000"), "t");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, reason::kAdminNotFound);

  const std::string other = newSession();
  CheckRun bad = run(other);
  bad.checks[2].outcome = "maybe";
  EXPECT_FALSE(store_->recordCheckRun(bad, "t").ok());
  auto nothing = store_->checkRunForSession(other);
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->has_value()) << "a failed run leaves no rows behind";

  CheckRun dup = run(other);
  dup.checks.push_back(dup.checks[0]);
  EXPECT_FALSE(store_->recordCheckRun(dup, "t").ok());
}

}  // namespace
}  // namespace pb
