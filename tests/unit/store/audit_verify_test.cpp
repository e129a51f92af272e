// SPDX-License-Identifier: Apache-2.0
// Incremental audit verification (the MACed verified head, migration 5), the read-only
// connection, and the aggregate counts behind `status`. One temporary directory per test; raw
// sqlite3 only where the test plays someone who can write the database file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/audit_chain.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

const Bytes kKey(32, 0x42);

class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-audit-verify-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dbPath() const { return dir_ + "/inventory.db"; }
  void reopen() {
    store_.reset();
    auto r = Store::open(dbPath(), kKey, clock_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    store_ = std::move(r).value();
  }
  void append(int n) {
    for (int i = 0; i < n; ++i) {
      AuditRecord r;
      r.actor = "benchd";
      r.action = "test.record";
      r.details = {{"i", i}};
      ASSERT_TRUE(store_->appendAudit(r).ok());
    }
  }
  AuditVerifyReport incremental() {
    auto r = store_->verifyAuditIncremental();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : AuditVerifyReport{};
  }
  AuditVerifyReport full() {
    auto r = store_->verifyAudit();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : AuditVerifyReport{};
  }
  // Verifies incrementally and remembers the head, as `audit verify` does.
  void verifyAndRecord() {
    auto r = incremental();
    ASSERT_TRUE(r.ok) << r.problem;
    ASSERT_TRUE(store_->recordVerifiedHead(r.headSeq, r.headHash).ok());
  }
  // As someone with write access to the file (the store is closed meanwhile).
  void tamper(const std::string& sqlText) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sqlText.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    reopen();
  }
  static constexpr const char* kDropGuards =
      "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";

  std::string dir_;
  FixedClock clock_{1'780'000'000};
  std::unique_ptr<Store> store_;
};

TEST_F(AuditVerifyTest, WithoutAHeadTheFirstRunChecksEverything) {
  append(5);
  auto r = incremental();
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.full);
  EXPECT_EQ(r.records, 5);
  EXPECT_EQ(r.headSeq, 5);
  EXPECT_EQ(r.fromSeq, 1);
}

TEST_F(AuditVerifyTest, AfterAHeadOnlyNewRecordsAreChecked) {
  append(5);
  verifyAndRecord();
  append(3);
  auto r = incremental();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_FALSE(r.full);
  EXPECT_EQ(r.fromSeq, 6);
  EXPECT_EQ(r.records, 3);
  EXPECT_EQ(r.headSeq, 8);
  EXPECT_EQ(r.headHash, full().headHash);
  // Nothing new: still intact, nothing read, the head is reported.
  verifyAndRecord();
  auto again = incremental();
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.records, 0);
  EXPECT_EQ(again.headSeq, 8);
}

TEST_F(AuditVerifyTest, TamperedRecordAfterTheHeadIsDetected) {
  append(4);
  verifyAndRecord();
  append(4);
  tamper(std::string(kDropGuards) + "UPDATE audit SET actor = 'uid:0' WHERE seq = 6;");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.firstBadSeq, 6);
  EXPECT_NE(r.problem.find("edited"), std::string::npos) << r.problem;
}

TEST_F(AuditVerifyTest, RecordAfterTheHeadThatDoesNotLinkToItIsDetected) {
  append(4);
  verifyAndRecord();
  append(2);
  tamper(std::string(kDropGuards) + "UPDATE audit SET prev_hash = '" + std::string(64, 'a') +
         "' WHERE seq = 5;");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.firstBadSeq, 5);
}

TEST_F(AuditVerifyTest, TamperedRecordBeforeTheHeadNeedsFull) {
  append(6);
  verifyAndRecord();
  tamper(std::string(kDropGuards) + "UPDATE audit SET actor = 'uid:0' WHERE seq = 3;");
  // The documented trade-off: the incremental run does not re-read record 3 …
  EXPECT_TRUE(incremental().ok);
  // … the full run does.
  auto r = full();
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.full);
  EXPECT_EQ(r.firstBadSeq, 3);
}

TEST_F(AuditVerifyTest, EditedHeadRecordIsDetected) {
  append(6);
  verifyAndRecord();
  tamper(std::string(kDropGuards) + "UPDATE audit SET actor = 'uid:0' WHERE seq = 6;");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.firstBadSeq, 6);
}

TEST_F(AuditVerifyTest, LogCutBackBelowTheHeadIsDetected) {
  append(6);
  verifyAndRecord();
  tamper(std::string(kDropGuards) + "DELETE FROM audit WHERE seq >= 5;");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.firstBadSeq, 6);
  EXPECT_NE(r.problem.find("missing"), std::string::npos) << r.problem;
}

TEST_F(AuditVerifyTest, ForgedHeadMovedForwardIsDetected) {
  // The attack: edit record 7, then claim everything up to 10 was already verified, pointing the
  // head at the genuine record 10 so the edit is never re-read.
  append(4);
  verifyAndRecord();
  append(6);
  auto genuine = full();
  ASSERT_TRUE(genuine.ok);
  tamper(std::string(kDropGuards) + "UPDATE audit SET actor = 'uid:0' WHERE seq = 7;" +
         "UPDATE audit_verified SET seq = 10, hash = '" + genuine.headHash + "';");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("verified-head marker"), std::string::npos) << r.problem;
}

TEST_F(AuditVerifyTest, HeadWithAMacMadeWithAnotherKeyIsDetected) {
  append(3);
  auto genuine = full();
  auto otherKeyMac = computeVerifiedHeadMac(Bytes(32, 0x01), 3, genuine.headHash, 5);
  ASSERT_TRUE(otherKeyMac.ok());
  const std::string mac = *otherKeyMac;
  tamper("INSERT INTO audit_verified (id, seq, hash, verified_at, mac) VALUES (1, 3, '" +
         genuine.headHash + "', 5, '" + mac + "');");
  auto r = incremental();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("verified-head marker"), std::string::npos) << r.problem;
  // A full verification finds the chain intact and replaces the bad marker.
  auto f = full();
  ASSERT_TRUE(f.ok);
  ASSERT_TRUE(store_->recordVerifiedHead(f.headSeq, f.headHash).ok());
  EXPECT_TRUE(incremental().ok);
}

TEST_F(AuditVerifyTest, HeadNeverMovesBackwards) {
  append(5);
  verifyAndRecord();
  auto before = full();
  ASSERT_TRUE(store_->recordVerifiedHead(2, "x").ok());  // ignored: the head is at 5
  auto r = incremental();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.fromSeq, 6);
  EXPECT_EQ(r.headHash, before.headHash);
}

TEST_F(AuditVerifyTest, ReadOnlyConnectionVerifiesButCannotWrite) {
  append(3);
  verifyAndRecord();
  append(2);
  auto ro = Store::openReadOnly(dbPath(), kKey, clock_);
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  auto r = (*ro)->verifyAuditIncremental();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->records, 2);
  EXPECT_FALSE((*ro)->recordVerifiedHead(r->headSeq, r->headHash).ok());
  AuditRecord rec;
  rec.actor = "benchd";
  rec.action = "test.record";
  EXPECT_FALSE((*ro)->appendAudit(rec).ok());
  // The writer keeps writing while the reader is open (WAL).
  append(1);
  auto again = (*ro)->verifyAudit();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records, 6);
}

TEST_F(AuditVerifyTest, ReadOnlyOpenRefusesAMissingDatabaseAndAShortKey) {
  EXPECT_FALSE(Store::openReadOnly(dir_ + "/absent.db", kKey, clock_).ok());
  EXPECT_FALSE(Store::openReadOnly(dbPath(), Bytes(8, 1), clock_).ok());
}

// ---------------- counts ----------------

RegistryRow row(const std::string& serial, int line) {
  RegistryRow r;
  r.serial = serial;
  r.smbiosUuid = "4c4c4544-0031-3410-8033-b2c04f4e32" + std::to_string(10 + line);
  r.model = "Latitude 7440";
  r.owner = "Alice";
  r.ownerEmail = "alice@example.org";
  r.tenant = "lab";
  r.windowFrom = 1'700'000'000;
  r.windowUntil = 1'900'000'000;
  r.line = line;
  return r;
}

TEST_F(AuditVerifyTest, CountsMatchAListing) {
  auto empty = store_->deviceCounts();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->total, 0);
  EXPECT_TRUE(empty->byState.empty());
  std::vector<RegistryRow> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(row("SN-" + std::to_string(i), i + 2));
  auto imported = store_->importRegistry(rows, "uid:0", "r.csv");
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const std::string first = imported->devices[0].id;
  ASSERT_TRUE(store_->setBlocked(first, true, "uid:0", "lost").ok());
  SessionRecord init;
  init.deviceId = imported->devices[1].id;
  init.source = "192.0.2.1:1";
  auto session = store_->createSession(init, "session:new");
  ASSERT_TRUE(session.ok()) << session.error().message;
  SessionRecord unregistered;
  unregistered.source = "192.0.2.2:1";
  ASSERT_TRUE(store_->createSession(unregistered, "session:new").ok());

  auto counts = store_->deviceCounts();
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->total, 5);
  EXPECT_EQ(counts->blocked, 1);
  EXPECT_EQ(counts->byState["unseen"], 4);
  EXPECT_EQ(counts->byState["discovered"], 1);
  // The same figures as the listing the counts replace.
  auto all = store_->listDevices(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(static_cast<std::int64_t>(all->size()), counts->total);
  auto open = store_->openSessionCount();
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(*open, 2);
  auto listed = store_->listSessions(true, 0);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(static_cast<std::int64_t>(listed->size()), *open);
}

}  // namespace
}  // namespace pb
