// SPDX-License-Identifier: Apache-2.0
// Connection floods against the agent port, for the availability regression test and the flood
// benchmark: many idle TLS connections that never send a hello (from many loopback sources), or
// bare TCP connects that never send a ClientHello (from one address). Each flood connection
// reconnects `reconnectPause` after the server drops it, so the flood keeps its pressure for as
// long as it runs. It runs on its own thread and io_context.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pb::test {

enum class FloodKind { IdleTls, BareTcp };

struct FloodOptions {
  FloodKind kind = FloodKind::IdleTls;
  std::uint16_t port = 0;            // the agent port on 127.0.0.1
  std::vector<std::string> sources;  // local addresses, used round robin
  int connections = 100;             // concurrent flood connections
  std::chrono::milliseconds reconnectPause{1000};
};

struct FloodStats {
  long connects = 0;         // TCP connections made
  long tlsEstablished = 0;   // TLS handshakes completed (IdleTls)
  long droppedByServer = 0;  // connections the server closed (after a deadline or a refusal)
};

class Flood {
 public:
  explicit Flood(FloodOptions options);
  ~Flood();  // stops
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  void start();
  void stop();
  // Waits until `connects` TCP connections have been made (false after `timeout`).
  bool waitConnects(long connects, std::chrono::milliseconds timeout);
  // Waits until the server has dropped `dropped` flood connections (false after `timeout`).
  bool waitDropped(long dropped, std::chrono::milliseconds timeout);
  [[nodiscard]] FloodStats stats() const;

  struct Impl;

 private:
  Impl* impl_;
};

}  // namespace pb::test
