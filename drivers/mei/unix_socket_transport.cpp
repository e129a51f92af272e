// SPDX-License-Identifier: Apache-2.0
#include "mei/unix_socket_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pb {

namespace {

using Clock = std::chrono::steady_clock;

Error ioError(const std::string& message) {
  return makeError(std::string(mei_error::kIo), message);
}

std::string errnoText(int err) {
  return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

UnixSocketTransport::UnixSocketTransport(UnixSocketOptions options) : options_(std::move(options)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

UnixSocketTransport::~UnixSocketTransport() {
  disconnect();
}

void UnixSocketTransport::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status UnixSocketTransport::sendFrame(const Bytes& payload, std::chrono::milliseconds timeout) {
  Bytes frame(kUnixFrameHeader + payload.size());
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i)
    frame[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  std::copy(payload.begin(), payload.end(), frame.begin() + kUnixFrameHeader);
  const auto deadline = Clock::now() + timeout;
  std::size_t off = 0;
  while (off < frame.size()) {
    const ssize_t w =
        ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      off += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd_, POLLOUT, 0};
      const int rc = ::poll(&p, 1, remainingMs(deadline));
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) return makeError(std::string(mei_error::kTimeout), "AMT socket write timed out");
      if (rc < 0) return ioError("poll on " + options_.path + ": " + errnoText(errno));
      continue;
    }
    return ioError("write to " + options_.path + ": " + errnoText(errno));
  }
  return {};
}

Result<Bytes> UnixSocketTransport::readFrame(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto readExact = [&](std::uint8_t* out, std::size_t n) -> Status {
    std::size_t off = 0;
    while (off < n) {
      pollfd p{fd_, POLLIN, 0};
      const int rc = ::poll(&p, 1, remainingMs(deadline));
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) {
        return makeError(std::string(mei_error::kTimeout),
                         "no AMTHI response within " + std::to_string(timeout.count()) + " ms");
      }
      if (rc < 0) return ioError("poll on " + options_.path + ": " + errnoText(errno));
      const ssize_t r = ::recv(fd_, out + off, n - off, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ioError("read from " + options_.path + ": " + errnoText(errno));
      if (r == 0) return ioError("the AMT simulator closed the connection");
      off += static_cast<std::size_t>(r);
    }
    return {};
  };
  std::uint8_t hdr[kUnixFrameHeader];
  if (auto st = readExact(hdr, sizeof(hdr)); !st.ok()) return st.error();
  std::uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | hdr[i];
  if (n > kAmthiMaxMessage) {
    return ioError("AMT socket frame of " + std::to_string(n) + " bytes exceeds " +
                   std::to_string(kAmthiMaxMessage));
  }
  Bytes payload(n);
  if (n > 0) {
    if (auto st = readExact(payload.data(), n); !st.ok()) return st.error();
  }
  return payload;
}

Status UnixSocketTransport::connect(std::chrono::milliseconds timeout) {
  if (fd_ >= 0) return {};
  sockaddr_un addr{};
  if (options_.path.empty() || options_.path.size() >= sizeof(addr.sun_path)) {
    return ioError("AMT socket path is empty or too long");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, options_.path.c_str(), options_.path.size() + 1);
  for (int attempt = 1; attempt <= std::max(1, options_.busyAttempts); ++attempt) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return ioError("socket: " + errnoText(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
      const int err = errno;
      disconnect();
      if (err == ENOENT || err == ECONNREFUSED) {
        return makeError(std::string(mei_error::kNoDevice),
                         "no AMT simulator listening on " + options_.path);
      }
      return ioError("connect " + options_.path + ": " + errnoText(err));
    }
    // The handshake that stands in for IOCTL_MEI_CONNECT_CLIENT (see the header).
    Bytes guid(std::begin(kAmthiGuid), std::end(kAmthiGuid));
    if (auto st = sendFrame(guid, timeout); !st.ok()) {
      disconnect();
      return st;
    }
    auto reply = readFrame(timeout);
    if (!reply.ok()) {
      disconnect();
      return reply.error();
    }
    if (reply->size() != 8) {
      disconnect();
      return ioError("AMT simulator connect reply has " + std::to_string(reply->size()) +
                     " bytes, expected 8");
    }
    const Bytes& r = *reply;
    const std::uint32_t result =
        static_cast<std::uint32_t>(r[0]) | (static_cast<std::uint32_t>(r[1]) << 8) |
        (static_cast<std::uint32_t>(r[2]) << 16) | (static_cast<std::uint32_t>(r[3]) << 24);
    const std::uint32_t maxLen =
        static_cast<std::uint32_t>(r[4]) | (static_cast<std::uint32_t>(r[5]) << 8) |
        (static_cast<std::uint32_t>(r[6]) << 16) | (static_cast<std::uint32_t>(r[7]) << 24);
    if (result == 0) {
      maxMessage_ = std::clamp<std::uint32_t>(maxLen, 16, kAmthiMaxMessage);
      return {};
    }
    disconnect();
    if (result == EBUSY) {
      if (attempt < options_.busyAttempts) {
        options_.sleep(options_.busyBackoff * attempt);
        continue;
      }
      return makeError(std::string(mei_error::kBusy),
                       "the AMTHI client stayed busy after " +
                           std::to_string(options_.busyAttempts) +
                           " attempts (another program, usually LMS, holds it)");
    }
    if (result == ENOTTY || result == ENODEV) {
      return makeError(std::string(mei_error::kNoAmtClient),
                       "no AMTHI client (" + errnoText(static_cast<int>(result)) +
                           "): AMT is absent or disabled in firmware");
    }
    return ioError("AMTHI connect failed: " + errnoText(static_cast<int>(result)));
  }
  return ioError("AMTHI connect failed");
}

Result<Bytes> UnixSocketTransport::exchange(const Bytes& request,
                                            std::chrono::milliseconds timeout) {
  if (auto st = connect(timeout); !st.ok()) return st.error();
  if (request.empty() || request.size() > maxMessage_) {
    return ioError("request of " + std::to_string(request.size()) +
                   " bytes does not fit the client's message size " + std::to_string(maxMessage_));
  }
  if (auto st = sendFrame(request, timeout); !st.ok()) {
    disconnect();
    return st.error();
  }
  auto r = readFrame(timeout);
  if (!r.ok()) {
    disconnect();
    return r.error();
  }
  if (r->empty()) {
    disconnect();
    return makeError(std::string(mei_error::kDisabled),
                     "the AMTHI client answered with a zero-length message: AMT is disabled");
  }
  return r;
}

}  // namespace pb
