// SPDX-License-Identifier: Apache-2.0
// Internal to the store module: the Store on SQLite, declared once and implemented one role per
// file (sqlite_inventory.cpp, sqlite_sessions.cpp, sqlite_approvals.cpp, sqlite_audit.cpp,
// sqlite_checks.cpp; opening and the shared row readers in sqlite_store.cpp). Each mutating method
// is one IMMEDIATE transaction that changes the data and appends the audit record(s) describing
// the change; it returns after COMMIT, which with synchronous=FULL in WAL mode means the change
// survives a power cut.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "store/sqlite_util.hpp"
#include "store/store.hpp"

namespace pb {

namespace store_internal {

// Column lists are constants; values are always bound.
inline constexpr const char* kDeviceColumns =
    "id, serial, smbios_uuid, model, owner, owner_email, tenant, ek_sha256, window_from, "
    "window_until, blocked, block_reason, state, reason_code, retryable, enrolled_at, "
    "bound_ek_sha256, slot, last_session_id, state_since, created_at, updated_at";
inline constexpr const char* kSessionColumns =
    "id, device_id, source, slot, identity, state, reason_code, retryable, open, policy_hash, "
    "started_at, updated_at";
inline constexpr const char* kApprovalColumns =
    "id, device_id, serial, smbios_uuid, answers_code, approved_by, reason, created_at, "
    "expires_at, consumed_at";

std::string select(const char* columns, const char* rest);
Error notFound(const std::string& what);  // PB-9503
Error conflict(const std::string& what);  // PB-9504
Error corrupt(const std::string& what);   // "db"
// Identity facts come from the device: invalid UTF-8 must not make serialisation throw.
std::string dumpJson(const nlohmann::json& j);
std::string deviceIdFor(std::int64_t n);
std::string stateString(const std::optional<DeviceState>& s);
bool isLowerHex64(const std::string& s);

// Row readers (column order as in the constants above).
Result<DeviceRecord> readDevice(const sql::Statement& st);
Result<SessionRecord> readSession(const sql::Statement& st);
Approval readApproval(const sql::Statement& st);

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

}  // namespace store_internal

// Store on one SQLite connection (read-write from Store::open, read-only from openReadOnly).
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

}  // namespace pb
