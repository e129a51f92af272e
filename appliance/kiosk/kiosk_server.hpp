// SPDX-License-Identifier: Apache-2.0
// The kiosk's HTTP + WebSocket server (Boost.Beast). Read-only: it serves the embedded page and
// pushes the feed (kiosk_feed.hpp) to every connected browser; nothing a browser sends changes
// anything (its messages are read only to notice a closed connection, and bounded).
//
// Limits: connections (HTTP and WebSocket together, in total and per peer address; more are
// closed at once), request header
// and body size, the size of a browser's WebSocket message, idle time (HTTP keep-alive; a
// WebSocket is pinged and closed when the peer stops answering), and the backlog of messages
// queued for one slow browser (it is dropped and resynchronises when it reconnects).
//
// @par Thread Safety
// Runs on the executor it is given; call start/stop/broadcast from that executor's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // must precede boost/asio headers on Boost 1.74
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/result.hpp"

namespace pb {

struct KioskServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral
  std::uint32_t maxConnections = 16;
  std::uint32_t maxConnectionsPerSource = 8;  // by peer address; more are closed at once
  std::uint32_t maxMessageBytes = 4096;
  std::chrono::milliseconds idleTimeout{30000};
  std::vector<std::string> allowedOrigins;
  std::size_t maxQueuedMessages = 4096;  // per browser
  Logger* logger = nullptr;              // nullptr: no logging
};

class KioskServer {
 public:
  // Builds the snapshot a newly connected browser gets first.
  using SnapshotFn = std::function<Result<nlohmann::json>()>;

  KioskServer(boost::asio::any_io_executor executor, KioskServerOptions options,
              SnapshotFn snapshot);
  ~KioskServer();
  KioskServer(const KioskServer&) = delete;
  KioskServer& operator=(const KioskServer&) = delete;

  // Binds and starts accepting; returns the bound port.
  Result<std::uint16_t> start();
  // Stops accepting and closes every connection.
  void stop();
  // Queues one message for every connected browser.
  void broadcast(const nlohmann::json& message);

  [[nodiscard]] std::size_t connections() const;
  [[nodiscard]] std::size_t webSockets() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace pb
