// SPDX-License-Identifier: Apache-2.0
// AmtTransport over the Linux MEI character device (torvalds/linux Documentation/driver-api/mei):
// open /dev/meiN, IOCTL_MEI_CONNECT_CLIENT with the AMTHI GUID, then one write() per request and
// one read() per response. The system calls go through MeiSyscalls so tests inject errno values
// and stand a socketpair in for the device.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <sys/types.h>

#include "mei/amt_transport.hpp"

namespace pb {

// Mirrors struct mei_connect_client_data (a 16-byte union): in = client GUID, out = max message
// length and protocol version.
struct MeiConnectData {
  std::uint8_t data[16] = {};
};

// The system calls MeiTransport makes. Return values and errno follow the POSIX calls.
class MeiSyscalls {
 public:
  virtual ~MeiSyscalls() = default;
  virtual int open(const std::string& path) = 0;
  virtual int connectClient(int fd, MeiConnectData& data) = 0;  // the ioctl
  virtual ssize_t write(int fd, const void* buf, std::size_t n) = 0;
  // 1 readable, 0 timeout, -1 error (errno).
  virtual int pollReadable(int fd, int timeoutMs) = 0;
  virtual ssize_t read(int fd, void* buf, std::size_t n) = 0;
  virtual void close(int fd) = 0;
  virtual void sleepFor(std::chrono::milliseconds d) = 0;
};

// The real ones (open O_RDWR|O_CLOEXEC, ioctl IOCTL_MEI_CONNECT_CLIENT, poll, nanosleep).
std::unique_ptr<MeiSyscalls> makeSystemMeiSyscalls();

struct MeiOptions {
  std::string devDir = "/dev";
  int firstNode = 0;  // probe mei<first>..mei<last> (amt.md §2.3: the ME may not be mei0)
  int lastNode = 3;
  // EBUSY (LMS holds the client): retry with backoff busyBackoff × attempt (rpc-go: 750 ms × n,
  // 8 attempts).
  int busyAttempts = 8;
  std::chrono::milliseconds busyBackoff{750};
};

class MeiTransport final : public AmtTransport {
 public:
  MeiTransport(MeiOptions options, std::unique_ptr<MeiSyscalls> sys);
  ~MeiTransport() override;

  Result<Bytes> exchange(const Bytes& request, std::chrono::milliseconds timeout) override;

  // Opens and connects now (exchange() does it on demand). Idempotent while connected.
  Status connect();
  [[nodiscard]] std::string nodePath() const { return nodePath_; }
  [[nodiscard]] std::uint32_t maxMessageLength() const { return maxMessage_; }

 private:
  void disconnect();

  MeiOptions options_;
  std::unique_ptr<MeiSyscalls> sys_;
  int fd_ = -1;
  std::string nodePath_;
  std::uint32_t maxMessage_ = 0;
};

}  // namespace pb
