// SPDX-License-Identifier: Apache-2.0
// Puts an AmtSimulator behind a Unix stream socket (the UnixSocketTransport wire format, see
// drivers/mei/unix_socket_transport.hpp) on its own thread, and sends AMT hello packets over UDP
// when remote configuration is on and a hello target is configured.
//
// Like the MEI AMTHI client, one connection owns the client at a time: a second connection's
// connect handshake gets EBUSY until the first closes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "amt/amt_simulator.hpp"
#include "core/result.hpp"

namespace pb {

class AmtSimServer {
 public:
  AmtSimServer(AmtSimConfig config, std::string socketPath);
  ~AmtSimServer();
  AmtSimServer(const AmtSimServer&) = delete;
  AmtSimServer& operator=(const AmtSimServer&) = delete;

  // Binds and listens (the socket accepts as soon as this returns: readiness is the return), sends
  // the first hello if configured, then serves on a thread.
  Status start();
  void stop();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::uint64_t hellosSent() const { return hellosSent_.load(); }
  [[nodiscard]] std::uint64_t requestsHandled() const { return requests_.load(); }

 private:
  void run();
  Status sendHello();

  AmtSimulator sim_;
  std::string path_;
  int listenFd_ = -1;
  int stopPipe_[2] = {-1, -1};
  int helloFd_ = -1;
  std::thread thread_;
  std::atomic<std::uint64_t> hellosSent_{0};
  std::atomic<std::uint64_t> requests_{0};
};

}  // namespace pb
