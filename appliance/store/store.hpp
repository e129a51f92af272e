// SPDX-License-Identifier: Apache-2.0
// The inventory: asset register, device records, sessions, approvals, check results and the
// hash-chained audit log, all in one SQLite database on disk (WAL, synchronous=FULL, versioned
// migrations).
//
// Why one database: a state transition and its audit record must commit together, so a crash
// leaves both or neither. Every mutating call is exactly one transaction that also appends the
// audit record(s) describing it, and returns only after the commit is durable.
//
// Roles. The interface is split by who uses it, one header each, so a consumer takes only the
// role it needs (the checks stage a CheckRunLog, benchd's start-up check an AuditLog) and a test
// double implements only what it stands in for. No role has default bodies: a double that
// forgets a method does not compile.
//   DeviceInventory (device_inventory.hpp)  the asset register and device records
//   SessionLedger   (session_ledger.hpp)    sessions and their steps (transition_table.hpp)
//   ApprovalBook    (approval_book.hpp)     admins' approvals
//   AuditLog        (audit_log.hpp)         the hash-chained audit log
//   CheckRunLog     (check_run_log.hpp)     policy check results per session
// Store is all of them on one connection (one database, one transaction per call).
// Seam for the hand-off: its credential escrow and its outbox of records to ship become two more
// roles here (EscrowVault, Outbox: a header each, an sqlite_<role>.cpp each, a base of Store),
// so their writes commit in the same transaction as the session step that makes them.
//
// @par Thread Safety
// A Store is used from one thread at a time (the caller serialises; benchd owns it on one strand).
// benchd's heavy reads use a second, read-only Store (openReadOnly) owned by the StoreWorker's
// thread; interrupt() is the one call allowed across threads.
#pragma once

#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "store/approval_book.hpp"
#include "store/audit_log.hpp"
#include "store/check_run_log.hpp"
#include "store/device_inventory.hpp"
#include "store/session_ledger.hpp"

namespace pb {

class Store : public DeviceInventory,
              public SessionLedger,
              public ApprovalBook,
              public AuditLog,
              public CheckRunLog {
 public:
  ~Store() override = default;

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
  // Asks a call running on another thread to stop early (sqlite3_interrupt); it then fails with
  // a "db" error. The only method that may be called from a thread other than the owner's.
  virtual void interrupt() = 0;
};

}  // namespace pb
