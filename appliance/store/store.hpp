// SPDX-License-Identifier: Apache-2.0
// The inventory: asset register, device records, sessions, approvals and the hash-chained audit
// log, all in one SQLite database on disk (WAL, synchronous=FULL, versioned migrations).
//
// Why one database: a state transition and its audit record must commit together, so a crash
// leaves both or neither. Every mutating call below is exactly one transaction that also appends
// the audit record(s) describing it, and returns only after the commit is durable.
//
// @par Thread Safety
// A Store is used from one thread at a time (the caller serialises; benchd owns it on one strand).
// benchd's heavy reads use a second, read-only Store (openReadOnly) owned by the StoreWorker's
// thread; interrupt() is the one call allowed across threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/clock.hpp"
#include "core/device_state.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "registry/registry_row.hpp"
#include "store/registry_import_plan.hpp"

namespace pb {

struct DeviceRecord {
  std::string id;  // reserved device id, "dev-000001" (assigned at import, never reused)
  RegistryRow registry;
  bool blocked = false;
  std::string blockReason;
  std::optional<DeviceState> state;  // nullopt: never seen on the bench
  std::string reasonCode;            // PB-xxxx of the current state ("" for none)
  bool retryable = false;
  std::int64_t enrolledAt = 0;  // when the device was last attested or ready (0: never)
  std::string boundEkSha256;    // EK hash proven by attestation ("" until then)
  std::string slot;
  std::string lastSessionId;
  std::int64_t stateSince = 0;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

struct SessionRecord {
  std::string id;                                      // random, "s-" + 16 hex
  std::string deviceId;                                // "" when the device is not registered
  std::string source;                                  // peer address
  std::string slot;                                    // slot id from the slot map, "" when unknown
  nlohmann::json identity = nlohmann::json::object();  // identity facts from Hello
  DeviceState state = DeviceState::Discovered;
  std::string reasonCode;
  bool retryable = false;
  bool open = true;  // false once the agent was given its final answer (or the session was failed)
  std::string policyHash;
  std::int64_t startedAt = 0;
  std::int64_t updatedAt = 0;
};

// An admin's approval, bound to one device record and to the identity observed when it was given.
struct Approval {
  std::int64_t id = 0;
  std::string deviceId;
  std::string serial;       // identity the approval is bound to
  std::string smbiosUuid;   // the UUID observed in the device's latest session (may differ from the
                            // register when approving an identity mismatch)
  std::string answersCode;  // the reason code it answers (PB-1003, PB-1020, PB-1021)
  std::string approvedBy;
  std::string reason;
  std::int64_t createdAt = 0;
  std::int64_t expiresAt = 0;
  std::int64_t consumedAt = 0;  // 0: not yet used
};

struct AuditRecord {
  std::int64_t seq = 0;
  std::int64_t time = 0;
  std::string actor;  // "uid:0", "session:s-…", "benchd"
  std::string action;
  std::string deviceId;
  std::string sessionId;
  std::string before;  // state before ("" when not a state change)
  std::string after;
  std::string reason;  // reason code or admin's free text
  std::string policyHash;
  nlohmann::json details = nlohmann::json::object();
  std::string prevHash;  // hex SHA-256 of the previous record ("" -> 64 zeros for the first)
  std::string hash;      // hex SHA-256 over prevHash and this record's canonical fields
  std::string mac;       // hex HMAC-SHA-256(audit key, hash)
};

struct AuditVerifyReport {
  bool ok = false;
  std::int64_t records = 0;      // records checked by this run
  std::int64_t firstBadSeq = 0;  // 0 when ok
  std::string problem;           // "record 17 was edited", "record 9 is missing", …
  std::string headHash;
  std::int64_t headSeq = 0;  // seq of the newest record known intact (0: none)
  bool full = true;          // false: only the records after the verified head were checked
  std::int64_t fromSeq = 1;  // the first record checked
};

// Device counts for `status`, by aggregate queries (no record is read into memory).
struct DeviceCounts {
  std::map<std::string, std::int64_t> byState;  // state name, or "unseen"; absent means 0
  std::int64_t total = 0;
  std::int64_t blocked = 0;
};

// What a session step changes, applied atomically with its audit record.
struct Transition {
  std::string sessionId;
  std::string deviceId;  // "" for an unregistered device (session only)
  DeviceState to = DeviceState::Discovered;
  std::string reasonCode;
  bool retryable = false;
  bool closeSession = false;           // the agent is given its final answer with this step
  std::int64_t consumeApprovalId = 0;  // mark this approval used (0: none)
  std::string adoptSmbiosUuid;         // an approved identity mismatch: update the register's UUID
  std::string bindEkSha256;            // attestation proved this EK ("" : unchanged)
  std::string actor;
  std::string action;  // audit action, e.g. "admission.identified"
  nlohmann::json details = nlohmann::json::object();
};

// One policy check's result as stored (policy/check_result.hpp, kept as text so the store does not
// depend on the policy library).
struct StoredCheck {
  std::string checkId;  // "amt.thumbprints"
  std::string outcome;  // "pass" | "warn" | "fail" | "missing_data"
  std::string code;
  std::string message;
  std::string remediation;
};

// All check results of one session, judged under one policy.
struct CheckRun {
  std::string sessionId;
  std::string deviceId;  // "" for an unregistered device
  std::string policyHash;
  std::int64_t recordedAt = 0;
  std::vector<StoredCheck> checks;  // in evaluation order
  std::string factsJson;            // the facts the checks were evaluated on ("" when not kept)
};

struct ImportSummary {
  int created = 0;
  int updated = 0;
  int unchanged = 0;  // already registered with exactly these values (no write, no audit record)
  std::vector<DeviceRecord> devices;  // the records after import, in file order
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens or creates the database, applies pending migrations (each in a transaction, recorded in
  // schema_version) and refuses a database newer than this build knows.
  // The audit key is held as SecretBytes for the store's life and cleansed when it closes.
  static Result<std::unique_ptr<Store>> open(const std::string& dbPath, SecretBytes auditKey,
                                             const Clock& clock);
  // For tests and tools holding the key as plain Bytes: takes the buffer over (no copy).
  static Result<std::unique_ptr<Store>> open(const std::string& dbPath, Bytes auditKey,
                                             const Clock& clock);
  // A second, read-only connection to a database `open` has already created and migrated (WAL
  // lets it read while the main connection writes). For heavy reads on a worker thread
  // (store/store_worker.hpp): every mutating call fails. Refuses a schema other than this build's.
  static Result<std::unique_ptr<Store>> openReadOnly(const std::string& dbPath,
                                                     SecretBytes auditKey, const Clock& clock);
  static Result<std::unique_ptr<Store>> openReadOnly(const std::string& dbPath, Bytes auditKey,
                                                     const Clock& clock);

  virtual int schemaVersion() const = 0;
  // Recorded on sessions and audit records from now on.
  virtual void setPolicyHash(std::string hash) = 0;

  // --- asset register ---
  // All rows or none. A serial already registered updates that record (audited as
  // registry.update with the old and new values); a new serial creates a record with a fresh id.
  virtual Result<ImportSummary> importRegistry(const std::vector<RegistryRow>& rows,
                                               const std::string& actor,
                                               const std::string& sourceName) = 0;
  // One slice [begin, end) of a clean plan (registry_import_plan.hpp) in one transaction: each
  // row's device must still be as the plan saw it, and its UUID / EK still free (else a PB-9504
  // conflict naming the line, and nothing of the slice is written). Audited like importRegistry.
  // benchd applies a large import slice by slice so that no write holds its loop for long.
  // Not pure: stores without it (test doubles) refuse.
  virtual Result<ImportChunkResult> applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                                     std::size_t end, const std::string& actor,
                                                     const std::string& sourceName) {
    (void)plan, (void)begin, (void)end, (void)actor, (void)sourceName;
    return makeError("store", "applyImportChunk is not supported by this store");
  }
  virtual Result<std::optional<DeviceRecord>> findDevice(const std::string& id) = 0;
  virtual Result<std::optional<DeviceRecord>> findDeviceBySerial(const std::string& serial) = 0;
  virtual Result<std::vector<DeviceRecord>> findDevicesByUuid(const std::string& smbiosUuid) = 0;
  // Devices an EK (lower-case hex SHA-256) already identifies: bound by attestation or given in the
  // register. At most one is bound (a unique index); the attestation stage refuses the EK for any
  // other device (PB-1023).
  virtual Result<std::vector<DeviceRecord>> findDevicesByEk(const std::string& ekSha256) = 0;
  virtual Result<std::vector<DeviceRecord>> listDevices(std::optional<DeviceState> state) = 0;
  // One page of devices in id order (keyset pagination): those with id > afterId ("" for the
  // first page), at most `limit`. state: only that state; unseenOnly: only devices never seen.
  // Not pure: the default filters listDevices (test doubles); the SQLite store reads one page.
  virtual Result<std::vector<DeviceRecord>> listDevicesPage(std::optional<DeviceState> state,
                                                            bool unseenOnly,
                                                            const std::string& afterId, int limit);

  // --- sessions ---
  // Inserts the session in state `discovered` (and, for a registered device, moves the device to
  // `discovered` unless the device record is held, see applyTransition) with one audit record
  // "session.discovered". Fills id, startedAt, updatedAt.
  virtual Result<SessionRecord> createSession(SessionRecord init, const std::string& actor) = 0;
  // Always changes the session and appends the audit record. Changes the device record only when
  // this session may speak for the device (the identity rule, appliance/README.md):
  //   - no other open session owns the record (the device's last session is this one or closed:
  //     a duplicate connection never overwrites the live session's state), and
  //   - the device has no bound EK, or this session proved it: this step binds it (attested) or an
  //     earlier step of this session did (the device's last session is this one). Before that a
  //     session is a claim only, and an attested device stays attested whatever the claim does.
  // Otherwise the device record is left as it is and the audit record says so
  // ("device_unchanged"). Approvals are consumed and approved UUIDs adopted either way.
  // Binding an EK that another device holds (bound or registered) fails with PB-1023
  // (reason::kEkBoundElsewhere) and changes nothing.
  virtual Status applyTransition(const Transition& t) = 0;
  virtual Result<std::optional<SessionRecord>> findSession(const std::string& id) = 0;
  virtual Result<std::vector<SessionRecord>> listSessions(bool openOnly, int limit) = 0;
  // Newest first.
  virtual Result<std::vector<SessionRecord>> sessionsForDevice(const std::string& deviceId,
                                                               int limit) = 0;
  // At start-up: every open session (and its device) becomes failed(code, retryable), one audit
  // record each. Returns how many.
  virtual Result<int> failOpenSessions(const std::string& code) = 0;

  // --- check results ---
  // Not pure, so test doubles that do not care keep compiling (the defaults record nothing and
  // find nothing); the SQLite store implements them.
  // One transaction: the rows and one audit record "checks.recorded" (counts and the ids that did
  // not pass). A second run for the same session is PB-9504; an unknown session PB-9503.
  virtual Status recordCheckRun(const CheckRun& run, const std::string& actor);
  virtual Result<std::optional<CheckRun>> checkRunForSession(const std::string& sessionId);
  // The newest run for the device (nullopt when it was never checked).
  virtual Result<std::optional<CheckRun>> latestCheckRunForDevice(const std::string& deviceId);

  // --- admin actions (each audited with the actor) ---
  virtual Status setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                            const std::string& reason) = 0;
  // Binds to the device's serial and the UUID seen in its latest session (the register's UUID if
  // it was never seen); answersCode is the device's current reason code, or, for a device whose
  // record is held by its bound EK, the code its latest session was quarantined or blocked with
  // (re-enrollment, identity mismatch: the question was asked on the session).
  virtual Result<Approval> addApproval(const std::string& deviceId, const std::string& actor,
                                       const std::string& reason, std::int64_t ttlSeconds) = 0;
  // The newest approval that is neither expired nor consumed.
  virtual Result<std::optional<Approval>> activeApproval(const std::string& deviceId) = 0;

  // --- audit log ---
  virtual Status appendAudit(AuditRecord record) = 0;  // seq/time/hashes/mac/policy filled in
  virtual Result<std::vector<AuditRecord>> auditTail(int count) = 0;  // oldest first
  virtual Result<std::vector<AuditRecord>> auditForDevice(const std::string& deviceId,
                                                          int count) = 0;  // oldest first
  virtual Result<std::int64_t> auditCount() = 0;
  // The whole chain, from record 1 (`benchctl audit verify --full`).
  virtual Result<AuditVerifyReport> verifyAudit() = 0;
  // Only the records after the verified head (recordVerifiedHead), after re-checking the head's
  // own MAC and its record; a full verification when there is no head yet. A head whose MAC does
  // not verify is a failed report, never silently ignored. Default: verifyAudit().
  virtual Result<AuditVerifyReport> verifyAuditIncremental();
  // Remembers that records 1..seq are intact and seq's hash is `hash` (the result of a successful
  // verification). Never moves the head backwards. One small write: call it on the owner's thread.
  virtual Status recordVerifiedHead(std::int64_t seq, const std::string& hash);

  // --- cheap counts (aggregate queries; the defaults list everything, for test doubles) ---
  virtual Result<DeviceCounts> deviceCounts();
  virtual Result<std::int64_t> openSessionCount();

  // Asks a call running on another thread to stop early (sqlite3_interrupt); it then fails with
  // a "db" error. The only method that may be called from a thread other than the owner's.
  virtual void interrupt() {}
  // O(1): only the newest record (hash, MAC) and its link to the one before (audit_chain.hpp
  // verifyAuditHead). ok with records = 0 for an empty log. benchd runs it at every start.
  virtual Result<AuditVerifyReport> verifyAuditHead() = 0;
};

}  // namespace pb
