// SPDX-License-Identifier: Apache-2.0
#include "provcert/provcert_monitor.hpp"

#include <boost/system/error_code.hpp>

namespace pb {

ProvCertMonitor::ProvCertMonitor(const boost::asio::any_io_executor& executor, std::string certPath,
                                 std::string crlPath, const Clock& clock, Logger& log,
                                 std::function<void(const ProvCertStatus&)> onEvaluated,
                                 std::chrono::steady_clock::duration interval)
    : timer_(executor),
      certPath_(std::move(certPath)),
      crlPath_(std::move(crlPath)),
      clock_(clock),
      log_(log),
      onEvaluated_(std::move(onEvaluated)),
      interval_(interval) {}

void ProvCertMonitor::start() {
  stopped_ = false;
  evaluateNow();
  schedule();
}

void ProvCertMonitor::stop() {
  stopped_ = true;
  timer_.cancel();
}

const ProvCertStatus& ProvCertMonitor::evaluateNow() {
  status_ = checkProvCert(certPath_, crlPath_, clock_);
  ++evaluations_;
  nlohmann::json fields = toJson(status_);
  switch (status_.level) {
    case ProvCertLevel::NotConfigured:
    case ProvCertLevel::Ok:
      log_.info("provcert.checked", std::move(fields));
      break;
    case ProvCertLevel::Warning:
      log_.warn("provcert.expiring", std::move(fields));
      break;
    case ProvCertLevel::Error:
    case ProvCertLevel::Unusable:
      log_.error("provcert.problem", std::move(fields));
      break;
  }
  if (onEvaluated_) onEvaluated_(status_);
  return status_;
}

void ProvCertMonitor::schedule() {
  if (stopped_) return;
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    evaluateNow();
    schedule();
  });
}

}  // namespace pb
