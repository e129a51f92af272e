// SPDX-License-Identifier: Apache-2.0
// benchd start-up and its state directory, with real benchd processes: a second benchd on a
// directory in use changes nothing; keys and database that disagree, or an edited newest audit
// record, stop start-up with a message and exit 4; --reinitialise moves the old state aside.
#include <filesystem>
#include <optional>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"
#include "sim/raw_client.hpp"

namespace pb::test {
namespace {

namespace fs = std::filesystem;

constexpr int kExitStateDirInUse = 3;
constexpr int kExitStateInconsistent = 4;
constexpr const char* kSerial = "SN-START-1";
constexpr const char* kUuid = "4c4c4544-0031-3410-8033-b2c04f4e3201";

RunResult runBenchd(const std::string& config, std::vector<std::string> extra = {}) {
  SpawnOptions so;
  so.args = {binDir() + "/benchd", "--config", config};
  so.args.insert(so.args.end(), extra.begin(), extra.end());
  return run(so);
}

// Runs SQL on the database directly, as someone with write access to the file would.
void tamper(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::int64_t maxAuditSeq(const std::string& db) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, "SELECT MAX(seq) FROM audit", -1, &st, nullptr), SQLITE_OK);
  std::int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

class Startup : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::mkdir(state().c_str(), 0700), 0); }
  std::string state() const { return dir_.file("state"); }
  std::string db() const { return state() + "/inventory.db"; }
  std::string key(const std::string& name) const { return state() + "/keys/" + name; }

  // A first start and a clean stop: keys and a database with audit records exist.
  void startAndStopOnce() {
    Benchd b(state());
    ASSERT_TRUE(b.start()) << b.process()->err();
    b.stop();
  }
  // Starting must fail with `code`; returns benchd's stderr.
  std::string expectRefused(int code) {
    Benchd b(state());
    EXPECT_FALSE(b.start());
    EXPECT_EQ(b.process()->wait(), code);
    return b.process()->err();
  }

  TempDir dir_;
};

TEST_F(Startup, SecondBenchdOnAStateDirInUseChangesNothing) {
  BenchdOptions o;
  // The checks stage waits for facts the raw client never sends: its session stays open.
  o.stagesYaml = "[checks]";
  o.limitsYaml = "  io_timeout_ms: 120000\n  handshake_timeout_ms: 5000\n";
  Benchd first(state(), o);
  ASSERT_TRUE(first.start()) << first.process()->err();
  writeFile(dir_.file("reg.csv"),
            "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until\n" +
                std::string(kSerial) + "," + kUuid + ",M,Alice,a@example.org,default,2020-01-01," +
                "2099-01-01\n");
  ASSERT_EQ(first.benchctl({"registry", "import", dir_.file("reg.csv")}).exitCode, 0);

  RawClient agent(first.port(), first.pinFile(), 60000);
  ASSERT_TRUE(agent.connected());
  agent.writeFrame(helloJson(kSerial, kUuid));
  bool inChecks = false;
  std::string seen;
  for (int i = 0; i < 4 && !inChecks; ++i) {
    auto frame = agent.readFrame();
    ASSERT_TRUE(frame.has_value()) << seen << first.process()->err();
    seen += frame->dump() + "\n";
    inChecks = frame->value("type", "") == "facts_request";
  }
  ASSERT_TRUE(inChecks) << seen;

  auto statusBefore = first.benchctlJson({"status"});
  ASSERT_EQ(statusBefore.value("sessions_open_in_inventory", -1), 1) << statusBefore.dump();
  auto verifyBefore = first.benchctlJson({"audit", "verify", "--full"});
  ASSERT_TRUE(verifyBefore.value("ok", false)) << verifyBefore.dump();
  auto tailBefore = first.benchctlJson({"audit", "tail", "-n", "5"});

  RunResult second = runBenchd(first.configPath());
  EXPECT_EQ(second.exitCode, kExitStateDirInUse) << second.err;
  EXPECT_NE(second.err.find("is in use by another benchd (pid " +
                            std::to_string(first.process()->pid()) + ")"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(second.err.find("benchd.start"), std::string::npos) << second.err;

  // The first benchd's session is still open (not failed PB-9001), no record was added (no
  // benchd.start, no session.failed) and the chain still verifies.
  auto statusAfter = first.benchctlJson({"status"});
  EXPECT_EQ(statusAfter.value("sessions_open_in_inventory", -1), 1) << statusAfter.dump();
  EXPECT_EQ(statusAfter.value("sessions_open", -1), 1) << statusAfter.dump();
  auto verifyAfter = first.benchctlJson({"audit", "verify", "--full"});
  EXPECT_TRUE(verifyAfter.value("ok", false)) << verifyAfter.dump();
  EXPECT_EQ(verifyAfter.value("records", -1), verifyBefore.value("records", -2));
  EXPECT_EQ(verifyAfter.value("head_hash", "a"), verifyBefore.value("head_hash", "b"));
  EXPECT_EQ(first.benchctlJson({"audit", "tail", "-n", "5"}), tailBefore);
  // And the first still serves: its agent port and admin socket were never touched.
  EXPECT_EQ(first.benchctl({"status"}).exitCode, 0);
}

TEST_F(Startup, ZeroLengthDatabaseNextToKeysIsRefused) {
  startAndStopOnce();
  const std::string auditKey = readFile(key("audit.key"));
  ASSERT_EQ(::truncate(db().c_str(), 0), 0);
  std::error_code ec;
  fs::remove(db() + "-wal", ec);
  fs::remove(db() + "-shm", ec);
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("inventory.db is empty (zero length) but keys from an earlier start exist"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("--reinitialise"), std::string::npos) << err;
  // Nothing was initialised or regenerated.
  EXPECT_EQ(fs::file_size(db()), 0u);
  EXPECT_EQ(readFile(key("audit.key")), auditKey);
}

TEST_F(Startup, MissingDatabaseNextToKeysIsRefused) {
  startAndStopOnce();
  ASSERT_TRUE(fs::remove(db()));
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("inventory.db is missing"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(db()));
}

TEST_F(Startup, MissingAuditKeyWithAuditRecordsIsRefusedNotRegenerated) {
  startAndStopOnce();
  ASSERT_TRUE(fs::remove(key("audit.key")));
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("keys/audit.key is missing"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(key("audit.key")));  // not silently replaced by a new key
}

TEST_F(Startup, FreshDatabaseNextToExistingKeysIsRefused) {
  startAndStopOnce();
  // A valid but empty inventory (schema, no records) swapped in for the real one.
  ASSERT_TRUE(fs::remove(db()));
  tamper(db(), "CREATE TABLE t(x); DROP TABLE t;");
  ASSERT_GT(fs::file_size(db()), 0u);
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("holds no audit records although its keys exist"), std::string::npos) << err;
}

TEST_F(Startup, EditedNewestAuditRecordStopsStartupNamingItsSeq) {
  startAndStopOnce();
  const std::int64_t seq = maxAuditSeq(db());
  ASSERT_GT(seq, 1);
  tamper(db(),
         "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'someone else' WHERE seq = " +
             std::to_string(seq));
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("the newest audit record (seq " + std::to_string(seq) + ") does not verify"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("was edited"), std::string::npos) << err;
  EXPECT_EQ(maxAuditSeq(db()), seq);  // nothing appended
}

TEST_F(Startup, AuditKeyReplacedIsCaughtByTheHeadMac) {
  startAndStopOnce();
  writeFile(key("audit.key"), std::string(64, 'a') + "\n");  // a valid key, but not the one
  ASSERT_EQ(::chmod(key("audit.key").c_str(), 0600), 0);
  const std::string err = expectRefused(kExitStateInconsistent);
  EXPECT_NE(err.find("invalid MAC"), std::string::npos) << err;
}

TEST_F(Startup, SymlinkedAuditKeyIsRefused) {
  startAndStopOnce();
  ASSERT_EQ(::rename(key("audit.key").c_str(), dir_.file("audit.key").c_str()), 0);
  ASSERT_EQ(::symlink(dir_.file("audit.key").c_str(), key("audit.key").c_str()), 0);
  Benchd b(state());
  EXPECT_FALSE(b.start());
  EXPECT_EQ(b.process()->wait(), 1);
  EXPECT_NE(b.process()->err().find("is a symbolic link"), std::string::npos) << b.process()->err();
}

TEST_F(Startup, ReinitialiseStartsFreshAndKeepsTheOldFilesAside) {
  startAndStopOnce();
  const std::string oldKey = readFile(key("audit.key"));
  const std::string oldToken = readFile(key("token.key"));
  const std::string pin = readFile(key("agent.pin"));
  ASSERT_EQ(::truncate(db().c_str(), 0), 0);    // the broken state it is meant for
  (void)expectRefused(kExitStateInconsistent);  // also leaves state/bench.yaml in place

  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  SpawnOptions so;
  so.args = {binDir() + "/benchd", "--config", state() + "/bench.yaml",
             "--ready-fd",         "3",        "--reinitialise"};
  so.extraFds[3] = ready[1];
  Process benchd(so);
  ::close(ready[1]);
  std::string line;
  char c = 0;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(ready[0]);
  ASSERT_NE(line.find("\"ready\":true"), std::string::npos) << benchd.err();

  // The old files are kept, unchanged, under old-<time>/; nothing was deleted.
  std::optional<fs::path> aside;
  for (const auto& e : fs::directory_iterator(state())) {
    if (e.path().filename().string().rfind("old-", 0) == 0) aside = e.path();
  }
  ASSERT_TRUE(aside.has_value());
  EXPECT_TRUE(fs::exists(*aside / "inventory.db"));
  EXPECT_EQ(fs::file_size(*aside / "inventory.db"), 0u);
  EXPECT_EQ(readFile((*aside / "keys/audit.key").string()), oldKey);
  EXPECT_EQ(readFile((*aside / "keys/token.key").string()), oldToken);
  struct stat st {};
  ASSERT_EQ(::stat(aside->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Fresh keys for the new inventory; the agents' pin (TLS identity) is kept.
  EXPECT_NE(readFile(key("audit.key")), oldKey);
  EXPECT_EQ(readFile(key("agent.pin")), pin);

  Benchd ctl(state());  // not started: only its benchctl helper, against the running benchd
  auto tail = ctl.benchctlJson({"audit", "tail", "-n", "10"});
  ASSERT_TRUE(tail.is_array()) << tail.dump();
  ASSERT_GE(tail.size(), 2u) << tail.dump();
  EXPECT_EQ(tail[0].value("seq", 0), 1);
  EXPECT_EQ(tail[0].value("action", ""), "benchd.reinitialised") << tail.dump();
  EXPECT_EQ(tail[1].value("action", ""), "benchd.start") << tail.dump();
  EXPECT_TRUE(ctl.benchctlJson({"audit", "verify"}).value("ok", false));
  benchd.signal(SIGTERM);
  EXPECT_EQ(benchd.wait(), 0) << benchd.err();

  // The next ordinary start finds a consistent state.
  Benchd again(state());
  ASSERT_TRUE(again.start()) << again.process()->err();
}

}  // namespace
}  // namespace pb::test
