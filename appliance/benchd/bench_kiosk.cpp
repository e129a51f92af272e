// SPDX-License-Identifier: Apache-2.0
#include "benchd/bench_kiosk.hpp"

namespace pb {

namespace {

std::vector<KioskSlot> kioskSlots(const BenchConfig& config) {
  std::vector<KioskSlot> slots;
  for (const auto& s : config.slots) slots.push_back({s.id, s.label});
  return slots;
}

KioskServerOptions serverOptions(const BenchConfig& config, Logger& log) {
  KioskServerOptions o;
  o.address = config.kiosk.address;
  o.port = config.kiosk.port;
  o.maxConnections = config.kiosk.maxConnections;
  o.maxConnectionsPerSource = config.kiosk.maxConnectionsPerSource;
  o.maxMessageBytes = config.kiosk.maxMessageBytes;
  o.idleTimeout = std::chrono::milliseconds(config.kiosk.idleTimeoutMs);
  o.allowedOrigins = config.kiosk.allowedOrigins;
  o.logger = &log;
  return o;
}

}  // namespace

BenchKiosk::BenchKiosk(boost::asio::any_io_executor executor, const BenchConfig& config,
                       KioskHeader header, KioskPolicy policy, Store& store, const Clock& clock,
                       Logger& log, std::int64_t startedAt)
    : feed_(store, clock, std::move(header), kioskSlots(config), policy, startedAt,
            config.kiosk.unregisteredTilesPerSlot),
      server_(std::move(executor), serverOptions(config, log),
              [this] { return feed_.snapshot(); }) {}

Result<std::uint16_t> BenchKiosk::start(SessionManager& sessions) {
  auto port = server_.start();
  if (!port.ok()) return port.error();
  port_ = *port;
  sessions.setObserver([this](const SessionEvent& e) {
    for (const auto& m : feed_.onSessionChange(e.sessionId, e.deviceId)) server_.broadcast(m);
  });
  return port_;
}

}  // namespace pb
