// SPDX-License-Identifier: Apache-2.0
// The client side of the admin socket (benchctl, scripts, tests). Blocking and single-threaded:
// one request, then wait for its response.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

// Error codes AdminClient returns besides the server's own PB-95xx answers (which arrive as a
// normal response with "ok": false).
namespace admin_client_error {
inline constexpr std::string_view kUnreachable = "unreachable";  // cannot connect / connection lost
inline constexpr std::string_view kTooLarge = "too_large";       // request over the protocol limit
inline constexpr std::string_view kProtocol = "protocol";        // the server's answer is malformed
}  // namespace admin_client_error

class AdminClient {
 public:
  // Connects to benchd. An unreachable socket gives kUnreachable with the path and a hint.
  static Result<AdminClient> connect(const std::string& socketPath,
                                     std::chrono::milliseconds timeout = std::chrono::minutes(2));

  AdminClient(AdminClient&& other) noexcept;
  AdminClient& operator=(AdminClient&& other) noexcept;
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;
  ~AdminClient();

  // Sends one request and returns the server's response object ({"ok": true, "result": …} or
  // {"ok": false, "code": …, "error": …}); an Error only when no valid response arrived.
  Result<nlohmann::json> call(std::string_view cmd, const nlohmann::json& args);

 private:
  AdminClient(int fd, std::string socketPath) : fd_(fd), socketPath_(std::move(socketPath)) {}

  int fd_ = -1;
  std::string socketPath_;
  std::string pending_;  // bytes read past the last response line
};

}  // namespace pb
