// SPDX-License-Identifier: Apache-2.0
// The Store on SQLite. Each mutating method is one IMMEDIATE transaction that changes the data
// and appends the audit record(s) describing the change; it returns after COMMIT, which with
// synchronous=FULL in WAL mode means the change survives a power cut.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admission/identity.hpp"
#include "core/reasons.hpp"
#include "store/audit_chain.hpp"
#include "store/audit_verify.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_util.hpp"
#include "store/store.hpp"

namespace pb {

namespace {

// How long a statement waits for a lock another process holds (an operator's sqlite3 shell, a
// backup) before failing with SQLITE_BUSY. Short, because the waiting happens on benchd's one
// event loop: 5 s here once stalled every session past its io timeout. A write that fails this way
// fails its request (the error names the lock), which is better than freezing the bench.
constexpr int kBusyTimeoutMs = 100;
constexpr int kWorkerBusyTimeoutMs = 2000;
constexpr std::size_t kMinAuditKeyBytes = 16;

// Column lists are constants; values are always bound.
constexpr const char* kDeviceColumns =
    "id, serial, smbios_uuid, model, owner, owner_email, tenant, ek_sha256, window_from, "
    "window_until, blocked, block_reason, state, reason_code, retryable, enrolled_at, "
    "bound_ek_sha256, slot, last_session_id, state_since, created_at, updated_at";
constexpr const char* kSessionColumns =
    "id, device_id, source, slot, identity, state, reason_code, retryable, open, policy_hash, "
    "started_at, updated_at";
constexpr const char* kApprovalColumns =
    "id, device_id, serial, smbios_uuid, answers_code, approved_by, reason, created_at, "
    "expires_at, consumed_at";

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
  // Identity facts come from the device: invalid UTF-8 must not make serialisation throw.
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

// ---- row readers (column order as in the constants above) ----

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

template <class T, class Reader>
Result<std::vector<T>> readAll(sql::Statement& st, Reader reader) {
  std::vector<T> out;
  for (;;) {
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) break;
    if constexpr (std::is_same_v<decltype(reader(st)), T>) {
      out.push_back(reader(st));
    } else {
      auto item = reader(st);
      if (!item) return item.error();
      out.push_back(std::move(item).value());
    }
  }
  return out;
}

// Registry fields compared on re-import, with how they appear in the audit details.
nlohmann::json registryChanges(const RegistryRow& before, const RegistryRow& after) {
  nlohmann::json changes = nlohmann::json::object();
  auto cmp = [&](const char* name, const auto& a, const auto& b) {
    if (a != b) changes[name] = {{"old", a}, {"new", b}};
  };
  cmp("serial", before.serial, after.serial);  // case only: the lookup is case-insensitive
  cmp("smbios_uuid", before.smbiosUuid, after.smbiosUuid);
  cmp("model", before.model, after.model);
  cmp("owner", before.owner, after.owner);
  cmp("owner_email", before.ownerEmail, after.ownerEmail);
  cmp("tenant", before.tenant, after.tenant);
  cmp("ek_sha256", before.ekSha256, after.ekSha256);
  if (before.windowFrom != after.windowFrom) {
    changes["window_from"] = {{"old", formatUtc(before.windowFrom)},
                              {"new", formatUtc(after.windowFrom)}};
  }
  if (before.windowUntil != after.windowUntil) {
    changes["window_until"] = {{"old", formatUtc(before.windowUntil)},
                               {"new", formatUtc(after.windowUntil)}};
  }
  return changes;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, SecretBytes auditKey, const Clock& clock, int version,
              bool readOnly = false)
      : db_(db),
        cache_(std::make_unique<sql::StatementCache>(db)),
        key_(std::move(auditKey)),
        clock_(clock),
        version_(version),
        readOnly_(readOnly) {}
  ~SqliteStore() override {
    cache_.reset();  // finalize cached statements before the connection closes
    sqlite3_close_v2(db_);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  int schemaVersion() const override { return version_; }
  void setPolicyHash(std::string hash) override { policyHash_ = std::move(hash); }

  Result<ImportSummary> importRegistry(const std::vector<RegistryRow>& rows,
                                       const std::string& actor,
                                       const std::string& sourceName) override;
  Result<ImportChunkResult> applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                             std::size_t end, const std::string& actor,
                                             const std::string& sourceName) override;
  Result<std::optional<DeviceRecord>> findDevice(const std::string& id) override;
  Result<std::optional<DeviceRecord>> findDeviceBySerial(const std::string& serial) override;
  Result<std::vector<DeviceRecord>> findDevicesByUuid(const std::string& smbiosUuid) override;
  Result<std::vector<DeviceRecord>> findDevicesByEk(const std::string& ekSha256) override;
  Result<std::vector<DeviceRecord>> listDevices(std::optional<DeviceState> state) override;
  Result<std::vector<DeviceRecord>> listDevicesPage(std::optional<DeviceState> state,
                                                    bool unseenOnly, const std::string& afterId,
                                                    int limit) override;

  Result<SessionRecord> createSession(SessionRecord init, const std::string& actor) override;
  Status applyTransition(const Transition& t) override;
  Result<std::optional<SessionRecord>> findSession(const std::string& id) override;
  Result<std::vector<SessionRecord>> listSessions(bool openOnly, int limit) override;
  Result<std::vector<SessionRecord>> sessionsForDevice(const std::string& deviceId,
                                                       int limit) override;
  Result<int> failOpenSessions(const std::string& code) override;

  Status setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                    const std::string& reason) override;
  Result<Approval> addApproval(const std::string& deviceId, const std::string& actor,
                               const std::string& reason, std::int64_t ttlSeconds) override;
  Result<std::optional<Approval>> activeApproval(const std::string& deviceId) override;

  Status appendAudit(AuditRecord record) override;
  Result<std::vector<AuditRecord>> auditTail(int count) override;
  Result<std::vector<AuditRecord>> auditForDevice(const std::string& deviceId, int count) override;
  Result<std::int64_t> auditCount() override;
  Result<AuditVerifyReport> verifyAudit() override;
  Result<AuditVerifyReport> verifyAuditIncremental() override;
  Status recordVerifiedHead(std::int64_t seq, const std::string& hash) override;
  Result<DeviceCounts> deviceCounts() override;
  Result<std::int64_t> openSessionCount() override;
  void interrupt() override { sqlite3_interrupt(db_); }  // thread-safe by SQLite's contract
  Result<AuditVerifyReport> verifyAuditHead() override;

  Status recordCheckRun(const CheckRun& run, const std::string& actor) override;
  Result<std::optional<CheckRun>> checkRunForSession(const std::string& sessionId) override;
  Result<std::optional<CheckRun>> latestCheckRunForDevice(const std::string& deviceId) override;

 private:
  Result<sql::Statement> prepare(std::string_view sql) { return cache_->get(sql); }
  Result<std::optional<DeviceRecord>> loadDevice(const char* where, const std::string& key);
  Result<std::optional<SessionRecord>> loadSession(const std::string& id);
  Result<std::string> nextDeviceId();
  // Appends inside the caller's transaction; fills seq, time, policy hash, hashes and MAC.
  Status appendAuditInTx(AuditRecord r, std::int64_t now);
  Status consumeApproval(const Transition& t, const std::string& deviceId, std::int64_t now);
  // Whether session `s` may change `device`'s record (the rule in store.hpp); "" when it may,
  // else why not (for the audit record).
  Result<std::string> deviceHeldFrom(const DeviceRecord& device, const SessionRecord& s,
                                     const std::string& bindEk);
  // The first device other than `deviceId` that `ek` identifies (bound or registered), as
  // "dev-000002 (serial X, bound)"; "" when none.
  Result<std::string> otherEkHolder(const std::string& ek, const std::string& deviceId);
  // Why `row` cannot be written now ("" when it can): another device than those in `rewritten`
  // holds its UUID, or its EK is bound to or registered for one.
  Result<std::string> importClash(const RegistryRow& row, const std::string& deviceId,
                                  const std::set<std::string>& rewritten);

  sqlite3* db_;
  std::unique_ptr<sql::StatementCache> cache_;
  SecretBytes key_;  // cleansed when the store closes
  const Clock& clock_;
  int version_;
  bool readOnly_;
  std::string policyHash_;
};

// ---------------- reads ----------------

Result<std::optional<DeviceRecord>> SqliteStore::loadDevice(const char* where,
                                                            const std::string& key) {
  auto st = prepare(select(kDeviceColumns, "FROM devices ") + where);
  if (!st) return st.error();
  st->bindAll(key);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<DeviceRecord>();
  auto d = readDevice(*st);
  if (!d) return d.error();
  return std::optional<DeviceRecord>(std::move(d).value());
}

Result<std::optional<DeviceRecord>> SqliteStore::findDevice(const std::string& id) {
  return loadDevice("WHERE id = ?", id);
}

Result<std::optional<DeviceRecord>> SqliteStore::findDeviceBySerial(const std::string& serial) {
  return loadDevice("WHERE serial = ?", serial);  // the column is COLLATE NOCASE
}

Result<std::vector<DeviceRecord>> SqliteStore::findDevicesByUuid(const std::string& smbiosUuid) {
  auto canon = canonicalUuid(smbiosUuid);
  if (!canon) return std::vector<DeviceRecord>();  // cannot match a stored (canonical) UUID
  auto st = prepare(select(kDeviceColumns, "FROM devices WHERE smbios_uuid = ? ORDER BY id"));
  if (!st) return st.error();
  st->bindAll(*canon);
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::vector<DeviceRecord>> SqliteStore::findDevicesByEk(const std::string& ekSha256) {
  auto st = prepare(select(
      kDeviceColumns, "FROM devices WHERE bound_ek_sha256 = ?1 OR ek_sha256 = ?1 ORDER BY id"));
  if (!st) return st.error();
  std::string ek = ekSha256;
  for (char& c : ek) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!isLowerHex64(ek)) return std::vector<DeviceRecord>();  // matches nothing stored
  st->bindAll(ek);
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::string> SqliteStore::otherEkHolder(const std::string& ek, const std::string& deviceId) {
  auto st = prepare(
      "SELECT id, serial, bound_ek_sha256 = ?1 FROM devices "
      "WHERE (bound_ek_sha256 = ?1 OR ek_sha256 = ?1) AND id <> ?2 ORDER BY id LIMIT 1");
  if (!st) return st.error();
  st->bindAll(ek, deviceId);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::string();
  return st->text(0) + " (serial " + st->text(1) + ", " +
         (st->int64(2) != 0 ? "bound by attestation" : "in the register") + ")";
}

Result<std::vector<DeviceRecord>> SqliteStore::listDevices(std::optional<DeviceState> state) {
  auto st = prepare(select(kDeviceColumns, state ? "FROM devices WHERE state = ? ORDER BY id"
                                                 : "FROM devices ORDER BY id"));
  if (!st) return st.error();
  if (state) st->bindAll(toString(*state));
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::vector<DeviceRecord>> SqliteStore::listDevicesPage(std::optional<DeviceState> state,
                                                               bool unseenOnly,
                                                               const std::string& afterId,
                                                               int limit) {
  // The primary key gives id order, so every page is one index range scan whatever its offset.
  const char* where = state ? "FROM devices WHERE state = ? AND id > ? ORDER BY id LIMIT ?"
                      : unseenOnly
                          ? "FROM devices WHERE state IS NULL AND id > ? ORDER BY id LIMIT ?"
                          : "FROM devices WHERE id > ? ORDER BY id LIMIT ?";
  auto st = prepare(select(kDeviceColumns, where));
  if (!st) return st.error();
  if (state) {
    st->bindAll(toString(*state), afterId, limit);
  } else {
    st->bindAll(afterId, limit);
  }
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::optional<SessionRecord>> SqliteStore::loadSession(const std::string& id) {
  auto st = prepare(select(kSessionColumns, "FROM sessions WHERE id = ?"));
  if (!st) return st.error();
  st->bindAll(id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<SessionRecord>();
  auto s = readSession(*st);
  if (!s) return s.error();
  return std::optional<SessionRecord>(std::move(s).value());
}

Result<std::optional<SessionRecord>> SqliteStore::findSession(const std::string& id) {
  return loadSession(id);
}

// A non-positive limit means "no limit" (SQLite's LIMIT -1).
Result<std::vector<SessionRecord>> SqliteStore::listSessions(bool openOnly, int limit) {
  auto st =
      prepare(select(kSessionColumns, openOnly ? "FROM sessions WHERE open = 1 "
                                                 "ORDER BY started_at DESC, rowid DESC LIMIT ?"
                                               : "FROM sessions "
                                                 "ORDER BY started_at DESC, rowid DESC LIMIT ?"));
  if (!st) return st.error();
  st->bindAll(limit > 0 ? limit : -1);
  return readAll<SessionRecord>(*st, readSession);
}

Result<std::vector<SessionRecord>> SqliteStore::sessionsForDevice(const std::string& deviceId,
                                                                  int limit) {
  auto st = prepare(select(kSessionColumns,
                           "FROM sessions WHERE device_id = ? "
                           "ORDER BY started_at DESC, rowid DESC LIMIT ?"));
  if (!st) return st.error();
  st->bindAll(deviceId, limit > 0 ? limit : -1);
  return readAll<SessionRecord>(*st, readSession);
}

Result<std::optional<Approval>> SqliteStore::activeApproval(const std::string& deviceId) {
  auto st = prepare(select(kApprovalColumns,
                           "FROM approvals WHERE device_id = ? AND consumed_at = 0 AND "
                           "expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1"));
  if (!st) return st.error();
  st->bindAll(deviceId, clock_.nowUnix());
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Approval>();
  return std::optional<Approval>(readApproval(*st));
}

Result<std::vector<AuditRecord>> SqliteStore::auditTail(int count) {
  auto st = prepare(std::string("SELECT * FROM (") + select(kAuditColumns, "FROM audit") +
                    " ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC");
  if (!st) return st.error();
  st->bindAll(count > 0 ? count : -1);
  return readAll<AuditRecord>(*st, readAuditRow);
}

Result<std::vector<AuditRecord>> SqliteStore::auditForDevice(const std::string& deviceId,
                                                             int count) {
  auto st = prepare(std::string("SELECT * FROM (") +
                    select(kAuditColumns, "FROM audit WHERE device_id = ?") +
                    " ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC");
  if (!st) return st.error();
  st->bindAll(deviceId, count > 0 ? count : -1);
  return readAll<AuditRecord>(*st, readAuditRow);
}

Result<std::int64_t> SqliteStore::auditCount() {
  auto st = prepare("SELECT COUNT(*) FROM audit");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return st->int64(0);
}

Result<AuditVerifyReport> SqliteStore::verifyAudit() {
  return verifyStoredAudit(db_, *cache_, key_, /*incremental=*/false);
}

Result<AuditVerifyReport> SqliteStore::verifyAuditIncremental() {
  return verifyStoredAudit(db_, *cache_, key_, /*incremental=*/true);
}

Status SqliteStore::recordVerifiedHead(std::int64_t seq, const std::string& hash) {
  if (readOnly_) return makeError("db", "recordVerifiedHead on a read-only connection");
  return writeVerifiedHead(db_, *cache_, key_, seq, hash, clock_.nowUnix());
}

Result<DeviceCounts> SqliteStore::deviceCounts() {
  auto st = prepare("SELECT state, COUNT(*), SUM(blocked) FROM devices GROUP BY state");
  if (!st) return st.error();
  DeviceCounts counts;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::string state = st->isNull(0) ? std::string("unseen") : st->text(0);
    counts.byState[state] += st->int64(1);
    counts.total += st->int64(1);
    counts.blocked += st->int64(2);
  }
  return counts;
}

Result<std::int64_t> SqliteStore::openSessionCount() {
  auto st = prepare("SELECT COUNT(*) FROM sessions WHERE open = 1");  // index sessions_open
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return st->int64(0);
}

Result<AuditVerifyReport> SqliteStore::verifyAuditHead() {
  auto st = prepare(select(kAuditColumns, "FROM audit ORDER BY seq DESC LIMIT 2"));
  if (!st) return st.error();
  std::vector<AuditRecord> newest;  // newest first
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    newest.push_back(readAuditRow(*st));
  }
  if (newest.empty()) return AuditVerifyReport{true, 0, 0, "", ""};
  return pb::verifyAuditHead(newest.size() > 1 ? &newest[1] : nullptr, newest[0], key_);
}

// ---------------- writes ----------------

Result<std::string> SqliteStore::nextDeviceId() {
  auto up = prepare("UPDATE counters SET value = value + 1 WHERE name = 'device_id'");
  if (!up) return up.error();
  if (auto s = up->run(); !s) return s.error();
  auto get = prepare("SELECT value FROM counters WHERE name = 'device_id'");
  if (!get) return get.error();
  auto row = get->step();
  if (!row) return row.error();
  if (!*row) return corrupt("device id counter is missing");
  return deviceIdFor(get->int64(0));
}

Status SqliteStore::appendAuditInTx(AuditRecord r, std::int64_t now) {
  auto last = prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (!last) return last.error();
  auto row = last->step();
  if (!row) return row.error();
  AuditRecord previous;
  bool havePrevious = *row;
  if (havePrevious) {
    previous.seq = last->int64(0);
    previous.hash = last->text(1);
  }
  r.seq = havePrevious ? previous.seq + 1 : 1;
  r.time = now;
  r.policyHash = policyHash_;
  if (auto s = sealAuditRecord(r, havePrevious ? &previous : nullptr, key_); !s) return s;
  auto ins = prepare(std::string("INSERT INTO audit (") + kAuditColumns +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(r.seq, r.time, r.actor, r.action, r.deviceId, r.sessionId, r.before, r.after,
               r.reason, r.policyHash, canonicalAuditDetails(r.details), r.prevHash, r.hash, r.mac);
  if (auto s = ins->run(); !s) return s.error().withContext("audit append");
  return {};
}

Status SqliteStore::appendAudit(AuditRecord record) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  if (auto s = appendAuditInTx(std::move(record), now); !s) return s;
  return tx->commit();
}

Result<ImportSummary> SqliteStore::importRegistry(const std::vector<RegistryRow>& rows,
                                                  const std::string& actor,
                                                  const std::string& sourceName) {
  // The two halves benchd runs apart for a large file (store/registry_import_plan.hpp), here
  // back to back and written in one transaction: a direct caller gets all rows or none.
  auto plan = planRegistryImport(*this, rows);
  if (!plan) return plan.error();
  if (!plan->badRows.empty()) {
    const RowError& e = plan->badRows.front();
    return makeError(std::string(reason::kAdminBadRequest), "registry import: line " +
                                                                std::to_string(e.line) + ": " +
                                                                e.message + " (nothing imported)");
  }
  if (!plan->conflicts.empty()) {
    const RowError& e = plan->conflicts.front();
    return conflict("registry import: line " + std::to_string(e.line) + ": " + e.message +
                    " (nothing imported)");
  }
  auto applied = applyImportChunk(*plan, 0, plan->rows.size(), actor, sourceName);
  if (!applied) return applied.error();
  ImportSummary summary;
  summary.created = applied->created;
  summary.updated = applied->updated;
  summary.unchanged = applied->unchanged;
  for (const auto& id : applied->ids) {
    auto d = loadDevice("WHERE id = ?", id);
    if (!d) return d.error();
    if (!*d) return corrupt("device " + id + " vanished during import");
    summary.devices.push_back(std::move(**d));
  }
  return summary;
}

Result<std::string> SqliteStore::importClash(const RegistryRow& row, const std::string& deviceId,
                                             const std::set<std::string>& rewritten) {
  // Another device holding the row's UUID or EK is fine only when this import rewrites it too
  // (a swap); an EK bound by attestation never moves (PB-1023's rule).
  auto byUuid = prepare("SELECT id, serial FROM devices WHERE smbios_uuid = ? AND id <> ?");
  if (!byUuid) return byUuid.error();
  byUuid->bindAll(row.smbiosUuid, deviceId);
  for (;;) {
    auto r = byUuid->step();
    if (!r) return r.error();
    if (!*r) break;
    if (rewritten.count(byUuid->text(0))) continue;
    return "smbios_uuid " + row.smbiosUuid + " would belong to " +
           (deviceId.empty() ? std::string("the new device") : deviceId) + " (serial " +
           row.serial + ") and " + byUuid->text(0) + " (serial " + byUuid->text(1) + ")";
  }
  if (row.ekSha256.empty()) return std::string();
  auto byEk = prepare(
      "SELECT id, serial, bound_ek_sha256 = ?1 FROM devices "
      "WHERE (bound_ek_sha256 = ?1 OR ek_sha256 = ?1) AND id <> ?2 ORDER BY id");
  if (!byEk) return byEk.error();
  byEk->bindAll(row.ekSha256, deviceId);
  for (;;) {
    auto r = byEk->step();
    if (!r) return r.error();
    if (!*r) break;
    const bool bound = byEk->int64(2) != 0;
    if (!bound && rewritten.count(byEk->text(0))) continue;
    return "ek_sha256 " + row.ekSha256 + " already identifies " + byEk->text(0) + " (serial " +
           byEk->text(1) + ", " + (bound ? "bound by attestation" : "in the register") + ")";
  }
  return std::string();
}

Result<ImportChunkResult> SqliteStore::applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                                        std::size_t end, const std::string& actor,
                                                        const std::string& sourceName) {
  if (!plan.clean()) {
    return makeError(std::string(reason::kAdminBadRequest),
                     "registry import: the file has problems (nothing imported)");
  }
  if (begin > end || end > plan.rows.size()) {
    return makeError("store", "registry import: slice outside the plan");
  }
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  ImportChunkResult out;
  for (std::size_t i = begin; i < end; ++i) {
    const PlannedImportRow& p = plan.rows[i];
    const RegistryRow& row = p.row;
    const std::string at = "registry import: line " + std::to_string(row.line) + ": ";
    auto existing = loadDevice("WHERE serial = ?", row.serial);
    if (!existing) return existing.error().withContext(at);
    // The plan was made on another connection, maybe seconds ago: each row's device must still
    // be as it was then, or the row would overwrite a change nobody reviewed.
    if (p.op == ImportOp::Create && *existing) {
      return conflict(at + "serial " + row.serial + " was registered as " + (*existing)->id +
                      " after the file was checked");
    }
    if (p.op != ImportOp::Create && (!*existing || (*existing)->id != p.deviceId ||
                                     !sameRegistration((*existing)->registry, p.before))) {
      return conflict(at + "device " + p.deviceId + " (serial " + row.serial +
                      ") changed after the file was checked");
    }
    auto clash = importClash(row, p.deviceId, plan.deviceIds);
    if (!clash) return clash.error();
    if (!clash->empty()) return conflict(at + *clash);
    if (p.op == ImportOp::Unchanged) {
      ++out.unchanged;
      out.ids.push_back(p.deviceId);
      continue;
    }
    AuditRecord audit;
    audit.actor = actor;
    audit.details = {{"source", sourceName}, {"line", row.line}};
    if (!*existing) {
      auto id = nextDeviceId();
      if (!id) return id.error();
      auto ins = prepare(
          "INSERT INTO devices (id, serial, smbios_uuid, model, owner, owner_email, tenant, "
          "ek_sha256, window_from, window_until, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      if (!ins) return ins.error();
      ins->bindAll(*id, row.serial, row.smbiosUuid, row.model, row.owner, row.ownerEmail,
                   row.tenant, row.ekSha256, row.windowFrom, row.windowUntil, now, now);
      if (auto s = ins->run(); !s) {
        return s.error().withContext("registry import: line " + std::to_string(row.line));
      }
      audit.action = "registry.create";
      audit.deviceId = *id;
      audit.details["serial"] = row.serial;
      audit.details["smbios_uuid"] = row.smbiosUuid;
      audit.details["model"] = row.model;
      audit.details["owner"] = row.owner;
      audit.details["owner_email"] = row.ownerEmail;
      audit.details["tenant"] = row.tenant;
      audit.details["ek_sha256"] = row.ekSha256;
      audit.details["window_from"] = formatUtc(row.windowFrom);
      audit.details["window_until"] = formatUtc(row.windowUntil);
      ++out.created;
      out.ids.push_back(*id);
    } else {
      const DeviceRecord& old = **existing;
      out.ids.push_back(old.id);
      nlohmann::json changes = registryChanges(old.registry, row);
      auto up = prepare(
          "UPDATE devices SET serial = ?, smbios_uuid = ?, model = ?, owner = ?, "
          "owner_email = ?, tenant = ?, ek_sha256 = ?, window_from = ?, window_until = ?, "
          "updated_at = ? WHERE id = ?");
      if (!up) return up.error();
      up->bindAll(row.serial, row.smbiosUuid, row.model, row.owner, row.ownerEmail, row.tenant,
                  row.ekSha256, row.windowFrom, row.windowUntil, now, old.id);
      if (auto s = up->run(); !s) {
        return s.error().withContext("registry import: line " + std::to_string(row.line));
      }
      audit.action = "registry.update";
      audit.deviceId = old.id;
      audit.details["changes"] = std::move(changes);
      ++out.updated;
    }
    if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  }
  if (auto s = tx->commit(); !s) return s.error();
  return out;
}

Result<SessionRecord> SqliteStore::createSession(SessionRecord init, const std::string& actor) {
  const std::int64_t now = clock_.nowUnix();
  if (init.id.empty()) init.id = "s-" + randomHex(8);
  init.state = DeviceState::Discovered;
  init.reasonCode.clear();
  init.retryable = false;
  init.open = true;
  init.policyHash = policyHash_;
  init.startedAt = now;
  init.updatedAt = now;

  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  std::string before;
  bool moveDevice = false;
  if (!init.deviceId.empty()) {
    auto device = loadDevice("WHERE id = ?", init.deviceId);
    if (!device) return device.error();
    if (!*device) return notFound("unknown device " + init.deviceId);
    // A device that already has an open session keeps the state that session gave it: a
    // duplicate connection must not overwrite the record of the live one.
    auto live = prepare("SELECT COUNT(*) FROM sessions WHERE device_id = ? AND open = 1");
    if (!live) return live.error();
    live->bindAll(init.deviceId);
    auto row = live->step();
    if (!row) return row.error();
    // Nor may a claim move a device whose EK is bound: until this session proves that EK, only
    // the session record speaks (applyTransition).
    moveDevice = live->int64(0) == 0 && (*device)->boundEkSha256.empty();
    if (moveDevice) before = stateString((*device)->state);
  }
  auto ins = prepare(std::string("INSERT INTO sessions (") + kSessionColumns +
                     ") VALUES (?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(init.id, init.deviceId, init.source, init.slot, dumpJson(init.identity),
               toString(init.state), init.reasonCode, init.retryable, init.open, init.policyHash,
               init.startedAt, init.updatedAt);
  if (auto s = ins->run(); !s) return s.error().withContext("create session");

  if (moveDevice) {
    auto up = prepare(
        "UPDATE devices SET state = ?, reason_code = '', retryable = 0, state_since = ?, "
        "last_session_id = ?, slot = ?, updated_at = ? WHERE id = ?");
    if (!up) return up.error();
    up->bindAll(toString(init.state), now, init.id, init.slot, now, init.deviceId);
    if (auto s = up->run(); !s) return s.error();
  }
  AuditRecord audit;
  audit.actor = actor;
  audit.action = "session.discovered";
  audit.deviceId = init.deviceId;
  audit.sessionId = init.id;
  audit.before = before;
  audit.after = toString(init.state);
  audit.details = {{"source", init.source}, {"slot", init.slot}, {"identity", init.identity}};
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  return init;
}

Status SqliteStore::consumeApproval(const Transition& t, const std::string& deviceId,
                                    std::int64_t now) {
  auto st = prepare(select(kApprovalColumns, "FROM approvals WHERE id = ?"));
  if (!st) return st.error();
  st->bindAll(t.consumeApprovalId);
  auto row = st->step();
  if (!row) return row.error();
  const std::string name = "approval " + std::to_string(t.consumeApprovalId);
  if (!*row) return notFound("unknown " + name);
  Approval a = readApproval(*st);
  if (a.deviceId != deviceId) return conflict(name + " was given for another device");
  if (a.consumedAt != 0) return conflict(name + " was already used");
  if (a.expiresAt <= now) return conflict(name + " expired at " + formatUtc(a.expiresAt));
  auto up = prepare("UPDATE approvals SET consumed_at = ? WHERE id = ? AND consumed_at = 0");
  if (!up) return up.error();
  up->bindAll(now, a.id);
  if (auto s = up->run(); !s) return s;
  AuditRecord audit;
  audit.actor = t.actor;
  audit.action = "approval.consume";
  audit.deviceId = deviceId;
  audit.sessionId = t.sessionId;
  audit.reason = a.answersCode;
  audit.details = {{"approval_id", a.id},
                   {"approved_by", a.approvedBy},
                   {"serial", a.serial},
                   {"smbios_uuid", a.smbiosUuid}};
  return appendAuditInTx(std::move(audit), now);
}

Status SqliteStore::applyTransition(const Transition& t) {
  const std::int64_t now = clock_.nowUnix();
  if (t.action.empty()) return makeError("db", "a transition needs an audit action");
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();

  auto session = loadSession(t.sessionId);
  if (!session) return session.error();
  if (!*session) return notFound("unknown session " + t.sessionId);
  SessionRecord& s = **session;
  if (!s.open) return conflict("session " + s.id + " is closed");

  // An empty t.deviceId means "this step does not speak for the device" (an unregistered device,
  // or a duplicate session that must leave the live one's record alone): session only. A session
  // may learn its device at a step (identified after Hello), but never changes device.
  const std::string& deviceId = t.deviceId;
  if (!deviceId.empty() && !s.deviceId.empty() && s.deviceId != deviceId) {
    return conflict("session " + s.id + " belongs to device " + s.deviceId + ", not " + deviceId);
  }
  const std::string sessionDeviceId = deviceId.empty() ? s.deviceId : deviceId;
  std::optional<DeviceRecord> device;
  if (!deviceId.empty()) {
    auto d = loadDevice("WHERE id = ?", deviceId);
    if (!d) return d.error();
    if (!*d) return notFound("unknown device " + deviceId);
    device = std::move(*d);
  } else if (t.consumeApprovalId != 0 || !t.adoptSmbiosUuid.empty() || !t.bindEkSha256.empty()) {
    return makeError("db", "approval, UUID adoption and EK binding need a registered device");
  }

  std::string adoptUuid;
  if (!t.adoptSmbiosUuid.empty()) {
    auto canon = canonicalUuid(t.adoptSmbiosUuid);
    if (!canon || isBogusUuid(*canon)) {
      return makeError("db", "cannot adopt an invalid or placeholder SMBIOS UUID");
    }
    adoptUuid = *canon;
  }
  std::string bindEk;
  if (!t.bindEkSha256.empty()) {
    bindEk = t.bindEkSha256;
    for (char& c : bindEk) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!isLowerHex64(bindEk)) return makeError("db", "EK hash must be 64 hex digits");
    // One TPM, one device. The stage checks first; this is the check inside the transaction
    // (and the unique index of migration 4 behind it).
    auto holder = otherEkHolder(bindEk, deviceId);
    if (!holder) return holder.error();
    if (!holder->empty()) {
      return makeError(std::string(reason::kEkBoundElsewhere),
                       "EK " + bindEk + " already identifies " + *holder);
    }
    if (!device->boundEkSha256.empty() && device->boundEkSha256 != bindEk) {
      return makeError(std::string(reason::kEkMismatch),
                       "device " + deviceId + " is bound to another EK");
    }
  }
  std::string held;
  if (device) {
    auto why = deviceHeldFrom(*device, s, bindEk);
    if (!why) return why.error();
    held = std::move(*why);
  }

  const std::string before(toString(s.state));
  const std::string after(toString(t.to));
  auto up = prepare(
      "UPDATE sessions SET device_id = NULLIF(?, ''), state = ?, reason_code = ?, retryable = ?, "
      "open = ?, updated_at = ? WHERE id = ?");
  if (!up) return up.error();
  up->bindAll(sessionDeviceId, after, t.reasonCode, t.retryable, !t.closeSession && s.open, now,
              s.id);
  if (auto st = up->run(); !st) return st;

  AuditRecord audit;
  audit.actor = t.actor;
  audit.action = t.action;
  audit.deviceId = sessionDeviceId;  // the session's device, even when not touched
  audit.sessionId = s.id;
  audit.before = before;
  audit.after = after;
  audit.reason = t.reasonCode;
  audit.details = t.details;
  if (!held.empty()) {
    if (!audit.details.is_object()) audit.details = nlohmann::json::object();
    audit.details["device_unchanged"] = held;
  }
  if (auto st = appendAuditInTx(std::move(audit), now); !st) return st;

  if (device && held.empty()) {
    const bool newState = device->state != t.to || device->lastSessionId != s.id;
    auto dev = prepare(
        "UPDATE devices SET state = ?, reason_code = ?, retryable = ?, state_since = ?, "
        "last_session_id = ?, slot = ?, enrolled_at = ?, bound_ek_sha256 = ?, updated_at = ? "
        "WHERE id = ?");
    if (!dev) return dev.error();
    // Attested is enrolled: from then on the device's return is a re-enrollment (PB-1020).
    const bool enrolls = t.to == DeviceState::Attested || t.to == DeviceState::Ready;
    dev->bindAll(after, t.reasonCode, t.retryable, newState ? now : device->stateSince, s.id,
                 s.slot, enrolls ? now : device->enrolledAt,
                 bindEk.empty() ? device->boundEkSha256 : bindEk, now, deviceId);
    if (auto st = dev->run(); !st) {
      // The unique index: another transaction bound the EK first. Not an internal error.
      if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE && !bindEk.empty()) {
        return makeError(std::string(reason::kEkBoundElsewhere),
                         "EK " + bindEk + " is already bound to another device");
      }
      return st;
    }
  }
  if (device) {
    // An admin's approval was given for this question, and is used up by asking it again.
    if (t.consumeApprovalId != 0) {
      if (auto st = consumeApproval(t, deviceId, now); !st) return st;
    }
    if (!adoptUuid.empty()) {
      auto adopt = prepare("UPDATE devices SET smbios_uuid = ?, updated_at = ? WHERE id = ?");
      if (!adopt) return adopt.error();
      adopt->bindAll(adoptUuid, now, deviceId);
      if (auto st = adopt->run(); !st) return st;
      AuditRecord a;
      a.actor = t.actor;
      a.action = "registry.adopt_uuid";
      a.deviceId = deviceId;
      a.sessionId = s.id;
      a.details = {{"old", device->registry.smbiosUuid}, {"new", adoptUuid}};
      if (t.consumeApprovalId != 0) a.details["approval_id"] = t.consumeApprovalId;
      if (auto st = appendAuditInTx(std::move(a), now); !st) return st;
    }
  }
  return tx->commit();
}

Result<std::string> SqliteStore::deviceHeldFrom(const DeviceRecord& device, const SessionRecord& s,
                                                const std::string& bindEk) {
  if (!device.lastSessionId.empty() && device.lastSessionId != s.id) {
    auto owner = loadSession(device.lastSessionId);
    if (!owner) return owner.error();
    if (*owner && (*owner)->open) {
      return "session " + device.lastSessionId + " is in progress for this device";
    }
  }
  // Proven: this step binds the EK, or an earlier step of this session did. A session becomes
  // the device's last session only through createSession (never for a bound device) or a step
  // that changed the record, so for a bound device "last session is this one" means proven here.
  const bool bound = !device.boundEkSha256.empty();
  const bool proven = !bindEk.empty() || device.lastSessionId == s.id;
  if (bound && !proven) {
    return std::string("the device's EK is bound and this session has not proven it");
  }
  return std::string();
}

Result<int> SqliteStore::failOpenSessions(const std::string& code) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto st = prepare(
      select(kSessionColumns, "FROM sessions WHERE open = 1 ORDER BY started_at ASC, rowid ASC"));
  if (!st) return st.error();
  auto open = readAll<SessionRecord>(*st, readSession);
  if (!open) return open.error();
  const std::string failed(toString(DeviceState::Failed));
  for (const auto& s : *open) {
    auto up = prepare(
        "UPDATE sessions SET state = ?, reason_code = ?, retryable = 1, open = 0, updated_at = ? "
        "WHERE id = ?");
    if (!up) return up.error();
    up->bindAll(failed, code, now, s.id);
    if (auto r = up->run(); !r) return r.error();
    if (!s.deviceId.empty()) {
      // Only when this session still speaks for the device: a newer session owns its state.
      auto dev = prepare(
          "UPDATE devices SET state = ?, reason_code = ?, retryable = 1, state_since = ?, "
          "updated_at = ? WHERE id = ? AND last_session_id = ?");
      if (!dev) return dev.error();
      dev->bindAll(failed, code, now, now, s.deviceId, s.id);
      if (auto r = dev->run(); !r) return r.error();
    }
    AuditRecord audit;
    audit.actor = "benchd";
    audit.action = "session.failed_on_restart";
    audit.deviceId = s.deviceId;
    audit.sessionId = s.id;
    audit.before = toString(s.state);
    audit.after = failed;
    audit.reason = code;
    audit.details = {{"retryable", true}};
    if (auto r = appendAuditInTx(std::move(audit), now); !r) return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  return static_cast<int>(open->size());
}

Status SqliteStore::setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                               const std::string& reason) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto device = loadDevice("WHERE id = ?", deviceId);
  if (!device) return device.error();
  if (!*device) return notFound("unknown device " + deviceId);
  if ((*device)->blocked == blocked) {
    return conflict("device " + deviceId + (blocked ? " is already blocked" : " is not blocked"));
  }
  auto up =
      prepare("UPDATE devices SET blocked = ?, block_reason = ?, updated_at = ? WHERE id = ?");
  if (!up) return up.error();
  up->bindAll(blocked, blocked ? reason : std::string(), now, deviceId);
  if (auto s = up->run(); !s) return s;
  AuditRecord audit;
  audit.actor = actor;
  audit.action = blocked ? "device.block" : "device.unblock";
  audit.deviceId = deviceId;
  audit.reason = reason;
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s;
  return tx->commit();
}

Result<Approval> SqliteStore::addApproval(const std::string& deviceId, const std::string& actor,
                                          const std::string& reason, std::int64_t ttlSeconds) {
  if (ttlSeconds <= 0) {
    return makeError(std::string(reason::kAdminBadRequest), "approval lifetime must be positive");
  }
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto device = loadDevice("WHERE id = ?", deviceId);
  if (!device) return device.error();
  if (!*device) return notFound("unknown device " + deviceId);

  Approval a;
  a.deviceId = deviceId;
  a.serial = (*device)->registry.serial;
  a.smbiosUuid = (*device)->registry.smbiosUuid;
  auto latest = sessionsForDevice(deviceId, 1);
  if (!latest) return latest.error();
  if (!latest->empty()) {
    const auto& identity = latest->front().identity;
    auto it = identity.find("smbios_uuid");
    if (it != identity.end() && it->is_string()) {
      // As observed; canonical when it parses, so admission can compare it byte for byte.
      const auto& seen = it->get_ref<const std::string&>();
      auto canon = canonicalUuid(seen);
      a.smbiosUuid = canon ? *canon : seen;
    }
  }
  a.answersCode = (*device)->reasonCode;
  if (!(*device)->boundEkSha256.empty() && !latest->empty()) {
    // A bound device's record is held against unproven sessions: admission's question
    // (re-enrollment, identity mismatch) was asked on the session.
    const SessionRecord& last = latest->front();
    if (last.state == DeviceState::Quarantined ||
        (last.state == DeviceState::Blocked && last.reasonCode == reason::kApprovalRequired)) {
      a.answersCode = last.reasonCode;
    }
  }
  a.approvedBy = actor;
  a.reason = reason;
  a.createdAt = now;
  a.expiresAt = now + ttlSeconds;
  auto ins = prepare(
      "INSERT INTO approvals (device_id, serial, smbios_uuid, answers_code, approved_by, reason, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(a.deviceId, a.serial, a.smbiosUuid, a.answersCode, a.approvedBy, a.reason,
               a.createdAt, a.expiresAt);
  if (auto s = ins->run(); !s) return s.error();
  a.id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));

  AuditRecord audit;
  audit.actor = actor;
  audit.action = "approval.grant";
  audit.deviceId = deviceId;
  audit.reason = reason;
  audit.details = {{"approval_id", a.id},
                   {"answers_code", a.answersCode},
                   {"serial", a.serial},
                   {"smbios_uuid", a.smbiosUuid},
                   {"expires_at", formatUtc(a.expiresAt)}};
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  return a;
}

// ---------------- open ----------------

// Creates the file 0600 before SQLite sees it (SQLite would create it 0644 & ~umask; its -wal
// and -shm files copy the database file's mode). An existing file is tightened to 0600.
// ---------------- check results ----------------

Status SqliteStore::recordCheckRun(const CheckRun& run, const std::string& actor) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto session = loadSession(run.sessionId);
  if (!session) return session.error();
  if (!*session) return notFound("unknown session " + run.sessionId);
  auto existing = prepare("SELECT 1 FROM check_results WHERE session_id = ? LIMIT 1");
  if (!existing) return existing.error();
  existing->bindAll(run.sessionId);
  auto row = existing->step();
  if (!row) return row.error();
  if (*row) return conflict("session " + run.sessionId + " already has check results");
  nlohmann::json notPassed = nlohmann::json::object();
  std::map<std::string, int> counts{{"pass", 0}, {"warn", 0}, {"fail", 0}, {"missing_data", 0}};
  for (std::size_t i = 0; i < run.checks.size(); ++i) {
    const StoredCheck& c = run.checks[i];
    // Borrowed per row: the cache resets the statement when it is handed back.
    auto ins = prepare(
        "INSERT INTO check_results (session_id, device_id, policy_hash, position, check_id, "
        "outcome, code, message, remediation, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bindAll(run.sessionId, run.deviceId, run.policyHash, static_cast<std::int64_t>(i),
                 c.checkId, c.outcome, c.code, c.message, c.remediation, now);
    // A CHECK constraint failure (unknown outcome) or a duplicate id aborts the whole run.
    if (auto st = ins->run(); !st) return st.error().withContext("check " + c.checkId);
    if (auto it = counts.find(c.outcome); it != counts.end()) ++it->second;
    if (c.outcome != "pass") notPassed[c.checkId] = c.code;
  }
  if (!run.factsJson.empty()) {
    auto facts = prepare("INSERT INTO check_facts (session_id, facts) VALUES (?, ?)");
    if (!facts) return facts.error();
    facts->bindAll(run.sessionId, run.factsJson);
    if (auto st = facts->run(); !st) return st.error().withContext("check facts");
  }
  AuditRecord audit;
  audit.actor = actor;
  audit.action = "checks.recorded";
  audit.deviceId = run.deviceId;
  audit.sessionId = run.sessionId;
  audit.details = {{"policy_hash", run.policyHash}, {"counts", counts}, {"not_passed", notPassed}};
  if (auto st = appendAuditInTx(std::move(audit), now); !st) return st;
  return tx->commit();
}

Result<std::optional<CheckRun>> SqliteStore::checkRunForSession(const std::string& sessionId) {
  auto st = prepare(
      "SELECT device_id, policy_hash, recorded_at, check_id, outcome, code, message, remediation "
      "FROM check_results WHERE session_id = ? ORDER BY position ASC");
  if (!st) return st.error();
  st->bindAll(sessionId);
  std::optional<CheckRun> run;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    if (!run) {
      run.emplace();
      run->sessionId = sessionId;
      run->deviceId = st->text(0);
      run->policyHash = st->text(1);
      run->recordedAt = st->int64(2);
    }
    run->checks.push_back(
        StoredCheck{st->text(3), st->text(4), st->text(5), st->text(6), st->text(7)});
  }
  if (run) {
    auto facts = prepare("SELECT facts FROM check_facts WHERE session_id = ?");
    if (!facts) return facts.error();
    facts->bindAll(sessionId);
    auto row = facts->step();
    if (!row) return row.error();
    if (*row) run->factsJson = facts->text(0);
  }
  return run;
}

Result<std::optional<CheckRun>> SqliteStore::latestCheckRunForDevice(const std::string& deviceId) {
  std::string sessionId;
  {
    auto st = prepare(
        "SELECT session_id FROM check_results WHERE device_id = ? "
        "ORDER BY recorded_at DESC, rowid DESC LIMIT 1");
    if (!st) return st.error();
    st->bindAll(deviceId);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<CheckRun>();
    sessionId = st->text(0);
  }
  return checkRunForSession(sessionId);
}

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

Status Store::recordCheckRun(const CheckRun& /*run*/, const std::string& /*actor*/) {
  return makeError("db", "this store does not keep check results");
}

Result<std::vector<DeviceRecord>> Store::listDevicesPage(std::optional<DeviceState> state,
                                                         bool unseenOnly,
                                                         const std::string& afterId, int limit) {
  auto all = listDevices(state);
  if (!all) return all.error();
  std::sort(all->begin(), all->end(),
            [](const DeviceRecord& a, const DeviceRecord& b) { return a.id < b.id; });
  std::vector<DeviceRecord> page;
  for (auto& d : *all) {
    if (static_cast<int>(page.size()) >= limit) break;
    if (d.id <= afterId || (unseenOnly && d.state.has_value())) continue;
    page.push_back(std::move(d));
  }
  return page;
}

// A store that keeps no check results has none to show.
Result<std::optional<CheckRun>> Store::checkRunForSession(const std::string& /*sessionId*/) {
  return std::optional<CheckRun>();
}

Result<std::optional<CheckRun>> Store::latestCheckRunForDevice(const std::string& /*deviceId*/) {
  return std::optional<CheckRun>();
}

Result<AuditVerifyReport> Store::verifyAuditIncremental() {
  return verifyAudit();
}

Status Store::recordVerifiedHead(std::int64_t /*seq*/, const std::string& /*hash*/) {
  return {};  // a store without a verified head always verifies in full
}

Result<DeviceCounts> Store::deviceCounts() {
  auto all = listDevices(std::nullopt);
  if (!all) return all.error();
  DeviceCounts counts;
  for (const auto& d : *all) {
    ++counts.byState[d.state ? std::string(toString(*d.state)) : std::string("unseen")];
    ++counts.total;
    if (d.blocked) ++counts.blocked;
  }
  return counts;
}

Result<std::int64_t> Store::openSessionCount() {
  auto open = listSessions(true, 0);
  if (!open) return open.error();
  return static_cast<std::int64_t>(open->size());
}

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
