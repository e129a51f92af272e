// SPDX-License-Identifier: Apache-2.0
#include "amt/amt_sim_server.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mei/unix_socket_transport.hpp"

namespace pb {

namespace {

Error simError(const std::string& m) {
  return makeError("amt_sim", m);
}

struct Client {
  int fd = -1;
  Bytes buffer;
  bool connected = false;  // handshake done and owns the AMTHI client
};

void putU32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

bool sendFrame(int fd, const Bytes& payload) {
  Bytes f;
  putU32(f, static_cast<std::uint32_t>(payload.size()));
  f.insert(f.end(), payload.begin(), payload.end());
  std::size_t off = 0;
  while (off < f.size()) {
    const ssize_t w = ::send(fd, f.data() + off, f.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

AmtSimServer::AmtSimServer(AmtSimConfig config, std::string socketPath)
    : sim_(std::move(config)), path_(std::move(socketPath)) {}

AmtSimServer::~AmtSimServer() {
  stop();
}

Status AmtSimServer::sendHello() {
  const auto& cfg = sim_.config();
  if (!cfg.remoteConfiguration || cfg.hello.target.empty()) return {};
  const std::string& t = cfg.hello.target;
  std::string host, port;
  if (!t.empty() && t.front() == '[') {
    const auto close = t.find(']');
    if (close == std::string::npos || close + 1 >= t.size() || t[close + 1] != ':') {
      return simError("hello target " + t + " is not [HOST]:PORT");
    }
    host = t.substr(1, close - 1);
    port = t.substr(close + 2);
  } else {
    const auto colon = t.rfind(':');
    if (colon == std::string::npos) return simError("hello target " + t + " is not HOST:PORT");
    host = t.substr(0, colon);
    port = t.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    return simError("hello target " + t + " does not resolve");
  }
  const Bytes packet = buildHello(sim_.hello());
  const int fd = ::socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const bool ok = fd >= 0 && ::sendto(fd, packet.data(), packet.size(), 0, res->ai_addr,
                                      res->ai_addrlen) == static_cast<ssize_t>(packet.size());
  const int err = errno;
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(res);
  if (!ok) return simError("sending a hello to " + t + ": " + std::strerror(err));
  hellosSent_.fetch_add(1);
  return {};
}

Status AmtSimServer::start() {
  sockaddr_un addr{};
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
    return simError("socket path is empty or too long: " + path_);
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  ::unlink(path_.c_str());
  listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0 ||
      ::bind(listenFd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listenFd_, 16) != 0) {
    const int err = errno;
    stop();
    return simError("cannot listen on " + path_ + ": " + std::strerror(err));
  }
  if (::pipe2(stopPipe_, O_CLOEXEC) != 0) {
    stop();
    return simError("pipe: " + std::string(std::strerror(errno)));
  }
  if (auto st = sendHello(); !st.ok()) {
    stop();
    return st;
  }
  thread_ = std::thread([this] { run(); });
  return {};
}

void AmtSimServer::stop() {
  if (thread_.joinable()) {
    const char b = 1;
    (void)!::write(stopPipe_[1], &b, 1);
    thread_.join();
  }
  for (int* fd : {&listenFd_, &stopPipe_[0], &stopPipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!path_.empty()) ::unlink(path_.c_str());
}

void AmtSimServer::run() {
  using Clock = std::chrono::steady_clock;
  std::vector<Client> clients;
  const auto interval = std::chrono::milliseconds(sim_.config().hello.intervalMs);
  auto nextHello = Clock::now() + interval;
  constexpr std::size_t kMaxClients = 16;
  for (;;) {
    std::vector<pollfd> fds{{stopPipe_[0], POLLIN, 0}, {listenFd_, POLLIN, 0}};
    for (const auto& c : clients) fds.push_back({c.fd, POLLIN, 0});
    int timeout = -1;
    if (interval.count() > 0) {
      timeout = static_cast<int>(std::max<std::int64_t>(
          0,
          std::chrono::duration_cast<std::chrono::milliseconds>(nextHello - Clock::now()).count()));
    }
    const int rc = ::poll(fds.data(), fds.size(), timeout);
    if (rc < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;
    if (interval.count() > 0 && Clock::now() >= nextHello) {
      (void)sendHello();
      nextHello = Clock::now() + interval;
    }
    const std::size_t polled = clients.size();  // fds holds these; a new client waits a round
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0 && clients.size() < kMaxClients) {
        clients.push_back(Client{fd, {}, false});
      } else if (fd >= 0) {
        ::close(fd);
      }
    }
    for (std::size_t i = 0; i < polled; ++i) {
      if (fds[2 + i].revents == 0) continue;
      Client& c = clients[i];
      std::uint8_t buf[4096];
      const ssize_t r = ::recv(c.fd, buf, sizeof(buf), 0);
      bool drop = r <= 0;
      if (r > 0) c.buffer.insert(c.buffer.end(), buf, buf + r);
      // Handle every complete frame in the buffer.
      while (!drop && c.buffer.size() >= kUnixFrameHeader) {
        const std::uint32_t n = static_cast<std::uint32_t>(c.buffer[0]) |
                                (static_cast<std::uint32_t>(c.buffer[1]) << 8) |
                                (static_cast<std::uint32_t>(c.buffer[2]) << 16) |
                                (static_cast<std::uint32_t>(c.buffer[3]) << 24);
        if (n > kAmthiMaxMessage) {
          drop = true;
          break;
        }
        if (c.buffer.size() < kUnixFrameHeader + n) break;
        Bytes msg(c.buffer.begin() + kUnixFrameHeader, c.buffer.begin() + kUnixFrameHeader + n);
        c.buffer.erase(c.buffer.begin(), c.buffer.begin() + kUnixFrameHeader + n);
        if (!c.connected) {
          std::uint32_t result = 0;
          const bool owned = std::any_of(clients.begin(), clients.end(),
                                         [](const Client& o) { return o.connected; });
          if (msg != Bytes(std::begin(kAmthiGuid), std::end(kAmthiGuid))) {
            result = ENOTTY;  // a client this simulator does not host
          } else if (owned) {
            result = EBUSY;
          } else {
            result = sim_.connect();
          }
          Bytes reply;
          putU32(reply, result);
          putU32(reply, static_cast<std::uint32_t>(kAmthiMaxMessage));
          if (!sendFrame(c.fd, reply) || result != 0) {
            drop = true;
          } else {
            c.connected = true;
          }
          continue;
        }
        requests_.fetch_add(1);
        if (!sendFrame(c.fd, sim_.handle(msg))) drop = true;
      }
      if (drop) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    clients.erase(
        std::remove_if(clients.begin(), clients.end(), [](const Client& c) { return c.fd < 0; }),
        clients.end());
  }
  for (auto& c : clients) ::close(c.fd);
}

}  // namespace pb
