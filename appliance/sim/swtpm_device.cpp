// SPDX-License-Identifier: Apache-2.0
#include "sim/swtpm_device.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pb {

namespace {

// swtpm control channel: CMD_GET_CAPABILITY (ptm.h); any answer proves the main loop runs.
constexpr std::uint32_t kCtrlGetCapability = 1;
constexpr int kChildCtrlFd = 3;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A port that was free a moment ago. swtpm binds the server port itself (Debian 12's swtpm takes
// no listening fd for the server channel), so a race is possible and handled by retrying. The
// port is drawn below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by
// default): an ephemeral port is what every outgoing connection on the machine takes next, and
// on a busy test run one regularly did between this probe and swtpm's bind.
Result<std::uint16_t> probeFreePort() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(10000, 32000);
  for (int i = 0; i < 64; ++i) {
    const auto port = static_cast<std::uint16_t>(pick(rng));
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) return makeError("io", std::string("socket: ") + std::strerror(errno));
    sockaddr_in a = loopback(port);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return port;
  }
  return makeError("io", "no free port between 10000 and 32000");
}

// The control channel is P+1 (the swtpm TCTI's convention). We bind and listen on it ourselves
// and hand the socket to swtpm, so that port cannot be stolen.
int listenOn(std::uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_in a = loopback(port);
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 16) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

enum class Probe { Ready, Died, Timeout };

// Connects to the control channel and asks for the capabilities. Refused or reset means the
// process is gone (typically EADDRINUSE on the server port); silence until the deadline is a
// timeout.
Probe probeControl(std::uint16_t ctrlPort, Clock::time_point deadline) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (s.get() < 0) return Probe::Died;
  sockaddr_in a = loopback(ctrlPort);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) return Probe::Died;
    pollfd p{s.get(), POLLOUT, 0};
    if (::poll(&p, 1, remainingMs(deadline)) <= 0) return Probe::Timeout;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Probe::Died;
  }
  const std::uint32_t cmd = htonl(kCtrlGetCapability);
  if (::send(s.get(), &cmd, sizeof cmd, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof cmd)) {
    return Probe::Died;
  }
  std::size_t got = 0;
  unsigned char buf[16];
  while (got < 4) {
    pollfd p{s.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, remainingMs(deadline));
    if (rc == 0) return Probe::Timeout;
    if (rc < 0 && errno == EINTR) continue;
    ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return Probe::Died;
    got += static_cast<std::size_t>(n);
  }
  return Probe::Ready;
}

void reap(pid_t pid, bool kill) {
  if (pid <= 0) return;
  if (kill) ::kill(pid, SIGTERM);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<pid_t> spawnSwtpm(const SwtpmOptions& o, std::uint16_t port, int ctrlFd) {
  std::vector<std::string> args = {
      o.swtpmPath,
      "socket",
      "--tpm2",
      "--tpmstate",
      "dir=" + o.stateDir,
      "--server",
      "type=tcp,port=" + std::to_string(port),
      "--ctrl",
      "type=tcp,fd=" + std::to_string(kChildCtrlFd),
      "--flags",
      o.startup ? "not-need-init,startup-clear" : "not-need-init,startup-none"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string logPath = o.stateDir + "/swtpm.log";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  // dup2 onto a fixed number clears close-on-exec for the child only.
  posix_spawn_file_actions_adddup2(&fa, ctrlFd, kChildCtrlFd);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, o.swtpmPath.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    return makeError("swtpm", "cannot start " + o.swtpmPath + ": " + std::strerror(rc));
  }
  return pid;
}

}  // namespace

Result<std::unique_ptr<SwtpmProcess>> SwtpmProcess::start(const SwtpmOptions& o) {
  if (o.stateDir.empty()) return makeError("swtpm", "no state directory given");
  const auto deadline = Clock::now() + o.readyTimeout;
  for (int attempt = 0; attempt < o.maxAttempts; ++attempt) {
    Result<std::uint16_t> port = probeFreePort();
    if (!port.ok()) return port.error();
    if (*port >= 65535) continue;
    Fd ctrl(listenOn(static_cast<std::uint16_t>(*port + 1)));
    if (ctrl.get() < 0) continue;  // P+1 taken: pick another pair
    Result<pid_t> pid = spawnSwtpm(o, *port, ctrl.get());
    if (!pid.ok()) return pid.error();
    ctrl.reset();  // only swtpm holds it now, so its death closes the channel
    switch (probeControl(static_cast<std::uint16_t>(*port + 1), deadline)) {
      case Probe::Ready:
        return std::unique_ptr<SwtpmProcess>(new SwtpmProcess(*pid, *port));
      case Probe::Died:
        reap(*pid, true);
        continue;
      case Probe::Timeout:
        reap(*pid, true);
        return makeError("swtpm", "swtpm did not answer on its control channel within " +
                                      std::to_string(o.readyTimeout.count()) +
                                      " ms (log: " + o.stateDir + "/swtpm.log)");
    }
  }
  return makeError("swtpm", "swtpm did not start after " + std::to_string(o.maxAttempts) +
                                " attempts (log: " + o.stateDir + "/swtpm.log)");
}

SwtpmProcess::~SwtpmProcess() {
  stop();
}

void SwtpmProcess::stop() {
  reap(pid_, true);
  pid_ = -1;
}

std::string SwtpmProcess::tcti() const {
  return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

Result<SimTpm> provisionSimTpm(const std::string& stateDir, const SimTpmSpec& spec,
                               const ManufacturerCa& trusted, const ManufacturerCa& untrusted) {
  SwtpmOptions o;
  o.stateDir = stateDir;
  o.startup = !spec.notReady;
  auto process = SwtpmProcess::start(o);
  if (!process.ok()) return process.error();
  SimTpm out;
  out.process = std::move(*process);
  if (spec.notReady) return out;

  auto opened = TpmDevice::open(out.process->tcti());
  if (!opened.ok()) return opened.error().withContext("provisioning");
  TpmDevice& tpm = **opened;
  TpmInfo info = tpm.info();
  if (info.readiness != TpmReadiness::Ready) {
    return makeError("swtpm", "fresh swtpm is not ready: " + info.detail);
  }
  auto ek = tpm.loadEk(spec.ekAlgorithm);
  if (!ek.ok()) return ek.error().withContext("provisioning");
  out.ekPublic = ek->publicArea;
  if (spec.ekCert != EkCertMode::None) {
    EkCertificateSubject subject;
    subject.manufacturerId = info.manufacturerId;
    subject.model = info.vendorString.empty() ? "swtpm" : info.vendorString;
    subject.firmwareVersion = 0;
    const ManufacturerCa& ca = spec.ekCert == EkCertMode::Trusted ? trusted : untrusted;
    auto cert = ca.issueEkCertificate(out.ekPublic, subject);
    if (!cert.ok()) return cert.error().withContext("provisioning");
    out.ekCertificate = std::move(*cert);
    out.ekCertIndex = spec.ekAlgorithm == KeyAlgorithm::Rsa2048 ? ek_nv::kRsaCert : ek_nv::kEccCert;
    if (Status st = tpm.writePlatformNv(out.ekCertIndex, out.ekCertificate, true); !st.ok()) {
      return st.error().withContext("provisioning");
    }
  }
  for (const PcrExtend& e : spec.extends) {
    if (Status st = tpm.extendPcr(e); !st.ok()) return st.error().withContext("boot events");
  }
  out.tpmTime = tpm.tpmTime();
  return out;
}

}  // namespace pb
