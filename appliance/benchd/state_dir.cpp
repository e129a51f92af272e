// SPDX-License-Identifier: Apache-2.0
#include "benchd/state_dir.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"

namespace pb {

namespace {

constexpr const char* kDbName = "inventory.db";
// Files the database consists of: SQLite's WAL, shared-memory index and rollback journal.
constexpr const char* kDbSuffixes[] = {"", "-wal", "-shm", "-journal"};
// Secrets bound to the database: the audit chain is MACed with audit.key.
constexpr const char* kBoundKeys[] = {"keys/audit.key", "keys/token.key"};
// Everything benchd generates in keys/ (the TLS identity only at its default place).
constexpr const char* kGeneratedKeys[] = {"keys/audit.key", "keys/token.key", "keys/agent-tls.key",
                                          "keys/agent-tls.crt"};

Error ioError(const std::string& what, const std::string& path) {
  return makeError("io", what + " " + path + ": " + std::strerror(errno));
}

// -1: does not exist (or cannot be examined: treated as absent, and the later open reports it).
long long sizeOf(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_size);
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string utcStamp(std::int64_t nowUnix) {
  const std::time_t t = static_cast<std::time_t>(nowUnix);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

constexpr const char* kWayOut =
    "Restore the missing files from a backup, or start benchd once with --reinitialise to move "
    "the old database and keys aside (into <state_dir>/old-<time>/) and start an empty inventory.";

}  // namespace

Result<StateDirLock> StateDirLock::acquire(const std::string& stateDir) {
  if (Status st = makeDirs(stateDir, 0700); !st) return st.error();
  const std::string path = stateDir + "/benchd.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ioError("cannot open the lock file", path);
  StateDirLock lock(fd);  // closes fd on every return below
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return ioError("cannot lock", path);
    std::string holder;
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      holder = std::string(buf, static_cast<std::size_t>(n));
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    }
    return makeError("state_dir_in_use",
                     "the state directory " + stateDir + " is in use by another benchd" +
                         (holder.empty() ? std::string() : " (pid " + holder + ")") + " (" + path +
                         " is locked); nothing was changed");
  }
  // Informational only (the lock is the flock, not the content).
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    return ioError("cannot write", path);
  }
  return lock;
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

StateFiles inspectStateDir(const std::string& stateDir) {
  StateFiles f;
  const std::string db = stateDir + "/" + kDbName;
  const long long dbSize = sizeOf(db);
  const long long walSize = sizeOf(db + "-wal");
  if (dbSize > 0 || walSize > 0) {
    f.db = DbFile::Present;
  } else if (dbSize == 0) {
    f.db = DbFile::Empty;
  }
  for (const char* k : kGeneratedKeys) {
    if (sizeOf(stateDir + "/" + k) >= 0) f.keys.emplace_back(k);
  }
  for (const char* k : kBoundKeys) {
    if (sizeOf(stateDir + "/" + k) < 0) f.missingKeys.emplace_back(k);
  }
  return f;
}

Result<StartKind> classifyState(const StateFiles& f) {
  if (f.db == DbFile::Present) {
    if (f.missingKeys.empty()) return StartKind::Existing;
    return makeError("state_inconsistent",
                     "inventory.db holds data but " + joinList(f.missingKeys) +
                         (f.missingKeys.size() > 1 ? " are" : " is") +
                         " missing: its audit records were MACed with the old key, and a new key "
                         "would make the log unverifiable. " +
                         kWayOut);
  }
  if (f.keys.empty()) return StartKind::Fresh;
  return makeError("state_inconsistent",
                   std::string("inventory.db is ") +
                       (f.db == DbFile::Empty ? "empty (zero length)" : "missing") +
                       " but keys from an earlier start exist (" + joinList(f.keys) +
                       "): the inventory and its audit log were lost or replaced. " + kWayOut);
}

Status checkStoreAtStart(AuditLog& store, StartKind kind) {
  auto head = store.verifyAuditHead();
  if (!head) return head.error().withContext("checking the audit log");
  if (!head->ok) {
    return makeError("state_inconsistent",
                     "the newest audit record (seq " + std::to_string(head->firstBadSeq) +
                         ") does not verify: " + head->problem +
                         ". The audit log was tampered with, or keys/audit.key is not the key it "
                         "was written with. Restore the key or the database from a backup, or "
                         "start with --reinitialise (the old files are kept for inspection).");
  }
  if (kind == StartKind::Existing && head->records == 0) {
    return makeError("state_inconsistent",
                     "inventory.db holds no audit records although its keys exist: the database "
                     "was replaced by a fresh one. " +
                         std::string(kWayOut));
  }
  return {};
}

Result<MovedAside> moveStateAside(const std::string& stateDir, std::int64_t nowUnix) {
  MovedAside out;
  const std::string base = stateDir + "/old-" + utcStamp(nowUnix);
  for (int n = 1; out.dir.empty(); ++n) {
    const std::string candidate = n == 1 ? base : base + "-" + std::to_string(n);
    if (::mkdir(candidate.c_str(), 0700) == 0) {
      out.dir = candidate;
    } else if (errno != EEXIST || n >= 100) {
      return ioError("cannot create", candidate);
    }
  }
  bool madeKeysDir = false;
  auto moveOne = [&](const std::string& rel) -> Status {
    const std::string from = stateDir + "/" + rel;
    if (sizeOf(from) < 0) return {};
    if (rel.rfind("keys/", 0) == 0 && !madeKeysDir) {
      if (::mkdir((out.dir + "/keys").c_str(), 0700) != 0) {
        return ioError("cannot create", out.dir + "/keys");
      }
      madeKeysDir = true;
    }
    // rename within the state directory: atomic, and the file (or link) is moved as it is.
    if (::rename(from.c_str(), (out.dir + "/" + rel).c_str()) != 0) {
      return ioError("cannot move aside", from);
    }
    out.files.push_back(rel);
    return {};
  };
  for (const char* suffix : kDbSuffixes) {
    if (Status st = moveOne(std::string(kDbName) + suffix); !st) return st.error();
  }
  for (const char* k : kBoundKeys) {
    if (Status st = moveOne(k); !st) return st.error();
  }
  for (const std::string& d : {stateDir, stateDir + "/keys", out.dir}) {
    if (sizeOf(d) < 0) continue;
    if (Status st = syncDirectory(d); !st) return st.error();
  }
  if (madeKeysDir) {
    if (Status st = syncDirectory(out.dir + "/keys"); !st) return st.error();
  }
  return out;
}

}  // namespace pb
