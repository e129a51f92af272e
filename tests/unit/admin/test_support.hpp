// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the admin tests: a per-test temp dir, fakes for the handler, the role
// resolver and the group database.
#pragma once

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/admin_handler.hpp"
#include "admin/peer_credentials.hpp"
#include "support/temp_dir.hpp"

namespace pb::test {

// The admin tests' temp dir lets other uids in: the forked "nobody" client must reach the socket.
class AdminTempDir : public TempDir {
 public:
  AdminTempDir() : TempDir("pb-admin-test", Access::OthersMayEnter) {}
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

// A bare socket for sending bytes the real client would never send.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    timeval tv{10, 0};  // a safety net against a hung test, not a readiness mechanism
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may hang up on an oversize request mid-way
      off += static_cast<std::size_t>(n);
    }
  }
  // The next line (without newline), or nullopt at EOF / error.
  std::optional<std::string> readLine() {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }
  nlohmann::json readResponse() {
    auto line = readLine();
    if (!line) return nlohmann::json();
    return nlohmann::json::parse(*line, nullptr, false);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
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
