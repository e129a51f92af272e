// SPDX-License-Identifier: Apache-2.0
#include "store/migrations.hpp"

#include <array>
#include <string>

#include "store/sqlite_util.hpp"

namespace pb {

namespace {

// Version 1: the initial schema.
//
// devices.serial is COLLATE NOCASE: a register typed in lower case must still find the device
// that reports its serial in upper case, and two serials differing only in case are one device.
// counters.device_id only ever grows, so a device id is never handed out twice.
// The audit table refuses UPDATE and DELETE: not a security boundary (whoever can write the file
// can drop a trigger; the hash chain and MACs catch that), but a guard against our own bugs.
constexpr const char* kV1 = R"sql(
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('device_id', 0);

CREATE TABLE devices (
  id              TEXT PRIMARY KEY,
  serial          TEXT NOT NULL COLLATE NOCASE UNIQUE,
  smbios_uuid     TEXT NOT NULL,
  model           TEXT NOT NULL,
  owner           TEXT NOT NULL,
  owner_email     TEXT NOT NULL,
  tenant          TEXT NOT NULL,
  ek_sha256       TEXT NOT NULL DEFAULT '',
  window_from     INTEGER NOT NULL,
  window_until    INTEGER NOT NULL,
  blocked         INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
  block_reason    TEXT NOT NULL DEFAULT '',
  state           TEXT CHECK (state IS NULL OR state IN ('discovered', 'identified', 'checked',
                    'attested', 'sealed', 'handed_off', 'ready', 'blocked', 'quarantined',
                    'failed', 'not_attestable')),
  reason_code     TEXT NOT NULL DEFAULT '',
  retryable       INTEGER NOT NULL DEFAULT 0 CHECK (retryable IN (0, 1)),
  enrolled_at     INTEGER NOT NULL DEFAULT 0,
  bound_ek_sha256 TEXT NOT NULL DEFAULT '',
  slot            TEXT NOT NULL DEFAULT '',
  last_session_id TEXT NOT NULL DEFAULT '',
  state_since     INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX devices_by_uuid ON devices (smbios_uuid);
CREATE INDEX devices_by_state ON devices (state);

CREATE TABLE sessions (
  id          TEXT PRIMARY KEY,
  device_id   TEXT REFERENCES devices (id),
  source      TEXT NOT NULL,
  slot        TEXT NOT NULL,
  identity    TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('discovered', 'identified', 'checked', 'attested',
                'sealed', 'handed_off', 'ready', 'blocked', 'quarantined', 'failed',
                'not_attestable')),
  reason_code TEXT NOT NULL DEFAULT '',
  retryable   INTEGER NOT NULL DEFAULT 0 CHECK (retryable IN (0, 1)),
  open        INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
  policy_hash TEXT NOT NULL DEFAULT '',
  started_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_device ON sessions (device_id, started_at);
CREATE INDEX sessions_open ON sessions (open) WHERE open = 1;
CREATE INDEX sessions_by_start ON sessions (started_at);

CREATE TABLE approvals (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id    TEXT NOT NULL REFERENCES devices (id),
  serial       TEXT NOT NULL,
  smbios_uuid  TEXT NOT NULL,
  answers_code TEXT NOT NULL,
  approved_by  TEXT NOT NULL,
  reason       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  consumed_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approvals_by_device ON approvals (device_id, created_at);

CREATE TABLE audit (
  seq          INTEGER PRIMARY KEY,
  time         INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  device_id    TEXT NOT NULL DEFAULT '',
  session_id   TEXT NOT NULL DEFAULT '',
  state_before TEXT NOT NULL DEFAULT '',
  state_after  TEXT NOT NULL DEFAULT '',
  reason       TEXT NOT NULL DEFAULT '',
  policy_hash  TEXT NOT NULL DEFAULT '',
  details      TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL,
  mac          TEXT NOT NULL
);
CREATE INDEX audit_by_device ON audit (device_id, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 2: firmware/AMT check results, one row per check per session, with the hash of the
// policy they were judged under (a later policy change must not reinterpret an old result).
// One run per session: the primary key refuses a second write for the same session and check.
constexpr const char* kV2 = R"sql(
CREATE TABLE check_results (
  session_id  TEXT NOT NULL REFERENCES sessions (id),
  device_id   TEXT NOT NULL DEFAULT '',
  policy_hash TEXT NOT NULL,
  position    INTEGER NOT NULL,
  check_id    TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('pass', 'warn', 'fail', 'missing_data')),
  code        TEXT NOT NULL DEFAULT '',
  message     TEXT NOT NULL DEFAULT '',
  remediation TEXT NOT NULL DEFAULT '',
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, check_id)
);
CREATE INDEX check_results_by_device ON check_results (device_id, recorded_at);
)sql";

// The facts each check run was evaluated on (the wire JSON the agent sent), so `policy load
// --dry-run` can evaluate a candidate policy against what registered devices really reported.
constexpr const char* kV3 = R"sql(
CREATE TABLE check_facts (
  session_id  TEXT PRIMARY KEY REFERENCES sessions (id),
  facts       TEXT NOT NULL
);
)sql";

// Version 4: an EK is the identity of at most one device. The unique index is the backstop
// behind the attestation stage's own check (PB-1023): two devices can never both be bound to one
// TPM, whatever a stage gets wrong. Register EKs (ek_sha256) are indexed for that lookup but not
// unique here: an import may swap two devices' EKs row by row, so the importer checks them after
// all rows are written.
constexpr const char* kV4 = R"sql(
CREATE UNIQUE INDEX devices_by_bound_ek ON devices (bound_ek_sha256) WHERE bound_ek_sha256 <> '';
CREATE INDEX devices_by_registered_ek ON devices (ek_sha256) WHERE ek_sha256 <> '';
)sql";

// A database that already binds one EK to two devices (one TPM attested as two, before version
// 4) cannot get the unique index. Failing with the devices named is the only safe choice: picking
// the "real" one is an investigation, not something a migration may guess.
Status refuseSharedBoundEks(sqlite3* db) {
  auto st = sql::Statement::prepare(
      db,
      "SELECT bound_ek_sha256, group_concat(id || ' (serial ' || serial || ')', ', ') "
      "FROM devices WHERE bound_ek_sha256 <> '' GROUP BY bound_ek_sha256 HAVING COUNT(*) > 1 "
      "ORDER BY bound_ek_sha256");
  if (!st) return st.error();
  std::string found;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    found += (found.empty() ? "" : "; ") + std::string("EK ") + st->text(0) + " is bound to " +
             st->text(1);
  }
  if (found.empty()) return {};
  return makeError("db",
                   "one TPM was attested as several devices (" + found +
                       "); investigate, then clear the binding of every clone (UPDATE devices SET "
                       "bound_ek_sha256 = '', state = 'quarantined', reason_code = 'PB-1023' "
                       "WHERE id = ...) before starting this version (store/README.md)");
}

// Version 5: how far the audit chain is known to be intact, so `audit verify` checks only the
// records after it (store/audit_verify.hpp). One row; its MAC (audit key) stops someone who can
// write the file from claiming "already verified" for records they edited.
constexpr const char* kV5 = R"sql(
CREATE TABLE audit_verified (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  seq          INTEGER NOT NULL,
  hash         TEXT NOT NULL,
  verified_at  INTEGER NOT NULL,
  mac          TEXT NOT NULL
);
)sql";

constexpr std::array<Migration, 5> kMigrations{{
    {1, "initial schema", kV1},
    {2, "check results", kV2},
    {3, "check facts", kV3},
    {4, "one device per EK", kV4, refuseSharedBoundEks},
    {5, "audit verified head", kV5},
}};

Result<int> currentVersion(sqlite3* db) {
  auto st = sql::Statement::prepare(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return static_cast<int>(st->int64(0));
}

}  // namespace

std::span<const Migration> storeMigrations() {
  return kMigrations;
}

int latestSchemaVersion() {
  return kMigrations.back().version;
}

Result<int> migrateStore(sqlite3* db, std::int64_t now) {
  if (auto s = sql::exec(db,
                         "CREATE TABLE IF NOT EXISTS schema_version ("
                         " version INTEGER PRIMARY KEY,"
                         " description TEXT NOT NULL,"
                         " applied_at INTEGER NOT NULL)");
      !s) {
    return s.error().withContext("schema_version");
  }
  auto version = currentVersion(db);
  if (!version) return version.error();
  if (*version > latestSchemaVersion()) {
    return makeError("db", "the database has schema version " + std::to_string(*version) +
                               ", newer than this build knows (" +
                               std::to_string(latestSchemaVersion()) +
                               "); refusing to open it with an older benchd");
  }
  for (const auto& m : kMigrations) {
    if (m.version <= *version) continue;
    auto tx = sql::Transaction::begin(db);
    if (!tx) return tx.error();
    // Re-read inside the write lock: another process may have migrated in the meantime.
    auto again = currentVersion(db);
    if (!again) return again.error();
    if (*again >= m.version) continue;
    if (m.precheck != nullptr) {
      if (auto s = m.precheck(db); !s) {
        return s.error().withContext("migration " + std::to_string(m.version));
      }
    }
    if (auto s = sql::exec(db, m.sql); !s) {
      return s.error().withContext("migration " + std::to_string(m.version));
    }
    auto ins = sql::Statement::prepare(
        db, "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)");
    if (!ins) return ins.error();
    ins->bindAll(m.version, m.description, now);
    if (auto s = ins->run(); !s) return s.error();
    if (auto s = tx->commit(); !s)
      return s.error().withContext("migration " + std::to_string(m.version));
  }
  return currentVersion(db);
}

}  // namespace pb
