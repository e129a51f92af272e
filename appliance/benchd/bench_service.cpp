// SPDX-License-Identifier: Apache-2.0
#include "benchd/bench_service.hpp"

#include <chrono>
#include <csignal>

#include "policy/policy.hpp"

namespace pb {

BenchService::BenchService(boost::asio::io_context& io, const BenchConfig& config,
                           std::string version, const Clock& clock, Logger& log, Store& store,
                           std::int64_t startedAt)
    : io_(io),
      config_(config),
      version_(std::move(version)),
      clock_(clock),
      log_(log),
      store_(store),
      startedAt_(startedAt),
      signals_(io, SIGTERM, SIGINT),
      hup_(io, SIGHUP),
      grace_(io) {}

void BenchService::attach(SessionManager& sessions, PolicyManager& policies,
                          const ProvCertMonitor& provCert, std::uint16_t agentPort) {
  sessions_ = &sessions;
  policies_ = &policies;
  provCert_ = &provCert;
  agentPort_ = agentPort;
}

KioskHeader BenchService::kioskHeader() const {
  const ActivePolicy& ap = policies_->active();
  KioskHeader h;
  h.benchId = config_.benchId;
  h.policyName = ap.snapshot->policy.name;
  h.policyHash = ap.snapshot->hash;
  h.developmentMode = config_.policyAllowUnsigned;
  for (const auto& w : riskWarnings(ap.snapshot->policy)) {
    h.riskySettings.push_back(w.setting + ": " + w.attack);
  }
  if (const auto& cert = provCert_->status().cert) h.provisioningCertNotAfter = cert->notAfter;
  return h;
}

void BenchService::refreshKioskHeader() {
  if (kiosk_ == nullptr || stopping_) return;  // nothing pushes to a stopping kiosk
  kiosk_->setHeader(kioskHeader());
}

nlohmann::json BenchService::status() const {
  // Sessions the inventory still holds open: after a clean run this is 0; anything else is a
  // session that a crash interrupted and the next start will fail as retryable.
  auto open = store_.openSessionCount();
  const long openInInventory = open.ok() ? static_cast<long>(*open) : -1;
  return nlohmann::json{
      {"bench_id", config_.benchId},
      {"version", version_},
      {"started_at", formatUtc(startedAt_)},
      {"uptime_s", clock_.nowUnix() - startedAt_},
      // The active policy (it changes on `policy load` and SIGHUP).
      {"policy_name", policies_->active().snapshot->policy.name},
      {"policy_hash", policies_->active().snapshot->hash},
      {"risk_acknowledgements", policies_->active().snapshot->policy.riskAcknowledgements},
      {"policy", policies_->summary()},
      {"sessions_open", sessions_->liveSessions()},
      {"sessions_open_in_inventory", openInInventory},
      {"agent_port", agentPort_},
      {"stages", config_.stages},
      {"amt_provisioning_certificate", toJson(provCert_->status())}};
}

void BenchService::onProvCertStatus(const ProvCertStatus& s) {
  const std::string verdict = std::string(toString(s.level)) + "/" + s.code;
  if (verdict == lastProvCertVerdict_) return;
  lastProvCertVerdict_ = verdict;
  refreshKioskHeader();
  AuditRecord r;
  r.actor = "benchd";
  r.action = "provcert.status";
  r.reason = s.code;
  r.details = toJson(s);
  if (auto st = store_.appendAudit(r); !st.ok()) {
    log_.error("benchd.audit_failed", {{"error", st.error().message}});
  }
}

void BenchService::handleSignals(std::function<void()> stopParts) {
  // Graceful shutdown: stop accepting, give sessions a bounded grace period, then stop.
  signals_.async_wait([this, stopParts = std::move(stopParts)](const boost::system::error_code& ec,
                                                               int sig) {
    if (ec) return;
    log_.info("benchd.stopping", {{"signal", sig}, {"sessions_open", sessions_->liveSessions()}});
    stopping_ = true;
    hup_.cancel();
    stopParts();
    grace_.expires_after(std::chrono::seconds(5));
    grace_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
    if (sessions_->liveSessions() == 0) io_.stop();
  });
  waitHup();
}

// SIGHUP re-reads the configured policy with every check; an invalid one leaves the active
// policy in place (logged and audited by the PolicyManager).
void BenchService::waitHup() {
  hup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (auto st = policies_->reload("signal:SIGHUP"); !st.ok()) {
      log_.error("policy.reload_failed", {{"error", st.error().message}});
    }
    waitHup();
  });
}

}  // namespace pb
