// SPDX-License-Identifier: Apache-2.0
// AmtTransport over a Unix stream socket, to reach the AMT firmware simulator (provbench-sim,
// tests) with the same request/response messages the MEI device carries.
//
// Wire format. A stream has no message boundaries (MEI has: one write = one message), so every
// message in either direction is framed as
//     u32 length (little-endian) | length bytes
// with length <= kAmthiMaxMessage. A zero-length frame from the server stands for the zero-length
// read of a disabled AMT. The first exchange on a connection stands in for
// IOCTL_MEI_CONNECT_CLIENT: the client sends the 16-byte client GUID, the server answers 8 bytes
//     u32 result (0, or the errno the ioctl would give: EBUSY, ENOTTY, ENODEV) | u32 max_msg_length
// so busy and no-client faults travel the same code paths as on a real device.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "mei/amt_transport.hpp"

namespace pb {

inline constexpr std::size_t kUnixFrameHeader = 4;

struct UnixSocketOptions {
  std::string path;
  int busyAttempts = 8;  // as MeiOptions
  std::chrono::milliseconds busyBackoff{750};
  // Injected so tests exercise the backoff without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class UnixSocketTransport final : public AmtTransport {
 public:
  explicit UnixSocketTransport(UnixSocketOptions options);
  ~UnixSocketTransport() override;

  Result<Bytes> exchange(const Bytes& request, std::chrono::milliseconds timeout) override;
  Status connect(std::chrono::milliseconds timeout);

 private:
  void disconnect();
  Status sendFrame(const Bytes& payload, std::chrono::milliseconds timeout);
  Result<Bytes> readFrame(std::chrono::milliseconds timeout);

  UnixSocketOptions options_;
  int fd_ = -1;
  std::uint32_t maxMessage_ = 0;
};

}  // namespace pb
