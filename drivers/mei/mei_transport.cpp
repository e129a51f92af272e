// SPDX-License-Identifier: Apache-2.0
#include "mei/mei_transport.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include <fcntl.h>
#include <linux/mei.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace pb {

namespace {

// The read buffer is the client's reported maximum, but never above this: a confused or hostile
// driver value must not make the agent allocate without bound.
constexpr std::uint32_t kMaxReadBuffer = 64 * 1024;

class SystemMeiSyscalls final : public MeiSyscalls {
 public:
  int open(const std::string& path) override { return ::open(path.c_str(), O_RDWR | O_CLOEXEC); }
  int connectClient(int fd, MeiConnectData& data) override {
    mei_connect_client_data d{};
    static_assert(sizeof(d) == sizeof(data.data));
    std::memcpy(&d, data.data, sizeof(d));
    const int rc = ::ioctl(fd, IOCTL_MEI_CONNECT_CLIENT, &d);
    std::memcpy(data.data, &d, sizeof(d));
    return rc;
  }
  ssize_t write(int fd, const void* buf, std::size_t n) override { return ::write(fd, buf, n); }
  int pollReadable(int fd, int timeoutMs) override {
    pollfd p{fd, POLLIN, 0};
    int rc = 0;
    do {
      rc = ::poll(&p, 1, timeoutMs);
    } while (rc < 0 && errno == EINTR);
    return rc;
  }
  ssize_t read(int fd, void* buf, std::size_t n) override {
    ssize_t rc = 0;
    do {
      rc = ::read(fd, buf, n);
    } while (rc < 0 && errno == EINTR);
    return rc;
  }
  void close(int fd) override { ::close(fd); }
  void sleepFor(std::chrono::milliseconds d) override {
    timespec ts{static_cast<time_t>(d.count() / 1000),
                static_cast<long>(d.count() % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
};

std::string errnoText(int err) {
  return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

// When several nodes fail differently, the most specific outcome is the one worth reporting: a
// client that exists but is busy says more than a node without the client, which says more than
// no node at all.
int rank(std::string_view code) {
  if (code == mei_error::kBusy) return 5;
  if (code == mei_error::kPermission) return 4;
  if (code == mei_error::kNoAmtClient) return 3;
  if (code == mei_error::kIo) return 2;
  return 1;  // kNoDevice
}

}  // namespace

std::unique_ptr<MeiSyscalls> makeSystemMeiSyscalls() {
  return std::make_unique<SystemMeiSyscalls>();
}

MeiTransport::MeiTransport(MeiOptions options, std::unique_ptr<MeiSyscalls> sys)
    : options_(std::move(options)), sys_(std::move(sys)) {}

MeiTransport::~MeiTransport() {
  disconnect();
}

void MeiTransport::disconnect() {
  if (fd_ >= 0) sys_->close(fd_);
  fd_ = -1;
}

Status MeiTransport::connect() {
  if (fd_ >= 0) return {};
  Error best = makeError(
      std::string(mei_error::kNoDevice),
      "no MEI device node " + options_.devDir + "/mei" + std::to_string(options_.firstNode) + ".." +
          std::to_string(options_.lastNode) + " (no Intel ME, or the mei_me driver is not loaded)");
  auto consider = [&best](std::string_view code, std::string message) {
    if (rank(code) > rank(best.code)) best = makeError(std::string(code), std::move(message));
  };
  for (int n = options_.firstNode; n <= options_.lastNode; ++n) {
    const std::string path = options_.devDir + "/mei" + std::to_string(n);
    for (int attempt = 1; attempt <= std::max(1, options_.busyAttempts); ++attempt) {
      const int fd = sys_->open(path);
      if (fd < 0) {
        const int err = errno;
        if (err == EACCES || err == EPERM) {
          consider(mei_error::kPermission,
                   "cannot open " + path + ": " + errnoText(err) + " (the agent must run as root)");
        } else if (err != ENOENT && err != ENXIO && err != ENODEV) {
          consider(mei_error::kIo, "cannot open " + path + ": " + errnoText(err));
        }
        break;  // next node
      }
      MeiConnectData data;
      std::memcpy(data.data, kAmthiGuid, sizeof(kAmthiGuid));
      if (sys_->connectClient(fd, data) == 0) {
        std::uint32_t reported = 0;
        for (int i = 3; i >= 0; --i) reported = (reported << 8) | data.data[i];
        fd_ = fd;
        nodePath_ = path;
        maxMessage_ = std::clamp<std::uint32_t>(reported, 16, kMaxReadBuffer);
        return {};
      }
      const int err = errno;
      sys_->close(fd);
      if (err == EBUSY) {
        if (attempt < options_.busyAttempts) {
          sys_->sleepFor(options_.busyBackoff * attempt);
          continue;
        }
        consider(mei_error::kBusy,
                 "the AMTHI client on " + path + " stayed busy after " +
                     std::to_string(options_.busyAttempts) +
                     " attempts (another program, usually LMS, holds it; stop lms.service)");
      } else if (err == ENOTTY) {
        consider(mei_error::kNoAmtClient,
                 path + " has no AMTHI client (ENOTTY): AMT is absent or disabled in firmware");
      } else if (err == ENODEV) {
        consider(mei_error::kNoAmtClient,
                 path + " reports the ME not ready (ENODEV): no usable AMTHI client");
      } else {
        consider(mei_error::kIo, "connecting the AMTHI client on " + path + ": " + errnoText(err));
      }
      break;
    }
  }
  return best;
}

Result<Bytes> MeiTransport::exchange(const Bytes& request, std::chrono::milliseconds timeout) {
  if (auto st = connect(); !st.ok()) return st.error();
  if (request.empty() || request.size() > maxMessage_) {
    return makeError(std::string(mei_error::kIo),
                     "request of " + std::to_string(request.size()) +
                         " bytes does not fit the client's message size " +
                         std::to_string(maxMessage_));
  }
  // MEI delivers each write as one message; a short write would split it, so it is an error.
  const ssize_t w = sys_->write(fd_, request.data(), request.size());
  if (w < 0 || static_cast<std::size_t>(w) != request.size()) {
    const int err = errno;
    disconnect();
    return makeError(
        std::string(mei_error::kIo),
        w < 0 ? "write to " + nodePath_ + ": " + errnoText(err) : "short write to " + nodePath_);
  }
  const int p = sys_->pollReadable(fd_, static_cast<int>(timeout.count()));
  if (p == 0) {
    // Reconnect next time: a late answer to this request must not be read as the next one's.
    disconnect();
    return makeError(std::string(mei_error::kTimeout),
                     "no AMTHI response within " + std::to_string(timeout.count()) + " ms");
  }
  if (p < 0) {
    const int err = errno;
    disconnect();
    return makeError(std::string(mei_error::kIo), "poll on " + nodePath_ + ": " + errnoText(err));
  }
  Bytes buf(std::max<std::uint32_t>(maxMessage_, kAmthiMaxMessage));
  const ssize_t r = sys_->read(fd_, buf.data(), buf.size());
  if (r < 0) {
    const int err = errno;
    disconnect();
    return makeError(std::string(mei_error::kIo), "read from " + nodePath_ + ": " + errnoText(err));
  }
  if (r == 0) {
    disconnect();
    return makeError(std::string(mei_error::kDisabled),
                     "the AMTHI client answered with a zero-length message: AMT is disabled");
  }
  buf.resize(static_cast<std::size_t>(r));
  return buf;
}

}  // namespace pb
