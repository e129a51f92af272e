// SPDX-License-Identifier: Apache-2.0
// benchd's state directory at start-up: one benchd per directory, and no silent fresh start.
//
// Order in benchd's main: configuration → StateDirLock → (--reinitialise: moveStateAside) →
// classifyState → keys → store → checkStoreAtStart → the first audit record. Nothing in the
// directory is opened, created or written before the lock is held, so a second benchd started on
// a directory in use changes nothing and exits with kExitStateDirInUse.
//
// The state is one unit: inventory.db (with its -wal) and the keys benchd generated in keys/
// (audit.key, token.key, and the default agent TLS identity). Either all of it exists (a normal
// start) or none of it does (the first start). Anything in between means state was lost or
// replaced: benchd refuses (kExitStateInconsistent) and says what disagrees, rather than start an
// empty inventory next to old keys or MAC new records with a new key beside old ones. The
// deliberate fresh start is --reinitialise, which moves the old files aside (never deletes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace pb {

// benchd exit codes besides 0 (clean), 1 (runtime failure) and 2 (configuration or usage).
inline constexpr int kExitStateDirInUse = 3;      // another benchd holds the state directory
inline constexpr int kExitStateInconsistent = 4;  // keys, database and audit log disagree

// An exclusive flock(2) on <stateDir>/benchd.lock (O_CLOEXEC, O_NOFOLLOW), held until this object
// is destroyed; the kernel drops it when the process dies, so a crash never leaves a stale lock.
// The file holds the holder's pid, for the message of the one refused.
class StateDirLock {
 public:
  // Creates stateDir (0700) if missing. Error code "state_dir_in_use" when another process holds
  // the lock; "io" otherwise.
  static Result<StateDirLock> acquire(const std::string& stateDir);
  StateDirLock(StateDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateDirLock& operator=(StateDirLock&&) = delete;
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

enum class DbFile { Missing, Empty, Present };

// What exists in the state directory (lstat only: nothing is opened).
struct StateFiles {
  DbFile db = DbFile::Missing;           // Present: inventory.db or its -wal holds bytes
  std::vector<std::string> keys;         // generated key files present, as "keys/<name>"
  std::vector<std::string> missingKeys;  // of keys/audit.key and keys/token.key
};
StateFiles inspectStateDir(const std::string& stateDir);

enum class StartKind { Fresh, Existing };
// Fresh: neither the database nor any generated key exists (a zero-length inventory.db counts as
// none). Existing: the database, audit.key and token.key exist (the TLS identity may be configured
// elsewhere). Otherwise an error with code "state_inconsistent" whose
// message names what is missing and the two ways out (restore it, or --reinitialise).
Result<StartKind> classifyState(const StateFiles& files);

// After the store opened on an Existing state: the audit log must hold records (any earlier start
// wrote benchd.start), and its newest record must verify (Store::verifyAuditHead: O(1), not the
// whole chain). Error code "state_inconsistent" naming the record's seq.
Status checkStoreAtStart(AuditLog& store, StartKind kind);

// --reinitialise: moves inventory.db (and -wal, -shm, -journal) and keys/audit.key, keys/token.key
// into a new <stateDir>/old-<UTC yyyymmddThhmmssZ>[-n]/ (0700), keeping their relative paths, and
// fsyncs both directories. Nothing is deleted. The agent TLS identity stays (agents pin it; to
// rotate it, remove both files). `files` lists what was moved ("inventory.db", "keys/audit.key").
struct MovedAside {
  std::string dir;
  std::vector<std::string> files;
};
Result<MovedAside> moveStateAside(const std::string& stateDir, std::int64_t nowUnix);

}  // namespace pb
