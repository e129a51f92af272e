// SPDX-License-Identifier: Apache-2.0
// Judges the provisioning certificate at start and then every `interval` (a day) on an asio
// timer, with an injected Clock for the judging. Each evaluation is logged (warning and error
// levels as log warnings/errors) and handed to `onEvaluated` (benchd writes an audit record when
// the level or code changes). status() is what `benchctl status` and the kiosk header show.
//
// @par Thread Safety
// Runs on the executor it is given; call status() from that executor.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>  // before Boost.Asio on 1.74

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "provcert/provcert.hpp"

namespace pb {

class ProvCertMonitor {
 public:
  ProvCertMonitor(const boost::asio::any_io_executor& executor, std::string certPath,
                  std::string crlPath, const Clock& clock, Logger& log,
                  std::function<void(const ProvCertStatus&)> onEvaluated = {},
                  std::chrono::steady_clock::duration interval = std::chrono::hours(24));

  // Evaluates now (synchronously, so status() is meaningful at once) and schedules the next run.
  void start();
  void stop();
  // Evaluates now without waiting for the timer (tests, an admin reload).
  const ProvCertStatus& evaluateNow();
  [[nodiscard]] const ProvCertStatus& status() const { return status_; }
  [[nodiscard]] int evaluations() const { return evaluations_; }

 private:
  void schedule();

  boost::asio::steady_timer timer_;
  std::string certPath_;
  std::string crlPath_;
  const Clock& clock_;
  Logger& log_;
  std::function<void(const ProvCertStatus&)> onEvaluated_;
  std::chrono::steady_clock::duration interval_;
  ProvCertStatus status_;
  int evaluations_ = 0;
  bool stopped_ = false;
};

}  // namespace pb
