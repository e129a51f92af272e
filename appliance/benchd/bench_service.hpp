// SPDX-License-Identifier: Apache-2.0
// What benchd does while it runs, once main.cpp has composed it: the status the admin `status`
// command returns, the kiosk header (re-pushed when the policy or the provisioning certificate
// changes), the audit of provisioning-certificate verdicts, SIGHUP policy reloads and the graceful
// stop on SIGTERM/SIGINT. main.cpp builds the parts and attaches them here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "benchd/bench_kiosk.hpp"
#include "benchd/policy_manager.hpp"
#include "config/bench_config.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "provcert/provcert_monitor.hpp"
#include "session/session_manager.hpp"
#include "store/store.hpp"

namespace pb {

class BenchService {
 public:
  // Every reference must outlive the service.
  BenchService(boost::asio::io_context& io, const BenchConfig& config, std::string version,
               const Clock& clock, Logger& log, Store& store, std::int64_t startedAt);

  // The parts built after the callbacks that refer to this service; status() and kioskHeader()
  // need them attached. `kiosk` may be null (kiosk disabled).
  void attach(SessionManager& sessions, PolicyManager& policies, const ProvCertMonitor& provCert,
              std::uint16_t agentPort);
  void attachKiosk(BenchKiosk* kiosk) { kiosk_ = kiosk; }
  [[nodiscard]] std::int64_t startedAt() const { return startedAt_; }

  // What the kiosk header shows: the live policy, its risk warnings, development mode (unsigned
  // policies allowed) and the provisioning certificate's expiry.
  [[nodiscard]] KioskHeader kioskHeader() const;
  // Pushes a new header to the kiosk; nothing before the kiosk is attached or once stopping.
  void refreshKioskHeader();
  // The answer to the admin `status` command.
  [[nodiscard]] nlohmann::json status() const;
  // A provisioning-certificate evaluation: every change of verdict re-pushes the header and is
  // audited (the log has each evaluation).
  void onProvCertStatus(const ProvCertStatus& s);

  // SIGHUP re-reads the configured policy; SIGTERM/SIGINT call `stopParts` (stop accepting,
  // stop the monitors), then give open sessions a bounded grace period before stopping `io`.
  void handleSignals(std::function<void()> stopParts);

 private:
  void waitHup();

  boost::asio::io_context& io_;
  const BenchConfig& config_;
  std::string version_;
  const Clock& clock_;
  Logger& log_;
  Store& store_;
  std::int64_t startedAt_;
  SessionManager* sessions_ = nullptr;
  PolicyManager* policies_ = nullptr;
  const ProvCertMonitor* provCert_ = nullptr;
  std::uint16_t agentPort_ = 0;
  BenchKiosk* kiosk_ = nullptr;
  bool stopping_ = false;
  std::string lastProvCertVerdict_ = "-";
  boost::asio::signal_set signals_;
  boost::asio::signal_set hup_;
  boost::asio::steady_timer grace_;
};

}  // namespace pb
