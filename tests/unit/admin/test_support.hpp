// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the admin tests: a per-test temp dir, fakes for the handler, the role
// resolver and the group database.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin_handler.hpp"
#include "admin/peer_credentials.hpp"

namespace pb::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/pb-admin-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    // Other uids (the forked "nobody" client) must reach the socket inside.
    chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Records every call; answers {"ok":true,"result":{"echo": cmd}} unless told otherwise.
class FakeHandler : public AdminHandler {
 public:
  nlohmann::json handle(const AdminCall& call) override {
    std::lock_guard lock(mu_);
    calls_.push_back(call);
    if (throwNext_) {
      throwNext_ = false;
      throw std::runtime_error("handler bug");
    }
    if (auto it = scripted_.find(call.cmd); it != scripted_.end()) return it->second;
    return okResponse(nlohmann::json{{"echo", call.cmd}, {"args", call.args}});
  }
  void auditDenied(const DenialSummary& denials) override {
    std::lock_guard lock(mu_);
    denied_.push_back(denials);
  }
  std::vector<AdminCall> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // The aggregated denial records written so far (AdminServer writes them when a window closes
  // and at stop()).
  std::vector<DenialSummary> denied() {
    std::lock_guard lock(mu_);
    return denied_;
  }
  // From now on answer `cmd` with this complete response.
  void respond(const std::string& cmd, nlohmann::json response) {
    std::lock_guard lock(mu_);
    scripted_[cmd] = std::move(response);
  }
  void throwOnNextCall() {
    std::lock_guard lock(mu_);
    throwNext_ = true;
  }

 private:
  std::mutex mu_;
  std::vector<AdminCall> calls_;
  std::vector<DenialSummary> denied_;
  std::map<std::string, nlohmann::json> scripted_;
  bool throwNext_ = false;
};

class FixedRole : public RoleResolver {
 public:
  explicit FixedRole(Role role) : role_(role) {}
  Role roleFor(uid_t, gid_t) const override { return role_; }

 private:
  Role role_;
};

class FakeGroupDirectory : public GroupDirectory {
 public:
  std::map<std::string, gid_t> groups;
  std::map<uid_t, std::vector<gid_t>> members;
  bool failMembership = false;

  Result<std::optional<gid_t>> gidForGroup(const std::string& name) const override {
    auto it = groups.find(name);
    if (it == groups.end()) return std::optional<gid_t>{};
    return std::optional<gid_t>{it->second};
  }
  Result<std::vector<gid_t>> groupsForUid(uid_t uid) const override {
    if (failMembership) return makeError("io", "directory unavailable");
    auto it = members.find(uid);
    return it == members.end() ? std::vector<gid_t>{} : it->second;
  }
};

}  // namespace pb::test
