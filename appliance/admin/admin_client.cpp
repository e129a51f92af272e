// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_client.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/admin_protocol.hpp"

namespace pb {

namespace {
using nlohmann::json;

Error unreachable(const std::string& path, const std::string& what) {
  return makeError(std::string(admin_client_error::kUnreachable),
                   "cannot reach benchd on " + path + ": " + what +
                       " (is the benchd service running? try: systemctl status benchd)");
}
}  // namespace

Result<AdminClient> AdminClient::connect(const std::string& socketPath,
                                         std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socketPath.empty() || socketPath.size() >= sizeof addr.sun_path) {
    return unreachable(socketPath, "socket path is empty or too long");
  }
  std::memcpy(addr.sun_path, socketPath.data(), socketPath.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unreachable(socketPath, std::strerror(errno));
  AdminClient client(fd, socketPath);  // owns fd from here on
  // The same bound for sending and receiving: a wedged benchd must not hang a script forever.
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(secs.count());
  tv.tv_usec = static_cast<suseconds_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs).count());
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // sockaddr_un is the documented way to address a Unix socket; the cast is the API.
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  int rc;
  do {
    rc = ::connect(fd, sa, sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return unreachable(socketPath, std::strerror(errno));
  return client;
}

AdminClient::AdminClient(AdminClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      socketPath_(std::move(other.socketPath_)),
      pending_(std::move(other.pending_)) {}

AdminClient& AdminClient::operator=(AdminClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    socketPath_ = std::move(other.socketPath_);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

AdminClient::~AdminClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<json> AdminClient::call(std::string_view cmd, const json& args) {
  if (fd_ < 0) return unreachable(socketPath_, "not connected");
  std::string request = encodeAdminRequest(cmd, args);
  if (request.size() - 1 > kMaxAdminRequestBytes) {
    return makeError(std::string(admin_client_error::kTooLarge),
                     "request is " + std::to_string(request.size() - 1) +
                         " bytes, more than the admin protocol allows (" +
                         std::to_string(kMaxAdminRequestBytes) + ")");
  }
  std::size_t sent = 0;
  std::optional<Error> sendFailed;
  int sendErrno = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      sendErrno = errno;
      sendFailed = unreachable(socketPath_, std::string("send: ") + std::strerror(errno));
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  // benchd may answer and hang up before reading the request (a caller without a role is refused
  // when it connects): its parting line explains the refusal better than EPIPE would.
  if (sendFailed && sendErrno != EPIPE && sendErrno != ECONNRESET) return *sendFailed;
  // Read up to the newline, never buffering more than one maximal response.
  std::size_t scanned = 0;
  for (;;) {
    auto nl = pending_.find('\n', scanned);
    if (nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return parseAdminResponse(line);
    }
    scanned = pending_.size();
    if (pending_.size() > kMaxAdminResponseBytes) {
      return makeError(std::string(admin_client_error::kProtocol),
                       "response exceeds the protocol limit");
    }
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 && sendFailed) return *sendFailed;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return unreachable(socketPath_, "no answer within the time limit");
    }
    if (n < 0) return unreachable(socketPath_, std::string("recv: ") + std::strerror(errno));
    if (n == 0) return unreachable(socketPath_, "benchd closed the connection");
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace pb
