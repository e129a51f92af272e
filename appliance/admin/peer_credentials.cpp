// SPDX-License-Identifier: Apache-2.0
#include "admin/peer_credentials.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pb {

namespace {
// NSS buffers: start at the size the C library suggests and grow on ERANGE, up to a bound.
constexpr std::size_t kMaxNssBuffer = 1u << 20;
constexpr int kMaxGroups = 65536;

std::size_t initialBufferSize(int name) {
  long n = sysconf(name);
  return n > 0 ? static_cast<std::size_t>(n) : 16384;
}
}  // namespace

Result<PeerCredentials> peerCredentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return makeError("io", std::string("SO_PEERCRED: ") + std::strerror(errno));
  }
  if (len != sizeof cred) return makeError("io", "SO_PEERCRED: short answer");
  return PeerCredentials{cred.uid, cred.gid, cred.pid};
}

Result<std::optional<gid_t>> SystemGroupDirectory::gidForGroup(const std::string& name) const {
  std::vector<char> buf(initialBufferSize(_SC_GETGR_R_SIZE_MAX));
  for (;;) {
    group grp{};
    group* found = nullptr;
    int rc = getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxNssBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) return makeError("io", "group lookup \"" + name + "\": " + std::strerror(rc));
    if (found == nullptr) return std::optional<gid_t>{};
    return std::optional<gid_t>{grp.gr_gid};
  }
}

Result<std::vector<gid_t>> SystemGroupDirectory::groupsForUid(uid_t uid) const {
  std::vector<char> buf(initialBufferSize(_SC_GETPW_R_SIZE_MAX));
  passwd pw{};
  passwd* found = nullptr;
  for (;;) {
    int rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < kMaxNssBuffer) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0)
      return makeError("io", "passwd lookup uid " + std::to_string(uid) + ": " + std::strerror(rc));
    break;
  }
  if (found == nullptr) return std::vector<gid_t>{};
  std::vector<gid_t> groups(64);
  for (;;) {
    int n = static_cast<int>(groups.size());
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<std::size_t>(n));
      return groups;
    }
    // -1 with n set to the number needed.
    if (n <= static_cast<int>(groups.size()) || n > kMaxGroups) {
      return makeError("io", "getgrouplist uid " + std::to_string(uid) + " failed");
    }
    groups.resize(static_cast<std::size_t>(n));
  }
}

Result<AccessControl> AccessControl::create(const AccessPolicy& policy,
                                            std::shared_ptr<const GroupDirectory> directory) {
  auto resolve = [&](const std::string& name, const char* what) -> Result<std::optional<gid_t>> {
    if (name.empty()) return std::optional<gid_t>{};
    auto gid = directory->gidForGroup(name);
    if (!gid) return gid.error().withContext(what);
    if (!gid->has_value()) {
      return makeError("config", std::string(what) + ": group \"" + name + "\" does not exist");
    }
    return *gid;
  };
  auto admin = resolve(policy.adminGroup, "admin group");
  if (!admin) return admin.error();
  auto readonly = resolve(policy.readonlyGroup, "read-only group");
  if (!readonly) return readonly.error();
  return AccessControl(std::move(directory), *admin, *readonly);
}

Role AccessControl::roleFor(uid_t uid, gid_t gid) const {
  if (uid == 0) return Role::Admin;
  std::vector<gid_t> groups{gid};
  if (auto more = directory_->groupsForUid(uid)) {
    groups.insert(groups.end(), more->begin(), more->end());
  }
  auto member = [&](const std::optional<gid_t>& g) {
    return g.has_value() && std::find(groups.begin(), groups.end(), *g) != groups.end();
  };
  if (member(adminGid_)) return Role::Admin;
  if (member(readonlyGid_)) return Role::ReadOnly;
  return Role::None;
}

Role RoleCache::roleFor(const RoleResolver& resolver, uid_t uid, gid_t gid, Clock::time_point now) {
  if (ttl_.count() <= 0) return resolver.roleFor(uid, gid);
  auto key = std::make_pair(uid, gid);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (it->second.expires > now) return it->second.role;
    entries_.erase(it);
  }
  if (entries_.size() >= maxEntries_) {
    // Drop what has expired; if that frees nothing, start over. Either way the cache stays within
    // maxEntries and a miss costs one lookup, as it would without a cache.
    std::erase_if(entries_, [&](const auto& e) { return e.second.expires <= now; });
    if (entries_.size() >= maxEntries_) entries_.clear();
  }
  Role role = resolver.roleFor(uid, gid);
  entries_.emplace(key, Entry{role, now + ttl_});
  return role;
}

}  // namespace pb
