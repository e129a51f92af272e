// SPDX-License-Identifier: Apache-2.0
// The identity rules the store enforces inside its transactions: an EK identifies one device
// (PB-1023, the unique index of migration 4, the register import), and a session that has not
// proven a device's bound EK changes only its own record, never the device's.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "core/reasons.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

std::int64_t at(const char* text) {
  std::int64_t t = 0;
  EXPECT_TRUE(parseUtc(text, t)) << text;
  return t;
}

const Bytes kKey(32, 0x42);
const std::string kEkA(64, 'a');
const std::string kEkB(64, 'b');
constexpr const char* kUuids[] = {"4c4c4544-0031-3410-8033-b2c04f4e3201",
                                  "4c4c4544-0031-3410-8033-b2c04f4e3202",
                                  "4c4c4544-0031-3410-8033-b2c04f4e3203"};

class EkIdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-ek-store-XXXXXX";
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
    store_ = std::move(*r);
  }

  static RegistryRow row(int i, const std::string& ek = "") {
    RegistryRow r;
    r.serial = "SN-" + std::to_string(i + 1);
    r.smbiosUuid = kUuids[i];
    r.model = "Latitude 7440";
    r.owner = "Alice";
    r.ownerEmail = "alice@example.org";
    r.tenant = "lab";
    r.ekSha256 = ek;
    r.windowFrom = at("2026-01-01");
    r.windowUntil = at("2027-01-01");
    r.line = i + 2;
    return r;
  }
  std::vector<std::string> importDevices(std::vector<RegistryRow> rows) {
    auto r = store_->importRegistry(rows, "uid:0", "register.csv");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& d : r->devices) ids.push_back(d.id);
    }
    return ids;
  }
  SessionRecord startSession(const std::string& deviceId) {
    SessionRecord init;
    init.deviceId = deviceId;
    init.source = "192.0.2.10:4431";
    init.identity = {{"serial", "SN-1"}, {"smbios_uuid", kUuids[0]}};
    auto r = store_->createSession(init, "session:new");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : SessionRecord{};
  }
  static Transition step(const SessionRecord& s, DeviceState to, const std::string& code = "",
                         bool close = false) {
    Transition t;
    t.sessionId = s.id;
    t.deviceId = s.deviceId;
    t.to = to;
    t.reasonCode = code;
    t.closeSession = close;
    t.actor = "session:" + s.id;
    t.action = "test." + std::string(toString(to));
    return t;
  }
  // A session that admits and attests `deviceId` with `ek`, then ends.
  SessionRecord attest(const std::string& deviceId, const std::string& ek) {
    SessionRecord s = startSession(deviceId);
    EXPECT_TRUE(store_->applyTransition(step(s, DeviceState::Identified, "PB-0100")));
    Transition t = step(s, DeviceState::Attested, "", true);
    t.bindEkSha256 = ek;
    Status st = store_->applyTransition(t);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    return s;
  }
  DeviceRecord device(const std::string& id) {
    auto d = store_->findDevice(id);
    EXPECT_TRUE(d.ok() && d->has_value());
    return d.ok() && d->has_value() ? **d : DeviceRecord{};
  }
  SessionRecord session(const std::string& id) {
    auto s = store_->findSession(id);
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : SessionRecord{};
  }
  // Runs SQL on the closed database file, as someone with write access would; SQLite's result.
  int raw(const std::string& sqlText, std::string* error = nullptr) {
    store_.reset();
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(dbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sqlText.c_str(), nullptr, nullptr, &err);
    if (error != nullptr) *error = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    return rc;
  }

  std::string dir_;
  FixedClock clock_{at("2026-06-01T10:00:00Z")};
  std::unique_ptr<Store> store_;
};

// ---------------- one EK, one device ----------------

TEST_F(EkIdentityStoreTest, AnEkBoundToOneDeviceCannotBeBoundToAnother) {
  auto ids = importDevices({row(0), row(1)});
  attest(ids[0], kEkA);
  SessionRecord twin = startSession(ids[1]);
  ASSERT_TRUE(store_->applyTransition(step(twin, DeviceState::Identified, "PB-0100")));
  Transition bind = step(twin, DeviceState::Attested, "", true);
  bind.bindEkSha256 = kEkA;
  Status st = store_->applyTransition(bind);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kEkBoundElsewhere);
  EXPECT_NE(st.error().message.find(ids[0]), std::string::npos) << st.error().message;
  // Nothing of the refused step was written.
  EXPECT_EQ(device(ids[1]).boundEkSha256, "");
  EXPECT_EQ(device(ids[1]).state, DeviceState::Identified);
  EXPECT_TRUE(session(twin.id).open);
  auto holders = store_->findDevicesByEk(kEkA);
  ASSERT_TRUE(holders.ok());
  ASSERT_EQ(holders->size(), 1u);
  EXPECT_EQ((*holders)[0].id, ids[0]);
  // Upper-case input finds the same device; garbage finds none.
  auto upper = store_->findDevicesByEk(std::string(64, 'A'));
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->size(), 1u);
  auto none = store_->findDevicesByEk("not-hex");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EkIdentityStoreTest, AnEkRegisteredForAnotherDeviceCannotBeBound) {
  auto ids = importDevices({row(0, kEkA), row(1)});
  SessionRecord s = startSession(ids[1]);
  Transition bind = step(s, DeviceState::Attested, "", true);
  bind.bindEkSha256 = kEkA;
  Status st = store_->applyTransition(bind);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kEkBoundElsewhere);
  EXPECT_NE(st.error().message.find("in the register"), std::string::npos) << st.error().message;
  // Its own registered EK binds.
  attest(ids[0], kEkA);
  EXPECT_EQ(device(ids[0]).boundEkSha256, kEkA);
}

TEST_F(EkIdentityStoreTest, TheDatabaseRefusesTwoDevicesBoundToOneEk) {
  auto ids = importDevices({row(0), row(1)});
  attest(ids[0], kEkA);
  std::string error;
  EXPECT_EQ(raw("UPDATE devices SET bound_ek_sha256 = '" + kEkA + "' WHERE id = '" + ids[1] + "'",
                &error),
            SQLITE_CONSTRAINT);
  EXPECT_NE(error.find("UNIQUE"), std::string::npos) << error;
  // Unbound devices (empty) are not duplicates of each other.
  EXPECT_EQ(raw("UPDATE devices SET bound_ek_sha256 = ''"), SQLITE_OK);
}

TEST_F(EkIdentityStoreTest, MigrationFourRefusesADatabaseThatBoundOneEkTwice) {
  auto ids = importDevices({row(0), row(1), row(2)});
  // The database as version 3 left it after the attack: two devices bound to one EK.
  ASSERT_EQ(raw("DROP INDEX devices_by_bound_ek; DROP INDEX devices_by_registered_ek; "
                "DROP TABLE audit_verified; DELETE FROM schema_version WHERE version >= 4; "
                "UPDATE devices SET bound_ek_sha256 = '" +
                kEkA + "' WHERE id IN ('" + ids[0] + "', '" + ids[2] + "')"),
            SQLITE_OK);
  auto r = Store::open(dbPath(), kKey, clock_);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("migration 4"), std::string::npos) << m;
  EXPECT_NE(m.find(ids[0] + " (serial SN-1)"), std::string::npos) << m;
  EXPECT_NE(m.find(ids[2] + " (serial SN-3)"), std::string::npos) << m;
  EXPECT_EQ(m.find(ids[1]), std::string::npos) << m;
  EXPECT_NE(m.find(kEkA), std::string::npos) << m;
  // Not applied, not half-applied: still version 3, and it fails again on the next start.
  EXPECT_FALSE(Store::open(dbPath(), kKey, clock_).ok());
  // Once the clone's binding is cleared, as the message says, the migration runs.
  ASSERT_EQ(raw("UPDATE devices SET bound_ek_sha256 = '', state = 'quarantined', reason_code = "
                "'PB-1023' WHERE id = '" +
                ids[2] + "'"),
            SQLITE_OK);
  reopen();
  EXPECT_EQ(store_->schemaVersion(), latestSchemaVersion());
  EXPECT_EQ(device(ids[0]).boundEkSha256, kEkA);
}

TEST_F(EkIdentityStoreTest, ImportRefusesAnEkThatIdentifiesAnotherDevice) {
  auto ids = importDevices({row(0, kEkA), row(1)});
  // Twice in one import.
  auto twice = store_->importRegistry({row(1, kEkB), row(2, kEkB)}, "uid:0", "r.csv");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, reason::kAdminBadRequest);
  EXPECT_NE(twice.error().message.find("line 4"), std::string::npos) << twice.error().message;
  // Registered for another device.
  auto registered = store_->importRegistry({row(1, kEkA)}, "uid:0", "r.csv");
  ASSERT_FALSE(registered.ok());
  EXPECT_EQ(registered.error().code, reason::kAdminConflict);
  EXPECT_NE(registered.error().message.find("line 3"), std::string::npos);
  EXPECT_NE(registered.error().message.find(ids[0]), std::string::npos);
  // Bound to another device by attestation (its register entry has no EK).
  attest(ids[1], kEkB);
  auto bound = store_->importRegistry({row(2, kEkB)}, "uid:0", "r.csv");
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.error().message.find(ids[1]), std::string::npos) << bound.error().message;
  EXPECT_NE(bound.error().message.find("bound by attestation"), std::string::npos);
  // Nothing was imported by any of them.
  auto third = store_->findDeviceBySerial("SN-3");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->has_value());
  // The device's own EK is not "another device's"; a swap between two devices is allowed.
  auto own = store_->importRegistry({row(1, kEkB)}, "uid:0", "r.csv");
  EXPECT_TRUE(own.ok()) << own.error().message;
  auto swap = store_->importRegistry({row(0, kEkB), row(1, kEkA)}, "uid:0", "r.csv");
  EXPECT_FALSE(swap.ok());  // kEkB is bound to ids[1]: not for ids[0]
  auto c = std::string(64, 'c');
  auto d = std::string(64, 'd');
  ASSERT_TRUE(store_->importRegistry({row(0, c), row(2, d)}, "uid:0", "r.csv").ok());
  EXPECT_TRUE(store_->importRegistry({row(0, d), row(2, c)}, "uid:0", "r.csv").ok());
}

// ---------------- unproven sessions ----------------

TEST_F(EkIdentityStoreTest, AttestingEnrollsTheDevice) {
  auto ids = importDevices({row(0)});
  clock_.advance(30);
  attest(ids[0], kEkA);
  DeviceRecord d = device(ids[0]);
  EXPECT_EQ(d.state, DeviceState::Attested);
  EXPECT_EQ(d.enrolledAt, clock_.nowUnix());
  EXPECT_EQ(d.boundEkSha256, kEkA);
}

TEST_F(EkIdentityStoreTest, AnUnprovenSessionLeavesAnAttestedDeviceAsItWas) {
  auto ids = importDevices({row(0)});
  SessionRecord genuine = attest(ids[0], kEkA);
  const DeviceRecord before = device(ids[0]);
  clock_.advance(60);

  // A second agent claims the device's serial and UUID without its TPM.
  SessionRecord claim = startSession(ids[0]);
  EXPECT_EQ(device(ids[0]).state, DeviceState::Attested);  // not moved to discovered
  ASSERT_TRUE(
      store_->applyTransition(step(claim, DeviceState::Quarantined, "PB-1020", false)).ok());
  ASSERT_TRUE(store_->applyTransition(step(claim, DeviceState::Failed, "PB-3030", true)).ok());
  EXPECT_EQ(session(claim.id).state, DeviceState::Failed);
  EXPECT_EQ(session(claim.id).reasonCode, "PB-3030");
  const DeviceRecord after = device(ids[0]);
  EXPECT_EQ(after.state, DeviceState::Attested);
  EXPECT_EQ(after.reasonCode, "");
  EXPECT_EQ(after.lastSessionId, genuine.id);
  EXPECT_EQ(after.stateSince, before.stateSince);
  EXPECT_EQ(after.updatedAt, before.updatedAt);
  // The audit record says why the device did not move.
  auto tail = store_->auditTail(1);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ((*tail)[0].deviceId, ids[0]);
  EXPECT_NE((*tail)[0].details.value("device_unchanged", "").find("not proven"), std::string::npos)
      << (*tail)[0].details.dump();

  // An admin can still answer the question the claim was asked (it is on the session).
  clock_.advance(1);
  SessionRecord back = startSession(ids[0]);
  ASSERT_TRUE(store_->applyTransition(step(back, DeviceState::Quarantined, "PB-1020", true)));
  auto approval = store_->addApproval(ids[0], "uid:0", "returned from repair", 3600);
  ASSERT_TRUE(approval.ok()) << approval.error().message;
  EXPECT_EQ(approval->answersCode, "PB-1020");
}

TEST_F(EkIdentityStoreTest, TheSessionThatProvesTheEkMovesTheDeviceFromThenOn) {
  auto ids = importDevices({row(0)});
  attest(ids[0], kEkA);
  SessionRecord again = startSession(ids[0]);
  ASSERT_TRUE(store_->applyTransition(step(again, DeviceState::Identified, "PB-0100")));
  EXPECT_EQ(device(ids[0]).state, DeviceState::Attested);  // a claim so far
  Transition proof = step(again, DeviceState::Attested);
  proof.bindEkSha256 = kEkA;
  ASSERT_TRUE(store_->applyTransition(proof));
  EXPECT_EQ(device(ids[0]).lastSessionId, again.id);
  ASSERT_TRUE(store_->applyTransition(step(again, DeviceState::Sealed, "", true)));
  EXPECT_EQ(device(ids[0]).state, DeviceState::Sealed);
  // Another EK never binds to a bound device.
  SessionRecord other = startSession(ids[0]);
  Transition wrong = step(other, DeviceState::Attested, "", true);
  wrong.bindEkSha256 = kEkB;
  Status st = store_->applyTransition(wrong);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, reason::kEkMismatch);
  EXPECT_EQ(device(ids[0]).boundEkSha256, kEkA);
}

TEST_F(EkIdentityStoreTest, ADuplicateNamingTheDeviceCannotOverwriteTheLiveSession) {
  auto ids = importDevices({row(0)});
  SessionRecord live = startSession(ids[0]);
  ASSERT_TRUE(store_->applyTransition(step(live, DeviceState::Identified, "PB-0100")));
  SessionRecord dup = startSession(ids[0]);
  // Even a step that names the device (a caller that gets the rule wrong) leaves it alone.
  Transition fail = step(dup, DeviceState::Failed, "PB-1030", true);
  fail.retryable = true;
  ASSERT_TRUE(store_->applyTransition(fail));
  DeviceRecord d = device(ids[0]);
  EXPECT_EQ(d.state, DeviceState::Identified);
  EXPECT_EQ(d.reasonCode, "PB-0100");  // the live session's
  EXPECT_EQ(d.lastSessionId, live.id);
  EXPECT_EQ(session(dup.id).reasonCode, "PB-1030");
}

}  // namespace
}  // namespace pb
