// SPDX-License-Identifier: Apache-2.0
#include "support/failing_store.hpp"

#include <utility>

namespace pb::test {

std::optional<Error> FailingStore::tick(const char* method) {
  calls_.emplace_back(method);
  bool fail = failAt_ != 0 && calls_.size() == failAt_;
  if (!failMethod_.empty() && failMethod_ == method && ++methodCalls_ >= failMethodFrom_) {
    fail = true;
  }
  if (!fail) return std::nullopt;
  failed_ = method;
  return makeError("db", std::string("injected failure: ") + method + " (call " +
                             std::to_string(calls_.size()) + ")");
}

Result<ImportSummary> FailingStore::importRegistry(const std::vector<RegistryRow>& rows,
                                                   const std::string& actor,
                                                   const std::string& sourceName) {
  if (auto e = tick("importRegistry")) return *e;
  return inner_.importRegistry(rows, actor, sourceName);
}

Result<ImportChunkResult> FailingStore::applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                                         std::size_t end, const std::string& actor,
                                                         const std::string& sourceName) {
  if (auto e = tick("applyImportChunk")) return *e;
  return inner_.applyImportChunk(plan, begin, end, actor, sourceName);
}

Result<std::optional<DeviceRecord>> FailingStore::findDevice(const std::string& id) {
  if (auto e = tick("findDevice")) return *e;
  return inner_.findDevice(id);
}

Result<std::optional<DeviceRecord>> FailingStore::findDeviceBySerial(const std::string& serial) {
  if (auto e = tick("findDeviceBySerial")) return *e;
  return inner_.findDeviceBySerial(serial);
}

Result<std::vector<DeviceRecord>> FailingStore::findDevicesByUuid(const std::string& smbiosUuid) {
  if (auto e = tick("findDevicesByUuid")) return *e;
  return inner_.findDevicesByUuid(smbiosUuid);
}

Result<std::vector<DeviceRecord>> FailingStore::findDevicesByEk(const std::string& ekSha256) {
  if (auto e = tick("findDevicesByEk")) return *e;
  return inner_.findDevicesByEk(ekSha256);
}

Result<std::vector<DeviceRecord>> FailingStore::listDevices(std::optional<DeviceState> state) {
  if (auto e = tick("listDevices")) return *e;
  return inner_.listDevices(state);
}

Result<std::vector<DeviceRecord>> FailingStore::listDevicesPage(std::optional<DeviceState> state,
                                                                bool unseenOnly,
                                                                const std::string& afterId,
                                                                int limit) {
  if (auto e = tick("listDevicesPage")) return *e;
  return inner_.listDevicesPage(state, unseenOnly, afterId, limit);
}

Result<DeviceCounts> FailingStore::deviceCounts() {
  if (auto e = tick("deviceCounts")) return *e;
  return inner_.deviceCounts();
}

Status FailingStore::setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                                const std::string& reason) {
  if (auto e = tick("setBlocked")) return *e;
  return inner_.setBlocked(deviceId, blocked, actor, reason);
}

Result<SessionRecord> FailingStore::createSession(SessionRecord init, const std::string& actor) {
  if (auto e = tick("createSession")) return *e;
  return inner_.createSession(std::move(init), actor);
}

Status FailingStore::applyTransition(const Transition& t) {
  if (auto e = tick("applyTransition")) return *e;
  return inner_.applyTransition(t);
}

Result<std::optional<SessionRecord>> FailingStore::findSession(const std::string& id) {
  if (auto e = tick("findSession")) return *e;
  return inner_.findSession(id);
}

Result<std::vector<SessionRecord>> FailingStore::listSessions(bool openOnly, int limit) {
  if (auto e = tick("listSessions")) return *e;
  return inner_.listSessions(openOnly, limit);
}

Result<std::vector<SessionRecord>> FailingStore::sessionsForDevice(const std::string& deviceId,
                                                                   int limit) {
  if (auto e = tick("sessionsForDevice")) return *e;
  return inner_.sessionsForDevice(deviceId, limit);
}

Result<int> FailingStore::failOpenSessions(const std::string& code) {
  if (auto e = tick("failOpenSessions")) return *e;
  return inner_.failOpenSessions(code);
}

Result<std::int64_t> FailingStore::openSessionCount() {
  if (auto e = tick("openSessionCount")) return *e;
  return inner_.openSessionCount();
}

Result<Approval> FailingStore::addApproval(const std::string& deviceId, const std::string& actor,
                                           const std::string& reason, std::int64_t ttlSeconds) {
  if (auto e = tick("addApproval")) return *e;
  return inner_.addApproval(deviceId, actor, reason, ttlSeconds);
}

Result<std::optional<Approval>> FailingStore::activeApproval(const std::string& deviceId) {
  if (auto e = tick("activeApproval")) return *e;
  return inner_.activeApproval(deviceId);
}

Status FailingStore::appendAudit(AuditRecord record) {
  if (auto e = tick("appendAudit")) return *e;
  return inner_.appendAudit(std::move(record));
}

Result<std::vector<AuditRecord>> FailingStore::auditTail(int count) {
  if (auto e = tick("auditTail")) return *e;
  return inner_.auditTail(count);
}

Result<std::vector<AuditRecord>> FailingStore::auditForDevice(const std::string& deviceId,
                                                              int count) {
  if (auto e = tick("auditForDevice")) return *e;
  return inner_.auditForDevice(deviceId, count);
}

Result<std::int64_t> FailingStore::auditCount() {
  if (auto e = tick("auditCount")) return *e;
  return inner_.auditCount();
}

Result<AuditVerifyReport> FailingStore::verifyAudit() {
  if (auto e = tick("verifyAudit")) return *e;
  return inner_.verifyAudit();
}

Result<AuditVerifyReport> FailingStore::verifyAuditIncremental() {
  if (auto e = tick("verifyAuditIncremental")) return *e;
  return inner_.verifyAuditIncremental();
}

Status FailingStore::recordVerifiedHead(std::int64_t seq, const std::string& hash) {
  if (auto e = tick("recordVerifiedHead")) return *e;
  return inner_.recordVerifiedHead(seq, hash);
}

Result<AuditVerifyReport> FailingStore::verifyAuditHead() {
  if (auto e = tick("verifyAuditHead")) return *e;
  return inner_.verifyAuditHead();
}

Status FailingStore::recordCheckRun(const CheckRun& run, const std::string& actor) {
  if (auto e = tick("recordCheckRun")) return *e;
  return inner_.recordCheckRun(run, actor);
}

Result<std::optional<CheckRun>> FailingStore::checkRunForSession(const std::string& sessionId) {
  if (auto e = tick("checkRunForSession")) return *e;
  return inner_.checkRunForSession(sessionId);
}

Result<std::optional<CheckRun>> FailingStore::latestCheckRunForDevice(const std::string& deviceId) {
  if (auto e = tick("latestCheckRunForDevice")) return *e;
  return inner_.latestCheckRunForDevice(deviceId);
}

}  // namespace pb::test
