// SPDX-License-Identifier: Apache-2.0
// The SQLite store: one temporary directory per test, a FixedClock, and raw sqlite3 access only
// where a test plays the attacker (tampering with the audit table) or inspects the schema.
#include "store/store.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core/reasons.hpp"
#include "store/audit_chain.hpp"
#include "store/migrations.hpp"

namespace pb {
namespace {

std::int64_t at(const char* text) {
  std::int64_t t = 0;
  EXPECT_TRUE(parseUtc(text, t)) << text;
  return t;
}

const Bytes kKey(32, 0x42);
constexpr const char* kUuid1 = "4c4c4544-0031-3410-8033-b2c04f4e3201";
constexpr const char* kUuid2 = "4c4c4544-0031-3410-8033-b2c04f4e3202";
constexpr const char* kUuid3 = "4c4c4544-0031-3410-8033-b2c04f4e3203";
constexpr const char* kUuidSeen = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const std::string kEk(64, 'e');

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dbPath() const { return dir_ + "/inventory.db"; }

  std::unique_ptr<Store> open(const Bytes& key = kKey) {
    auto r = Store::open(dbPath(), key, clock_);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
  }
  void reopen(const Bytes& key = kKey) {
    store_.reset();
    store_ = open(key);
    ASSERT_NE(store_, nullptr);
  }

  static RegistryRow row(const std::string& serial, const std::string& uuid, int line = 2) {
    RegistryRow r;
    r.serial = serial;
    r.smbiosUuid = uuid;
    r.model = "Latitude 7440";
    r.owner = "Alice";
    r.ownerEmail = "alice@example.org";
    r.tenant = "lab";
    r.windowFrom = at("2026-01-01");
    r.windowUntil = at("2027-01-01");
    r.line = line;
    return r;
  }

  // Imports SN-1..SN-n and returns their ids.
  std::vector<std::string> importDevices(int n) {
    const char* uuids[] = {kUuid1, kUuid2, kUuid3};
    std::vector<RegistryRow> rows;
    for (int i = 0; i < n; ++i) {
      rows.push_back(row("SN-" + std::to_string(i + 1), uuids[i], i + 2));
    }
    auto r = store_->importRegistry(rows, "uid:0", "register.csv");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& d : r->devices) ids.push_back(d.id);
    }
    return ids;
  }

  SessionRecord startSession(const std::string& deviceId, const std::string& uuid = kUuid1) {
    SessionRecord init;
    init.deviceId = deviceId;
    init.source = "192.0.2.10:4431";
    init.slot = "slot-3";
    init.identity = {{"serial", "SN-1"}, {"smbios_uuid", uuid}};
    auto r = store_->createSession(init, "session:new");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : SessionRecord{};
  }

  static Transition step(const SessionRecord& s, DeviceState to, const std::string& action) {
    Transition t;
    t.sessionId = s.id;
    t.deviceId = s.deviceId;
    t.to = to;
    t.actor = "session:" + s.id;
    t.action = action;
    return t;
  }

  std::int64_t auditCount() {
    auto n = store_->auditCount();
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }

  AuditVerifyReport verify() {
    auto r = store_->verifyAudit();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : AuditVerifyReport{};
  }

  // Raw access to the database file, as someone with write access to it would have. The store is
  // closed first so the test sees exactly what is on disk.
  void tamper(const std::string& sqlText) {
    rawExec(sqlText);
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }
  void rawExec(const std::string& sqlText) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sqlText.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  static constexpr const char* kDropGuards =
      "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";

  std::int64_t rawCount(const std::string& query) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(dbPath().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
  }

  std::string dir_;
  FixedClock clock_{at("2026-06-01T10:00:00Z")};
  std::unique_ptr<Store> store_;
};

// ---------------- open and migrations ----------------

TEST_F(StoreTest, MigrationsCreateTheSchemaAndReopenIdempotently) {
  EXPECT_EQ(store_->schemaVersion(), latestSchemaVersion());
  for (const char* table :
       {"schema_version", "devices", "sessions", "approvals", "audit", "check_results"}) {
    EXPECT_EQ(rawCount(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
                                   "name='") +
                       table + "'"),
              1)
        << table;
  }
  reopen();
  reopen();
  EXPECT_EQ(store_->schemaVersion(), latestSchemaVersion());
  EXPECT_EQ(rawCount("SELECT COUNT(*) FROM schema_version"),
            static_cast<std::int64_t>(storeMigrations().size()));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(StoreTest, RefusesADatabaseWithANewerSchema) {
  rawExec("INSERT INTO schema_version (version, description, applied_at) VALUES (" +
          std::to_string(latestSchemaVersion() + 1) + ", 'future', 0)");
  auto r = Store::open(dbPath(), kKey, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "db");
  EXPECT_NE(r.error().message.find("newer than this build"), std::string::npos)
      << r.error().message;
}

TEST_F(StoreTest, RefusesAShortAuditKeyAndAnUnopenablePath) {
  auto shortKey = Store::open(dir_ + "/other.db", Bytes(8, 1), clock_);
  ASSERT_FALSE(shortKey.ok());
  EXPECT_NE(shortKey.error().message.find("audit key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/other.db"));
  EXPECT_FALSE(Store::open(dir_ + "/missing/dir/x.db", kKey, clock_).ok());
  EXPECT_FALSE(Store::open(dir_, kKey, clock_).ok());  // a directory, not a database
}

TEST_F(StoreTest, DatabaseFilesAreMode0600) {
  importDevices(1);  // forces the WAL file into existence
  struct stat st {};
  ASSERT_EQ(::stat(dbPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dbPath() + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // An existing file with a looser mode is tightened on open.
  store_.reset();
  ASSERT_EQ(::chmod(dbPath().c_str(), 0644), 0);
  reopen();
  ASSERT_EQ(::stat(dbPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(StoreTest, DataSurvivesReopen) {
  auto ids = importDevices(2);
  store_->setPolicyHash("policy-1");
  auto s = startSession(ids[0]);
  ASSERT_TRUE(store_->applyTransition(step(s, DeviceState::Identified, "admission.identified")));
  reopen();
  auto d = store_->findDevice(ids[0]);
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->state, DeviceState::Identified);
  EXPECT_EQ((*d)->registry.serial, "SN-1");
  auto session = store_->findSession(s.id);
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->policyHash, "policy-1");
  EXPECT_EQ((*session)->identity["smbios_uuid"], kUuid1);
  EXPECT_EQ(auditCount(), 4);
  EXPECT_TRUE(verify().ok);
}

// ---------------- register import ----------------

TEST_F(StoreTest, ImportCreatesSequentialIdsWithAuditRecords) {
  auto r = store_->importRegistry({row("SN-1", kUuid1, 2), row("SN-2", kUuid2, 3)}, "uid:0",
                                  "register.csv");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->created, 2);
  EXPECT_EQ(r->updated, 0);
  ASSERT_EQ(r->devices.size(), 2u);
  EXPECT_EQ(r->devices[0].id, "dev-000001");
  EXPECT_EQ(r->devices[1].id, "dev-000002");
  EXPECT_FALSE(r->devices[0].state.has_value());
  EXPECT_EQ(r->devices[0].createdAt, clock_.nowUnix());

  auto audit = store_->auditTail(10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "registry.create");
  EXPECT_EQ((*audit)[0].actor, "uid:0");
  EXPECT_EQ((*audit)[0].deviceId, "dev-000001");
  EXPECT_EQ((*audit)[0].details["source"], "register.csv");
  EXPECT_EQ((*audit)[0].details["line"], 2);
  EXPECT_EQ((*audit)[1].details["serial"], "SN-2");
}

TEST_F(StoreTest, ReimportUpdatesWithOldAndNewValues) {
  importDevices(2);
  auto changed = row("sn-1", kUuid1, 5);  // same device: serials match case-insensitively
  changed.model = "Latitude 7450";
  changed.windowUntil = at("2027-06-01");
  auto r = store_->importRegistry({changed, row("SN-2", kUuid2, 6), row("SN-3", kUuid3, 7)},
                                  "uid:1000", "register-v2.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->created, 1);
  EXPECT_EQ(r->updated, 1);
  EXPECT_EQ(r->unchanged, 1);
  ASSERT_EQ(r->devices.size(), 3u);
  EXPECT_EQ(r->devices[0].id, "dev-000001");
  EXPECT_EQ(r->devices[0].registry.model, "Latitude 7450");
  EXPECT_EQ(r->devices[0].registry.serial, "sn-1");
  EXPECT_EQ(r->devices[2].id, "dev-000003");

  auto audit = store_->auditForDevice("dev-000001", 10);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 2u);
  const auto& update = (*audit)[1];
  EXPECT_EQ(update.action, "registry.update");
  EXPECT_EQ(update.actor, "uid:1000");
  const auto& changes = update.details["changes"];
  EXPECT_EQ(changes["model"]["old"], "Latitude 7440");
  EXPECT_EQ(changes["model"]["new"], "Latitude 7450");
  EXPECT_EQ(changes["window_until"]["old"], "2027-01-01T00:00:00Z");
  EXPECT_EQ(changes["window_until"]["new"], "2027-06-01T00:00:00Z");
  EXPECT_EQ(changes["serial"]["new"], "sn-1");
  EXPECT_FALSE(changes.contains("owner"));
  EXPECT_EQ(auditCount(), 4);  // 2 creates, 1 update, 1 create; the unchanged row writes nothing
}

TEST_F(StoreTest, ImportIsAllOrNothing) {
  importDevices(1);
  const auto before = auditCount();

  auto bogus = row("To Be Filled By O.E.M.", kUuid3, 4);
  auto r = store_->importRegistry({row("SN-2", kUuid2, 3), bogus}, "uid:0", "r.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminBadRequest);
  EXPECT_NE(r.error().message.find("line 4"), std::string::npos) << r.error().message;

  auto dup =
      store_->importRegistry({row("SN-2", kUuid2, 3), row("sn-2", kUuid3, 4)}, "uid:0", "r.csv");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("twice"), std::string::npos);

  // Fails only in the database (the UUID is already SN-1's) after SN-2 was written: rolled back.
  auto clash =
      store_->importRegistry({row("SN-2", kUuid2, 3), row("SN-3", kUuid1, 4)}, "uid:0", "r.csv");
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, reason::kAdminConflict);

  auto devices = store_->listDevices(std::nullopt);
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(devices->size(), 1u);
  EXPECT_EQ(auditCount(), before);
  // The rolled-back import did not use up an id.
  auto next = store_->importRegistry({row("SN-2", kUuid2, 3)}, "uid:0", "r.csv");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->devices[0].id, "dev-000002");
}

TEST_F(StoreTest, ImportMaySwapTwoUuids) {
  importDevices(2);
  auto r = store_->importRegistry({row("SN-1", kUuid2), row("SN-2", kUuid1)}, "uid:0", "fix.csv");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->updated, 2);
}

TEST_F(StoreTest, DeviceIdsAreNeverReused) {
  importDevices(2);
  tamper("DELETE FROM devices WHERE id = 'dev-000002'");
  auto r = store_->importRegistry({row("SN-9", kUuid3)}, "uid:0", "r.csv");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->devices[0].id, "dev-000003");
}

TEST_F(StoreTest, LookupsBySerialUuidAndState) {
  auto ids = importDevices(3);
  auto bySerial = store_->findDeviceBySerial("sn-2");
  ASSERT_TRUE(bySerial.ok() && bySerial->has_value());
  EXPECT_EQ((*bySerial)->id, ids[1]);
  auto none = store_->findDeviceBySerial("SN-404");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto byUuid = store_->findDevicesByUuid("4C4C4544-0031-3410-8033-B2C04F4E3203");
  ASSERT_TRUE(byUuid.ok());
  ASSERT_EQ(byUuid->size(), 1u);
  EXPECT_EQ((*byUuid)[0].id, ids[2]);
  auto garbage = store_->findDevicesByUuid("not a uuid");
  ASSERT_TRUE(garbage.ok());
  EXPECT_TRUE(garbage->empty());
  auto missing = store_->findDevice("dev-999999");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  startSession(ids[1], kUuid2);
  auto discovered = store_->listDevices(DeviceState::Discovered);
  ASSERT_TRUE(discovered.ok());
  ASSERT_EQ(discovered->size(), 1u);
  EXPECT_EQ((*discovered)[0].id, ids[1]);
  auto all = store_->listDevices(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

// ---------------- sessions and transitions ----------------

TEST_F(StoreTest, CreateSessionMovesTheDeviceAndAudits) {
  auto ids = importDevices(1);
  store_->setPolicyHash("ph-1");
  auto s = startSession(ids[0]);
  EXPECT_EQ(s.id.size(), 18u);
  EXPECT_EQ(s.id.rfind("s-", 0), 0u);
  EXPECT_EQ(s.state, DeviceState::Discovered);
  EXPECT_TRUE(s.open);
  EXPECT_EQ(s.startedAt, clock_.nowUnix());
  EXPECT_EQ(s.policyHash, "ph-1");

  auto d = store_->findDevice(ids[0]);
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->state, DeviceState::Discovered);
  EXPECT_EQ((*d)->lastSessionId, s.id);
  EXPECT_EQ((*d)->slot, "slot-3");
  EXPECT_EQ((*d)->stateSince, clock_.nowUnix());

  auto audit = store_->auditTail(1);
  ASSERT_TRUE(audit.ok() && audit->size() == 1u);
  const auto& a = (*audit)[0];
  EXPECT_EQ(a.action, "session.discovered");
  EXPECT_EQ(a.actor, "session:new");
  EXPECT_EQ(a.sessionId, s.id);
  EXPECT_EQ(a.deviceId, ids[0]);
  EXPECT_EQ(a.before, "");
  EXPECT_EQ(a.after, "discovered");
  EXPECT_EQ(a.policyHash, "ph-1");
  EXPECT_EQ(a.time, clock_.nowUnix());
  EXPECT_EQ(a.details["slot"], "slot-3");

  // An unregistered device gets a session of its own; an unknown device id is refused whole.
  auto anon = startSession("");
  EXPECT_TRUE(anon.deviceId.empty());
  const auto count = auditCount();
  SessionRecord bad;
  bad.deviceId = "dev-424242";
  auto r = store_->createSession(bad, "session:new");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminNotFound);
  EXPECT_EQ(auditCount(), count);
  EXPECT_EQ(rawCount("SELECT COUNT(*) FROM sessions"), 2);
}

TEST_F(StoreTest, TransitionWritesStateAndAuditTogether) {
  auto ids = importDevices(1);
  auto s = startSession(ids[0]);
  clock_.advance(5);
  auto t = step(s, DeviceState::Quarantined, "admission.quarantined");
  t.reasonCode = "PB-1021";
  t.details = {{"observed_uuid", kUuidSeen}};
  ASSERT_TRUE(store_->applyTransition(t));

  auto session = store_->findSession(s.id);
  ASSERT_TRUE(session.ok() && session->has_value());
  EXPECT_EQ((*session)->state, DeviceState::Quarantined);
  EXPECT_EQ((*session)->reasonCode, "PB-1021");
  EXPECT_TRUE((*session)->open);
  EXPECT_EQ((*session)->updatedAt, clock_.nowUnix());
  auto d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->state, DeviceState::Quarantined);
  EXPECT_EQ((*d)->reasonCode, "PB-1021");
  EXPECT_EQ((*d)->stateSince, clock_.nowUnix());

  auto audit = store_->auditTail(1);
  const auto& a = (*audit)[0];
  EXPECT_EQ(a.action, "admission.quarantined");
  EXPECT_EQ(a.before, "discovered");
  EXPECT_EQ(a.after, "quarantined");
  EXPECT_EQ(a.reason, "PB-1021");
  EXPECT_EQ(a.details["observed_uuid"], kUuidSeen);

  // The final step: ready, EK bound, session closed.
  clock_.advance(60);
  auto done = step(s, DeviceState::Ready, "handoff.ready");
  done.closeSession = true;
  done.bindEkSha256 = std::string(64, 'E');
  ASSERT_TRUE(store_->applyTransition(done));
  d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->state, DeviceState::Ready);
  EXPECT_EQ((*d)->enrolledAt, clock_.nowUnix());
  EXPECT_EQ((*d)->boundEkSha256, kEk);
  EXPECT_EQ((*d)->reasonCode, "");
  session = store_->findSession(s.id);
  EXPECT_FALSE((*session)->open);

  // A closed session takes no more steps.
  auto late = store_->applyTransition(step(s, DeviceState::Failed, "late"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, reason::kAdminConflict);
}

TEST_F(StoreTest, TransitionBindsAnUnregisteredSessionToItsDevice) {
  auto ids = importDevices(2);
  auto s = startSession("");
  auto t = step(s, DeviceState::Identified, "admission.identified");
  t.deviceId = ids[0];
  ASSERT_TRUE(store_->applyTransition(t));
  auto session = store_->findSession(s.id);
  EXPECT_EQ((*session)->deviceId, ids[0]);
  // ...and then never to another one.
  t.deviceId = ids[1];
  auto r = store_->applyTransition(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminConflict);
}

TEST_F(StoreTest, ADuplicateSessionLeavesTheLiveDeviceRecordAlone) {
  auto ids = importDevices(1);
  auto live = startSession(ids[0]);
  ASSERT_TRUE(store_->applyTransition(step(live, DeviceState::Identified, "admission.identified")));
  clock_.advance(3);
  auto dup = startSession(ids[0]);  // the same device connects again while `live` is open
  auto d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->state, DeviceState::Identified);
  EXPECT_EQ((*d)->lastSessionId, live.id);

  // A step without deviceId speaks for the session only.
  auto fail = step(dup, DeviceState::Failed, "admission.failed");
  fail.deviceId.clear();
  fail.reasonCode = "PB-1030";
  fail.retryable = true;
  fail.closeSession = true;
  ASSERT_TRUE(store_->applyTransition(fail));
  d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->state, DeviceState::Identified);
  EXPECT_EQ((*d)->reasonCode, "");
  auto session = store_->findSession(dup.id);
  EXPECT_EQ((*session)->state, DeviceState::Failed);
  EXPECT_EQ((*session)->deviceId, ids[0]);
  auto audit = store_->auditTail(1);
  EXPECT_EQ((*audit)[0].action, "admission.failed");
  EXPECT_EQ((*audit)[0].deviceId, ids[0]);  // still findable under the device

  // Approval use, UUID adoption and EK binding always need the device.
  auto bad = step(live, DeviceState::Attested, "attest.ok");
  bad.deviceId.clear();
  bad.bindEkSha256 = kEk;
  EXPECT_FALSE(store_->applyTransition(bad).ok());

  // Once the live session is over, a new session takes the record again.
  auto done = step(live, DeviceState::Ready, "handoff.ready");
  done.closeSession = true;
  ASSERT_TRUE(store_->applyTransition(done));
  auto next = startSession(ids[0]);
  d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->state, DeviceState::Discovered);
  EXPECT_EQ((*d)->lastSessionId, next.id);
}

TEST_F(StoreTest, TransitionOnAnUnknownSessionWritesNothing) {
  auto ids = importDevices(1);
  const auto count = auditCount();
  Transition t;
  t.sessionId = "s-0000000000000000";
  t.deviceId = ids[0];
  t.to = DeviceState::Identified;
  t.action = "admission.identified";
  auto r = store_->applyTransition(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminNotFound);
  EXPECT_EQ(auditCount(), count);
  auto d = store_->findDevice(ids[0]);
  EXPECT_FALSE((*d)->state.has_value());

  t.sessionId = startSession(ids[0]).id;
  t.action.clear();
  EXPECT_FALSE(store_->applyTransition(t).ok());  // every transition needs its audit action
}

TEST_F(StoreTest, FailOpenSessionsAtStartup) {
  auto ids = importDevices(2);
  auto a = startSession(ids[0]);
  auto b = startSession("");
  auto c = startSession(ids[1], kUuid2);
  auto closeC = step(c, DeviceState::Ready, "handoff.ready");
  closeC.closeSession = true;
  ASSERT_TRUE(store_->applyTransition(closeC));
  ASSERT_TRUE(store_->applyTransition(step(a, DeviceState::Attested, "attest.ok")));
  const auto count = auditCount();

  reopen();  // as after a crash
  clock_.advance(30);
  auto n = store_->failOpenSessions(std::string(reason::kInterruptedByRestart));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  for (const auto& id : {a.id, b.id}) {
    auto s = store_->findSession(id);
    EXPECT_EQ((*s)->state, DeviceState::Failed);
    EXPECT_EQ((*s)->reasonCode, "PB-9001");
    EXPECT_TRUE((*s)->retryable);
    EXPECT_FALSE((*s)->open);
  }
  auto da = store_->findDevice(ids[0]);
  EXPECT_EQ((*da)->state, DeviceState::Failed);
  EXPECT_TRUE((*da)->retryable);
  EXPECT_EQ((*da)->stateSince, clock_.nowUnix());
  auto dc = store_->findDevice(ids[1]);
  EXPECT_EQ((*dc)->state, DeviceState::Ready);  // its session had finished

  EXPECT_EQ(auditCount(), count + 2);
  auto audit = store_->auditTail(2);
  EXPECT_EQ((*audit)[0].action, "session.failed_on_restart");
  EXPECT_EQ((*audit)[0].sessionId, a.id);
  EXPECT_EQ((*audit)[0].before, "attested");
  EXPECT_EQ((*audit)[0].after, "failed");
  EXPECT_EQ((*audit)[0].actor, "benchd");
  EXPECT_EQ((*audit)[1].sessionId, b.id);

  auto again = store_->failOpenSessions("PB-9001");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto open = store_->listSessions(true, 0);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty());
}

TEST_F(StoreTest, SessionListsAreNewestFirstAndLimited) {
  auto ids = importDevices(1);
  auto first = startSession(ids[0]);
  clock_.advance(1);
  auto second = startSession(ids[0]);
  clock_.advance(1);
  auto other = startSession("");
  auto forDevice = store_->sessionsForDevice(ids[0], 10);
  ASSERT_TRUE(forDevice.ok());
  ASSERT_EQ(forDevice->size(), 2u);
  EXPECT_EQ((*forDevice)[0].id, second.id);
  EXPECT_EQ((*forDevice)[1].id, first.id);
  auto latest = store_->listSessions(false, 1);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].id, other.id);
  auto missing = store_->findSession("s-nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// ---------------- admin actions ----------------

TEST_F(StoreTest, BlockAndUnblockWithConflicts) {
  auto ids = importDevices(1);
  auto unknown = store_->setBlocked("dev-999999", true, "uid:0", "stolen");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "PB-9503");

  ASSERT_TRUE(store_->setBlocked(ids[0], true, "uid:0", "reported stolen"));
  auto d = store_->findDevice(ids[0]);
  EXPECT_TRUE((*d)->blocked);
  EXPECT_EQ((*d)->blockReason, "reported stolen");
  auto twice = store_->setBlocked(ids[0], true, "uid:0", "again");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "PB-9504");

  ASSERT_TRUE(store_->setBlocked(ids[0], false, "uid:1000", "found"));
  d = store_->findDevice(ids[0]);
  EXPECT_FALSE((*d)->blocked);
  EXPECT_EQ((*d)->blockReason, "");
  auto unblockTwice = store_->setBlocked(ids[0], false, "uid:0", "");
  ASSERT_FALSE(unblockTwice.ok());
  EXPECT_EQ(unblockTwice.error().code, "PB-9504");

  auto audit = store_->auditTail(2);
  EXPECT_EQ((*audit)[0].action, "device.block");
  EXPECT_EQ((*audit)[0].reason, "reported stolen");
  EXPECT_EQ((*audit)[1].action, "device.unblock");
  EXPECT_EQ((*audit)[1].actor, "uid:1000");
  EXPECT_EQ(auditCount(), 3);  // import + block + unblock; refusals write nothing
}

TEST_F(StoreTest, ApprovalBindsToTheObservedIdentityAndIsConsumedOnce) {
  auto ids = importDevices(1);
  // The device reports a different UUID than registered and is quarantined for it.
  auto s = startSession(ids[0], "{9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D}");
  auto q = step(s, DeviceState::Quarantined, "admission.quarantined");
  q.reasonCode = "PB-1021";
  ASSERT_TRUE(store_->applyTransition(q));

  auto a = store_->addApproval(ids[0], "uid:0", "board replaced under RMA 7781", 3600);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_GT(a->id, 0);
  EXPECT_EQ(a->serial, "SN-1");
  EXPECT_EQ(a->smbiosUuid, kUuidSeen);
  EXPECT_EQ(a->answersCode, "PB-1021");
  EXPECT_EQ(a->expiresAt, clock_.nowUnix() + 3600);
  EXPECT_EQ(a->consumedAt, 0);
  auto active = store_->activeApproval(ids[0]);
  ASSERT_TRUE(active.ok() && active->has_value());
  EXPECT_EQ((*active)->id, a->id);

  auto admit = step(s, DeviceState::Identified, "admission.approved");
  admit.consumeApprovalId = a->id;
  admit.adoptSmbiosUuid = kUuidSeen;
  ASSERT_TRUE(store_->applyTransition(admit));
  auto d = store_->findDevice(ids[0]);
  EXPECT_EQ((*d)->registry.smbiosUuid, kUuidSeen);
  active = store_->activeApproval(ids[0]);
  ASSERT_TRUE(active.ok());
  EXPECT_FALSE(active->has_value());

  auto audit = store_->auditTail(4);
  ASSERT_EQ(audit->size(), 4u);
  EXPECT_EQ((*audit)[0].action, "approval.grant");
  EXPECT_EQ((*audit)[0].reason, "board replaced under RMA 7781");
  EXPECT_EQ((*audit)[1].action, "admission.approved");
  EXPECT_EQ((*audit)[2].action, "approval.consume");
  EXPECT_EQ((*audit)[2].details["approval_id"], a->id);
  EXPECT_EQ((*audit)[3].action, "registry.adopt_uuid");
  EXPECT_EQ((*audit)[3].details["old"], kUuid1);
  EXPECT_EQ((*audit)[3].details["new"], kUuidSeen);

  // Consumed twice: refused, and the whole transition with it.
  const auto count = auditCount();
  auto again = step(s, DeviceState::Checked, "checks.ok");
  again.consumeApprovalId = a->id;
  auto r = store_->applyTransition(again);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminConflict);
  EXPECT_NE(r.error().message.find("already used"), std::string::npos);
  EXPECT_EQ(auditCount(), count);
  auto session = store_->findSession(s.id);
  EXPECT_EQ((*session)->state, DeviceState::Identified);
}

TEST_F(StoreTest, ApprovalForTheRegisterUuidWhenNeverSeen) {
  auto ids = importDevices(1);
  auto a = store_->addApproval(ids[0], "uid:0", "pre-approved", 60);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->smbiosUuid, kUuid1);
  EXPECT_EQ(a->answersCode, "");
}

TEST_F(StoreTest, ExpiredApprovalIsRejected) {
  auto ids = importDevices(1);
  auto s = startSession(ids[0]);
  auto a = store_->addApproval(ids[0], "uid:0", "ok", 600);
  ASSERT_TRUE(a.ok());
  clock_.advance(600);  // expiresAt is exclusive
  auto active = store_->activeApproval(ids[0]);
  ASSERT_TRUE(active.ok());
  EXPECT_FALSE(active->has_value());
  const auto count = auditCount();
  auto t = step(s, DeviceState::Identified, "admission.approved");
  t.consumeApprovalId = a->id;
  auto r = store_->applyTransition(t);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(auditCount(), count);
  auto session = store_->findSession(s.id);
  EXPECT_EQ((*session)->state, DeviceState::Discovered);
}

TEST_F(StoreTest, ApprovalIsBoundToItsDevice) {
  auto ids = importDevices(2);
  auto a = store_->addApproval(ids[0], "uid:0", "ok", 600);
  ASSERT_TRUE(a.ok());
  auto s = startSession(ids[1], kUuid2);
  auto t = step(s, DeviceState::Identified, "admission.approved");
  t.consumeApprovalId = a->id;
  auto r = store_->applyTransition(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminConflict);
  EXPECT_NE(r.error().message.find("another device"), std::string::npos);
  t.consumeApprovalId = 4242;
  r = store_->applyTransition(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminNotFound);
  // Still usable by its own device.
  auto active = store_->activeApproval(ids[0]);
  ASSERT_TRUE(active.ok() && active->has_value());
}

TEST_F(StoreTest, ApprovalNeedsAKnownDeviceAndAPositiveLifetime) {
  auto ids = importDevices(1);
  auto unknown = store_->addApproval("dev-999999", "uid:0", "x", 60);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, reason::kAdminNotFound);
  auto zero = store_->addApproval(ids[0], "uid:0", "x", 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, reason::kAdminBadRequest);
  EXPECT_EQ(auditCount(), 1);
}

TEST_F(StoreTest, NewestUnexpiredApprovalIsActive) {
  auto ids = importDevices(1);
  auto older = store_->addApproval(ids[0], "uid:0", "first", 6000);
  clock_.advance(10);
  auto newer = store_->addApproval(ids[0], "uid:0", "second", 60);
  ASSERT_TRUE(older.ok() && newer.ok());
  auto active = store_->activeApproval(ids[0]);
  EXPECT_EQ((*active)->id, newer->id);
  clock_.advance(60);  // the newer one expires, the older is still valid
  active = store_->activeApproval(ids[0]);
  ASSERT_TRUE(active->has_value());
  EXPECT_EQ((*active)->id, older->id);
}

// ---------------- audit log ----------------

// Builds a log of at least 6 records touching sessions, approvals and the register.
void buildHistory(Store& store) {
  RegistryRow r;
  r.serial = "SN-1";
  r.smbiosUuid = kUuid1;
  r.model = "M";
  r.owner = "O";
  r.ownerEmail = "o@example.org";
  r.tenant = "t";
  r.windowFrom = 1;
  r.windowUntil = 4102444800;
  ASSERT_TRUE(store.importRegistry({r}, "uid:0", "r.csv").ok());                // 1
  ASSERT_TRUE(store.setBlocked("dev-000001", true, "uid:0", "hold").ok());      // 2
  ASSERT_TRUE(store.setBlocked("dev-000001", false, "uid:0", "release").ok());  // 3
  ASSERT_TRUE(store.addApproval("dev-000001", "uid:0", "ok", 60).ok());         // 4
  AuditRecord note;
  note.actor = "uid:0";
  note.action = "policy.load";
  note.details = {{"file", "policy.yaml"}, {"ratio", 0.25}};
  ASSERT_TRUE(store.appendAudit(note).ok());                                 // 5
  ASSERT_TRUE(store.setBlocked("dev-000001", true, "uid:0", "again").ok());  // 6
}

TEST_F(StoreTest, AuditVerifiesOnAFreshChain) {
  auto empty = verify();
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.records, 0);
  store_->setPolicyHash("ph-7");
  buildHistory(*store_);
  auto report = verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records, 6);
  EXPECT_EQ(report.firstBadSeq, 0);
  auto tail = store_->auditTail(1);
  EXPECT_EQ(report.headHash, (*tail)[0].hash);
  EXPECT_EQ((*tail)[0].seq, 6);
  EXPECT_EQ((*tail)[0].policyHash, "ph-7");
  EXPECT_EQ((*tail)[0].mac, *computeAuditMac(kKey, (*tail)[0].hash));
}

TEST_F(StoreTest, AppendAuditFillsSequenceTimeAndPolicy) {
  store_->setPolicyHash("ph-9");
  AuditRecord r;
  r.seq = 77;
  r.time = 1;
  r.policyHash = "spoofed";
  r.actor = "uid:0";
  r.action = "report.export";
  ASSERT_TRUE(store_->appendAudit(r));
  auto tail = store_->auditTail(0);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].seq, 1);
  EXPECT_EQ((*tail)[0].time, clock_.nowUnix());
  EXPECT_EQ((*tail)[0].policyHash, "ph-9");
  EXPECT_EQ((*tail)[0].prevHash, kAuditGenesisHash);
}

TEST_F(StoreTest, AuditTableIsAppendOnly) {
  buildHistory(*store_);
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
  EXPECT_NE(
      sqlite3_exec(db, "UPDATE audit SET reason = 'x' WHERE seq = 1", nullptr, nullptr, nullptr),
      SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 1", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  store_ = open();
  EXPECT_TRUE(verify().ok);
}

TEST_F(StoreTest, AuditDetectsAnEditedField) {
  buildHistory(*store_);
  tamper(std::string(kDropGuards) + "UPDATE audit SET reason = 'nothing to see' WHERE seq = 3");
  auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 3);
  EXPECT_NE(report.problem.find("record 3 was edited"), std::string::npos) << report.problem;
  EXPECT_EQ(report.records, 6);
}

TEST_F(StoreTest, AuditDetectsEditedDetailsEvenWhenEquivalentJson) {
  buildHistory(*store_);
  // Same JSON value, different text: the stored bytes are what was hashed.
  tamper(std::string(kDropGuards) +
         "UPDATE audit SET details = '{ \"file\": \"policy.yaml\", \"ratio\": 0.25 }' "
         "WHERE seq = 5");
  auto report = verify();
  EXPECT_EQ(report.firstBadSeq, 5);
  EXPECT_NE(report.problem.find("edited"), std::string::npos) << report.problem;
}

TEST_F(StoreTest, AuditDetectsADeletedMiddleRecord) {
  buildHistory(*store_);
  tamper(std::string(kDropGuards) + "DELETE FROM audit WHERE seq = 4");
  auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 4);
  EXPECT_NE(report.problem.find("record 4 is missing"), std::string::npos) << report.problem;
}

TEST_F(StoreTest, AuditDetectsAnInsertedForgedRecord) {
  buildHistory(*store_);
  auto tail = store_->auditTail(0);
  ASSERT_TRUE(tail.ok());
  const AuditRecord& second = (*tail)[1];
  // The forger makes room at seq 3, writes a record that links and hashes correctly, and keeps
  // the rest of the chain (whose record 4 now does not link, but the first problem is the forgery).
  AuditRecord forged;
  forged.seq = 3;
  forged.time = second.time;
  forged.actor = "uid:0";
  forged.action = "approval.grant";
  forged.deviceId = "dev-000001";
  forged.details = {{"approval_id", 99}};
  ASSERT_TRUE(sealAuditRecord(forged, &second, Bytes(32, 0x13)).ok());
  tamper(std::string(kDropGuards) +
         "UPDATE audit SET seq = seq + 1000 WHERE seq >= 3;"
         "UPDATE audit SET seq = seq - 999 WHERE seq >= 1000;"
         "INSERT INTO audit (seq, time, actor, action, device_id, session_id, state_before, "
         "state_after, reason, policy_hash, details, prev_hash, hash, mac) VALUES (3, " +
         std::to_string(forged.time) +
         ", 'uid:0', 'approval.grant', 'dev-000001', '', '', '', '', '', '" +
         canonicalAuditDetails(forged.details) + "', '" + forged.prevHash + "', '" + forged.hash +
         "', '" + forged.mac + "')");
  auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 3);
  EXPECT_NE(report.problem.find("record 3 has an invalid MAC"), std::string::npos)
      << report.problem;
  EXPECT_EQ(report.records, 7);
}

TEST_F(StoreTest, AuditDetectsSwappedRecords) {
  buildHistory(*store_);
  tamper(std::string(kDropGuards) +
         "UPDATE audit SET seq = -1 WHERE seq = 3;"
         "UPDATE audit SET seq = 3 WHERE seq = 4;"
         "UPDATE audit SET seq = 4 WHERE seq = -1;");
  auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 3);
  EXPECT_NE(report.problem.find("record 3 does not link to record 2"), std::string::npos)
      << report.problem;
}

TEST_F(StoreTest, AuditWithTheWrongKeyFailsAtTheFirstRecord) {
  buildHistory(*store_);
  reopen(Bytes(32, 0x43));
  auto report = verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 1);
  EXPECT_NE(report.problem.find("invalid MAC"), std::string::npos) << report.problem;
}

TEST_F(StoreTest, AuditQueriesByTailAndDevice) {
  auto ids = importDevices(2);
  ASSERT_TRUE(store_->setBlocked(ids[1], true, "uid:0", "x"));
  ASSERT_TRUE(store_->setBlocked(ids[0], true, "uid:0", "y"));
  auto tail = store_->auditTail(2);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].seq, 3);  // oldest first
  EXPECT_EQ((*tail)[1].seq, 4);
  auto forDevice = store_->auditForDevice(ids[1], 10);
  ASSERT_EQ(forDevice->size(), 2u);
  EXPECT_EQ((*forDevice)[0].action, "registry.create");
  EXPECT_EQ((*forDevice)[1].action, "device.block");
  auto lastOne = store_->auditForDevice(ids[1], 1);
  ASSERT_EQ(lastOne->size(), 1u);
  EXPECT_EQ((*lastOne)[0].seq, 3);
  EXPECT_EQ(auditCount(), 4);
}

TEST_F(StoreTest, DeviceSuppliedInvalidUtf8IsStoredAndAudited) {
  auto ids = importDevices(1);
  SessionRecord init;
  init.deviceId = ids[0];
  init.identity = {{"serial", "SN-\xff\xfe"}, {"model", std::string("a\0b", 3)}};
  auto s = store_->createSession(init, "session:new");
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto back = store_->findSession(s->id);
  ASSERT_TRUE(back.ok() && back->has_value());
  EXPECT_TRUE((*back)->identity.contains("serial"));
  EXPECT_TRUE(verify().ok);
}

}  // namespace
}  // namespace pb
