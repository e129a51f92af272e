// SPDX-License-Identifier: Apache-2.0
// The state directory rules on their own: the lock, the keys/database classification, moving
// state aside, and the start-up audit check on a real SQLite store.
#include "benchd/state_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.hpp"

namespace pb {
namespace {

namespace fs = std::filesystem;

class StateDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "pb-state.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const std::string& rel, const std::string& content = "x") {
    fs::create_directories(fs::path(dir_ + "/" + rel).parent_path());
    std::ofstream(dir_ + "/" + rel) << content;
  }
  std::string dir_;
};

TEST_F(StateDir, LockIsExclusiveAndReleasedWithItsHolder) {
  {
    auto first = StateDirLock::acquire(dir_);
    ASSERT_TRUE(first.ok()) << first.error().message;
    // flock conflicts between open file descriptions, even inside one process.
    auto second = StateDirLock::acquire(dir_);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, "state_dir_in_use");
    EXPECT_NE(second.error().message.find("in use by another benchd (pid " +
                                          std::to_string(::getpid()) + ")"),
              std::string::npos)
        << second.error().message;
  }
  EXPECT_TRUE(StateDirLock::acquire(dir_).ok());
}

TEST_F(StateDir, LockRefusesASymlinkedLockFile) {
  touch("elsewhere");
  ASSERT_EQ(::symlink((dir_ + "/elsewhere").c_str(), (dir_ + "/benchd.lock").c_str()), 0);
  auto lock = StateDirLock::acquire(dir_);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, "io");
}

TEST_F(StateDir, NothingAtAllIsAFreshStart) {
  EXPECT_EQ(*classifyState(inspectStateDir(dir_)), StartKind::Fresh);
  touch("inventory.db", "");  // zero length and no keys: nothing was ever recorded
  EXPECT_EQ(*classifyState(inspectStateDir(dir_)), StartKind::Fresh);
}

TEST_F(StateDir, DatabaseAndBothKeysIsAnExistingStart) {
  touch("inventory.db");
  touch("keys/audit.key");
  touch("keys/token.key");
  EXPECT_EQ(*classifyState(inspectStateDir(dir_)), StartKind::Existing);
}

TEST_F(StateDir, KeysWithoutADatabaseAreRefused) {
  touch("keys/audit.key");
  touch("keys/token.key");
  auto missing = classifyState(inspectStateDir(dir_));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "state_inconsistent");
  EXPECT_NE(missing.error().message.find("inventory.db is missing"), std::string::npos);
  touch("inventory.db", "");
  auto empty = classifyState(inspectStateDir(dir_));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty (zero length)"), std::string::npos);
  EXPECT_NE(empty.error().message.find("keys/audit.key"), std::string::npos);
}

TEST_F(StateDir, OnlyTheTlsIdentityWithoutADatabaseIsRefusedToo) {
  touch("keys/agent-tls.key");
  touch("keys/agent-tls.crt");
  EXPECT_FALSE(classifyState(inspectStateDir(dir_)).ok());
}

TEST_F(StateDir, ADatabaseWithoutItsKeysIsRefused) {
  touch("inventory.db");
  touch("keys/token.key");
  auto r = classifyState(inspectStateDir(dir_));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("keys/audit.key is missing"), std::string::npos)
      << r.error().message;
  // Only the WAL holds data (the main file not yet checkpointed): still a database.
  fs::remove(dir_ + "/inventory.db");
  touch("inventory.db-wal");
  touch("keys/audit.key");
  EXPECT_EQ(*classifyState(inspectStateDir(dir_)), StartKind::Existing);
}

TEST_F(StateDir, ADanglingKeyLinkCountsAsPresentNotMissing) {
  touch("inventory.db");
  touch("keys/token.key");
  ASSERT_EQ(::symlink("/nonexistent", (dir_ + "/keys/audit.key").c_str()), 0);
  EXPECT_EQ(*classifyState(inspectStateDir(dir_)), StartKind::Existing);  // read refuses it
}

TEST_F(StateDir, MoveAsideKeepsEverythingAndLeavesAFreshState) {
  touch("inventory.db", "db");
  touch("inventory.db-wal", "wal");
  touch("keys/audit.key", "a");
  touch("keys/token.key", "t");
  touch("keys/agent-tls.key", "tls");
  const std::int64_t t = 1764859291;  // 2025-12-04T14:41:31Z
  auto moved = moveStateAside(dir_, t);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->dir, dir_ + "/old-20251204T144131Z");
  EXPECT_EQ(moved->files, (std::vector<std::string>{"inventory.db", "inventory.db-wal",
                                                    "keys/audit.key", "keys/token.key"}));
  std::ifstream a(moved->dir + "/keys/audit.key");
  std::string content;
  a >> content;
  EXPECT_EQ(content, "a");
  EXPECT_TRUE(fs::exists(dir_ + "/keys/agent-tls.key"));  // the agents' pin stays valid
  StateFiles after = inspectStateDir(dir_);
  EXPECT_EQ(after.db, DbFile::Missing);
  EXPECT_EQ(after.missingKeys.size(), 2u);
  // A second time in the same second gets its own directory.
  touch("inventory.db", "db2");
  auto again = moveStateAside(dir_, t);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->dir, dir_ + "/old-20251204T144131Z-2");
  EXPECT_EQ(again->files, (std::vector<std::string>{"inventory.db"}));
}

TEST_F(StateDir, StoreCheckWantsRecordsNextToExistingKeys) {
  FixedClock clock(1000);
  auto store = Store::open(dir_ + "/inventory.db", Bytes(32, 7), clock);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(checkStoreAtStart(**store, StartKind::Fresh).ok());
  auto empty = checkStoreAtStart(**store, StartKind::Existing);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "state_inconsistent");
  AuditRecord r;
  r.actor = "test";
  r.action = "benchd.start";
  ASSERT_TRUE((*store)->appendAudit(r).ok());
  ASSERT_TRUE((*store)->appendAudit(r).ok());
  EXPECT_TRUE(checkStoreAtStart(**store, StartKind::Existing).ok());
  auto head = (*store)->verifyAuditHead();
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->ok);
  EXPECT_EQ(head->records, 1);
}

TEST_F(StateDir, StoreCheckNamesTheSeqWhenTheHeadWasMacedWithAnotherKey) {
  FixedClock clock(1000);
  {
    auto store = Store::open(dir_ + "/inventory.db", Bytes(32, 7), clock);
    ASSERT_TRUE(store.ok());
    AuditRecord r;
    r.action = "benchd.start";
    ASSERT_TRUE((*store)->appendAudit(r).ok());
    ASSERT_TRUE((*store)->appendAudit(r).ok());
  }
  auto store = Store::open(dir_ + "/inventory.db", Bytes(32, 8), clock);
  ASSERT_TRUE(store.ok());
  auto st = checkStoreAtStart(**store, StartKind::Existing);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "state_inconsistent");
  EXPECT_NE(st.error().message.find("(seq 2)"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("invalid MAC"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace pb
