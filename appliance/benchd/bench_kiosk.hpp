// SPDX-License-Identifier: Apache-2.0
// benchd's kiosk wiring, kept out of main.cpp: the feed over the store, the server, and the
// session observer that turns every committed state change into a pushed tile.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/any_io_executor.hpp>

#include "config/bench_config.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "kiosk/kiosk_feed.hpp"
#include "kiosk/kiosk_server.hpp"
#include "session/session_manager.hpp"

namespace pb {

class BenchKiosk {
 public:
  BenchKiosk(boost::asio::any_io_executor executor, const BenchConfig& config, KioskHeader header,
             KioskPolicy policy, Store& store, const Clock& clock, Logger& log,
             std::int64_t startedAt);
  // Binds the server and subscribes to `sessions`; returns the bound port.
  Result<std::uint16_t> start(SessionManager& sessions);
  void stop() { server_.stop(); }
  // A new header (policy loaded, certificate re-judged): pushed to every open page.
  void setHeader(KioskHeader header) { server_.broadcast(feed_.setHeader(std::move(header))); }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  KioskFeed feed_;
  KioskServer server_;
  std::uint16_t port_ = 0;
};

}  // namespace pb
