// SPDX-License-Identifier: Apache-2.0
// Who is on the other end of the admin socket, and what they may do.
//
// The kernel reports the peer's uid, gid and pid (SO_PEERCRED) as they were when it connected;
// nothing the client sends can change them. The role comes from the uid and group membership:
//   uid 0                                   -> Admin
//   member of the configured admin group    -> Admin
//   member of the configured read-only group -> ReadOnly
//   anyone else                             -> None
// Membership is the peer's gid plus every group of the uid's passwd entry (primary and
// supplementary, getgrouplist). AdminServer decides the role once per connection, at accept, and
// caches it per (uid, gid) for a few seconds (RoleCache): a change to /etc/group takes effect
// without restarting benchd, and a flood of connections does not become a flood of NSS lookups.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "admin/admin_protocol.hpp"
#include "core/result.hpp"

namespace pb {

struct PeerCredentials {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

// SO_PEERCRED of a connected AF_UNIX stream socket.
Result<PeerCredentials> peerCredentials(int fd);

// The seam over the user and group databases, so tests can inject membership.
class GroupDirectory {
 public:
  virtual ~GroupDirectory() = default;
  // The gid of a named group; nullopt when no such group exists.
  virtual Result<std::optional<gid_t>> gidForGroup(const std::string& name) const = 0;
  // Every group of the uid's passwd entry, primary included; empty when the uid has no entry.
  virtual Result<std::vector<gid_t>> groupsForUid(uid_t uid) const = 0;
};

// The host's databases through NSS (getgrnam_r, getpwuid_r, getgrouplist).
class SystemGroupDirectory final : public GroupDirectory {
 public:
  Result<std::optional<gid_t>> gidForGroup(const std::string& name) const override;
  Result<std::vector<gid_t>> groupsForUid(uid_t uid) const override;
};

// Group names from the configuration. An empty name means "no such role by group".
struct AccessPolicy {
  std::string adminGroup;
  std::string readonlyGroup;
};

// Decides a caller's role from its kernel-reported credentials. AdminServer depends on this seam;
// AccessControl is the production implementation.
class RoleResolver {
 public:
  virtual ~RoleResolver() = default;
  [[nodiscard]] virtual Role roleFor(uid_t uid, gid_t gid) const = 0;
};

// An AccessPolicy with its groups resolved to gids.
class AccessControl final : public RoleResolver {
 public:
  // Fails when a configured group does not exist: a typo must stop start-up rather than silently
  // lock admins out (or, worse, match a group created later by someone else).
  static Result<AccessControl> create(const AccessPolicy& policy,
                                      std::shared_ptr<const GroupDirectory> directory);

  // Fails closed: if the uid's groups cannot be read, only the kernel-reported gid counts.
  [[nodiscard]] Role roleFor(uid_t uid, gid_t gid) const override;

 private:
  AccessControl(std::shared_ptr<const GroupDirectory> directory, std::optional<gid_t> adminGid,
                std::optional<gid_t> readonlyGid)
      : directory_(std::move(directory)), adminGid_(adminGid), readonlyGid_(readonlyGid) {}

  std::shared_ptr<const GroupDirectory> directory_;
  std::optional<gid_t> adminGid_;
  std::optional<gid_t> readonlyGid_;
};

// Roles per (uid, gid) for a short time, bounded in size. Only a cache: the resolver stays the
// authority, and an entry older than `ttl` is looked up again.
//
// @par Thread Safety
// Not thread-safe; AdminServer uses it on its executor.
class RoleCache {
 public:
  using Clock = std::chrono::steady_clock;
  // ttl zero: no caching (every call asks the resolver).
  RoleCache(std::chrono::milliseconds ttl, std::size_t maxEntries)
      : ttl_(ttl), maxEntries_(maxEntries == 0 ? 1 : maxEntries) {}

  Role roleFor(const RoleResolver& resolver, uid_t uid, gid_t gid, Clock::time_point now);
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Role role;
    Clock::time_point expires;
  };
  std::chrono::milliseconds ttl_;
  std::size_t maxEntries_;
  std::map<std::pair<uid_t, gid_t>, Entry> entries_;
};

}  // namespace pb
