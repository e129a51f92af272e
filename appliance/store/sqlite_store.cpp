// SPDX-License-Identifier: Apache-2.0
// Opening the SQLite store (file mode, pragmas, migrations) and the row readers every role's file
// shares. The roles' methods are in sqlite_<role>.cpp.
#include "store/sqlite_store.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/reasons.hpp"
#include "store/migrations.hpp"

namespace pb {

namespace store_internal {

std::string select(const char* columns, const char* rest) {
  return std::string("SELECT ") + columns + " " + rest;
}

Error notFound(const std::string& what) {
  return makeError(std::string(reason::kAdminNotFound), what);
}
Error conflict(const std::string& what) {
  return makeError(std::string(reason::kAdminConflict), what);
}
Error corrupt(const std::string& what) {
  return makeError("db", "corrupt database: " + what);
}

std::string dumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string deviceIdFor(std::int64_t n) {
  std::string digits = std::to_string(n);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return "dev-" + digits;
}

std::string stateString(const std::optional<DeviceState>& s) {
  return s ? std::string(toString(*s)) : std::string();
}

bool isLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<DeviceRecord> readDevice(const sql::Statement& st) {
  DeviceRecord d;
  d.id = st.text(0);
  d.registry.serial = st.text(1);
  d.registry.smbiosUuid = st.text(2);
  d.registry.model = st.text(3);
  d.registry.owner = st.text(4);
  d.registry.ownerEmail = st.text(5);
  d.registry.tenant = st.text(6);
  d.registry.ekSha256 = st.text(7);
  d.registry.windowFrom = st.int64(8);
  d.registry.windowUntil = st.int64(9);
  d.blocked = st.int64(10) != 0;
  d.blockReason = st.text(11);
  if (!st.isNull(12)) {
    d.state = deviceStateFromString(st.text(12));
    if (!d.state) return corrupt("device " + d.id + " has an unknown state");
  }
  d.reasonCode = st.text(13);
  d.retryable = st.int64(14) != 0;
  d.enrolledAt = st.int64(15);
  d.boundEkSha256 = st.text(16);
  d.slot = st.text(17);
  d.lastSessionId = st.text(18);
  d.stateSince = st.int64(19);
  d.createdAt = st.int64(20);
  d.updatedAt = st.int64(21);
  return d;
}

Result<SessionRecord> readSession(const sql::Statement& st) {
  SessionRecord s;
  s.id = st.text(0);
  s.deviceId = st.text(1);  // NULL reads as ""
  s.source = st.text(2);
  s.slot = st.text(3);
  s.identity = nlohmann::json::parse(st.text(4), nullptr, false);
  if (s.identity.is_discarded()) return corrupt("session " + s.id + " has unreadable identity");
  auto state = deviceStateFromString(st.text(5));
  if (!state) return corrupt("session " + s.id + " has an unknown state");
  s.state = *state;
  s.reasonCode = st.text(6);
  s.retryable = st.int64(7) != 0;
  s.open = st.int64(8) != 0;
  s.policyHash = st.text(9);
  s.startedAt = st.int64(10);
  s.updatedAt = st.int64(11);
  return s;
}

Approval readApproval(const sql::Statement& st) {
  Approval a;
  a.id = st.int64(0);
  a.deviceId = st.text(1);
  a.serial = st.text(2);
  a.smbiosUuid = st.text(3);
  a.answersCode = st.text(4);
  a.approvedBy = st.text(5);
  a.reason = st.text(6);
  a.createdAt = st.int64(7);
  a.expiresAt = st.int64(8);
  a.consumedAt = st.int64(9);
  return a;
}

}  // namespace store_internal

namespace {

// How long a statement waits for a lock another process holds (an operator's sqlite3 shell, a
// backup) before failing with SQLITE_BUSY. Short, because the waiting happens on benchd's one
// event loop: 5 s here once stalled every session past its io timeout. A write that fails this way
// fails its request (the error names the lock), which is better than freezing the bench.
constexpr int kBusyTimeoutMs = 100;
constexpr int kWorkerBusyTimeoutMs = 2000;
constexpr std::size_t kMinAuditKeyBytes = 16;

// Creates the file 0600 before SQLite sees it (SQLite would create it 0644 & ~umask; its -wal
// and -shm files copy the database file's mode). An existing file is tightened to 0600.
Status prepareDbFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return makeError("io", "cannot open database " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  Status result;
  if (::fstat(fd, &st) != 0) {
    result = makeError("io", "cannot stat database " + path + ": " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    result = makeError("io", "database " + path + " is not a regular file");
  } else if ((st.st_mode & 0777) != 0600 && ::fchmod(fd, 0600) != 0) {
    result = makeError("io", "cannot chmod database " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return result;
}

Status pragmaExpect(sqlite3* db, const char* pragma, const std::string& expected) {
  auto st = sql::Statement::prepare(db, pragma);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  std::string got = *row ? st->text(0) : std::string();
  if (got != expected) {
    return makeError("db",
                     std::string(pragma) + " returned '" + got + "', expected '" + expected + "'");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> Store::openReadOnly(const std::string& dbPath, SecretBytes auditKey,
                                                   const Clock& clock) {
  auto fail = [&](const Error& e) {
    secureZero(auditKey.data(), auditKey.size());
    return e.withContext("open read-only " + dbPath);
  };
  if (auditKey.size() < kMinAuditKeyBytes) {
    return fail(makeError("db", "the audit key must be at least 16 bytes"));
  }
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(dbPath.c_str(), &raw,
                      SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) return fail(sql::dbError(raw, "sqlite3_open"));
  sqlite3_extended_result_codes(raw, 1);
  // Readers never wait for the writer in WAL mode; the timeout covers WAL recovery and
  // checkpoints, on the worker thread, so it may be longer than the loop connection's.
  sqlite3_busy_timeout(raw, kWorkerBusyTimeoutMs);
  if (auto s = pragmaExpect(raw, "PRAGMA journal_mode", "wal"); !s) return fail(s.error());
  if (auto s = sql::exec(raw, "PRAGMA query_only=ON"); !s) return fail(s.error());
  if (auto s = sql::exec(raw, "PRAGMA trusted_schema=OFF"); !s) return fail(s.error());
  int v = 0;
  {  // the statement is finalized before the store takes the handle
    auto version =
        sql::Statement::prepare(raw, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!version) return fail(version.error());
    auto row = version->step();
    if (!row) return fail(row.error());
    if (*row) v = static_cast<int>(version->int64(0));
  }
  if (v != latestSchemaVersion()) {
    return fail(makeError("db", "schema version " + std::to_string(v) + ", this build expects " +
                                    std::to_string(latestSchemaVersion())));
  }
  auto store = std::make_unique<SqliteStore>(db.release(), std::move(auditKey), clock, v,
                                             /*readOnly=*/true);
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> Store::openReadOnly(const std::string& dbPath, Bytes auditKey,
                                                   const Clock& clock) {
  return openReadOnly(dbPath, SecretBytes(std::move(auditKey)), clock);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dbPath, Bytes auditKey,
                                           const Clock& clock) {
  return open(dbPath, SecretBytes(std::move(auditKey)), clock);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dbPath, SecretBytes auditKey,
                                           const Clock& clock) {
  // auditKey cleanses itself on every return below.
  if (auditKey.size() < kMinAuditKeyBytes) {
    return makeError("db", "the audit key must be at least 16 bytes");
  }
  if (auto s = prepareDbFile(dbPath); !s) return s.error();

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(dbPath.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                           nullptr);
  // Owns the handle until the store takes it.
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  auto fail = [&](const Error& e) { return e.withContext("open " + dbPath); };
  if (rc != SQLITE_OK) return fail(sql::dbError(raw, "sqlite3_open"));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (auto s = pragmaExpect(raw, "PRAGMA journal_mode=WAL", "wal"); !s) return fail(s.error());
  for (const char* pragma :
       {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA trusted_schema=OFF"}) {
    if (auto s = sql::exec(raw, pragma); !s) return fail(s.error());
  }
  // Refuse to run on a build where foreign keys silently do nothing.
  if (auto s = pragmaExpect(raw, "PRAGMA foreign_keys", "1"); !s) return fail(s.error());
  if (auto s = pragmaExpect(raw, "PRAGMA synchronous", "2"); !s) return fail(s.error());

  auto version = migrateStore(raw, clock.nowUnix());
  if (!version) return fail(version.error());
  auto store = std::make_unique<SqliteStore>(db.release(), std::move(auditKey), clock, *version);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace pb
