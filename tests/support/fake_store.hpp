// SPDX-License-Identifier: Apache-2.0
// An in-memory Store for handler tests that need to inject failures the real database cannot be
// made to produce on demand. Semantics follow store.hpp closely enough for the admin commands; it
// implements every role (no role has default bodies) and checks steps against the same transition
// table as the SQLite store.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "store/store.hpp"
#include "store/transition_table.hpp"

namespace pb::test {

class FakeStore : public Store {
 public:
  explicit FakeStore(const Clock& clock) : clock_(clock) {}

  // Every call fails with this error while set.
  std::optional<Error> failWith;

  int schemaVersion() const override { return 1; }
  void setPolicyHash(std::string hash) override { policyHash_ = std::move(hash); }

  // The sliced import is the SQLite store's (registry_import_plan_test covers it); the fake
  // refuses.
  Result<ImportChunkResult> applyImportChunk(const ImportPlan&, std::size_t, std::size_t,
                                             const std::string&, const std::string&) override {
    return makeError("store", "applyImportChunk is not supported by the fake store");
  }
  Result<ImportSummary> importRegistry(const std::vector<RegistryRow>& rows,
                                       const std::string& actor,
                                       const std::string& sourceName) override {
    if (failWith) return *failWith;
    ImportSummary s;
    for (const auto& row : rows) {
      auto it = std::find_if(devices_.begin(), devices_.end(), [&](const DeviceRecord& d) {
        return d.registry.serial == row.serial;
      });
      if (it != devices_.end() && sameRegistration(it->registry, row)) {
        ++s.unchanged;
        s.devices.push_back(*it);
      } else if (it != devices_.end()) {
        it->registry = row;
        it->updatedAt = clock_.nowUnix();
        ++s.updated;
        s.devices.push_back(*it);
      } else {
        DeviceRecord d;
        char id[32];
        std::snprintf(id, sizeof id, "dev-%06zu", devices_.size() + 1);
        d.id = id;
        d.registry = row;
        d.createdAt = d.updatedAt = clock_.nowUnix();
        devices_.push_back(d);
        ++s.created;
        s.devices.push_back(d);
      }
    }
    audit(actor, "registry.import", "", "", "", "", {{"source", sourceName}});
    return s;
  }
  Result<std::optional<DeviceRecord>> findDevice(const std::string& id) override {
    if (failWith) return *failWith;
    for (const auto& d : devices_) {
      if (d.id == id) return std::optional<DeviceRecord>(d);
    }
    return std::optional<DeviceRecord>();
  }
  Result<std::optional<DeviceRecord>> findDeviceBySerial(const std::string& serial) override {
    if (failWith) return *failWith;
    for (const auto& d : devices_) {
      if (d.registry.serial == serial) return std::optional<DeviceRecord>(d);
    }
    return std::optional<DeviceRecord>();
  }
  Result<std::vector<DeviceRecord>> findDevicesByUuid(const std::string& uuid) override {
    if (failWith) return *failWith;
    std::vector<DeviceRecord> out;
    for (const auto& d : devices_) {
      if (d.registry.smbiosUuid == uuid) out.push_back(d);
    }
    return out;
  }
  Result<std::vector<DeviceRecord>> findDevicesByEk(const std::string& ek) override {
    if (failWith) return *failWith;
    std::vector<DeviceRecord> out;
    for (const auto& d : devices_) {
      if (d.boundEkSha256 == ek || d.registry.ekSha256 == ek) out.push_back(d);
    }
    return out;
  }
  Result<std::vector<DeviceRecord>> listDevices(std::optional<DeviceState> state) override {
    if (failWith) return *failWith;
    std::vector<DeviceRecord> out;
    for (const auto& d : devices_) {
      if (!state || d.state == state) out.push_back(d);
    }
    return out;
  }
  Result<std::vector<DeviceRecord>> listDevicesPage(std::optional<DeviceState> state,
                                                    bool unseenOnly, const std::string& afterId,
                                                    int limit) override {
    auto all = listDevices(state);
    if (!all) return all.error();
    std::sort(all->begin(), all->end(),
              [](const DeviceRecord& a, const DeviceRecord& b) { return a.id < b.id; });
    std::vector<DeviceRecord> page;
    for (auto& d : *all) {
      if (limit > 0 && static_cast<int>(page.size()) >= limit) break;
      if (d.id <= afterId || (unseenOnly && d.state.has_value())) continue;
      page.push_back(std::move(d));
    }
    return page;
  }
  Result<DeviceCounts> deviceCounts() override {
    if (failWith) return *failWith;
    DeviceCounts counts;
    for (const auto& d : devices_) {
      ++counts.byState[d.state ? std::string(toString(*d.state)) : std::string("unseen")];
      ++counts.total;
      if (d.blocked) ++counts.blocked;
    }
    return counts;
  }

  Result<SessionRecord> createSession(SessionRecord init, const std::string& actor) override {
    if (failWith) return *failWith;
    init.id = "s-" + randomHex(8);
    init.startedAt = init.updatedAt = clock_.nowUnix();
    init.state = DeviceState::Discovered;
    sessions_.push_back(init);
    if (auto* d = device(init.deviceId)) {
      d->state = DeviceState::Discovered;
      d->stateSince = clock_.nowUnix();
      d->lastSessionId = init.id;
    }
    audit(actor, "session.discovered", init.deviceId, init.id, "", "discovered", {});
    return init;
  }
  Status applyTransition(const Transition& t) override {
    if (failWith) return *failWith;
    std::string before;
    for (auto& s : sessions_) {
      if (s.id != t.sessionId) continue;
      if (!transitionAllowed(s.state, t.to)) return makeError("PB-9504", "illegal transition");
      before = std::string(toString(s.state));
      s.state = t.to;
      s.reasonCode = t.reasonCode;
      s.retryable = t.retryable;
      s.open = !t.closeSession;
      s.updatedAt = clock_.nowUnix();
    }
    if (auto* d = device(t.deviceId)) {
      d->state = t.to;
      d->reasonCode = t.reasonCode;
      d->retryable = t.retryable;
      d->stateSince = clock_.nowUnix();
    }
    audit(t.actor, t.action, t.deviceId, t.sessionId, before, std::string(toString(t.to)),
          t.details, t.reasonCode);
    return {};
  }
  Result<std::optional<SessionRecord>> findSession(const std::string& id) override {
    for (const auto& s : sessions_) {
      if (s.id == id) return std::optional<SessionRecord>(s);
    }
    return std::optional<SessionRecord>();
  }
  Result<std::vector<SessionRecord>> listSessions(bool openOnly, int limit) override {
    std::vector<SessionRecord> out;
    for (auto it = sessions_.rbegin();
         it != sessions_.rend() && static_cast<int>(out.size()) < limit; ++it) {
      if (!openOnly || it->open) out.push_back(*it);
    }
    return out;
  }
  Result<std::vector<SessionRecord>> sessionsForDevice(const std::string& deviceId,
                                                       int limit) override {
    if (failWith) return *failWith;
    std::vector<SessionRecord> out;
    for (auto it = sessions_.rbegin();
         it != sessions_.rend() && static_cast<int>(out.size()) < limit; ++it) {
      if (it->deviceId == deviceId) out.push_back(*it);
    }
    return out;
  }
  Result<int> failOpenSessions(const std::string&) override { return 0; }
  Result<std::int64_t> openSessionCount() override {
    if (failWith) return *failWith;
    return static_cast<std::int64_t>(
        std::count_if(sessions_.begin(), sessions_.end(), [](const auto& s) { return s.open; }));
  }

  Status setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                    const std::string& reason) override {
    if (failWith) return *failWith;
    auto* d = device(deviceId);
    if (d == nullptr) return makeError("PB-9503", "no such device");
    d->blocked = blocked;
    d->blockReason = blocked ? reason : "";
    audit(actor, blocked ? "device.block" : "device.unblock", deviceId, "", "", "", {}, reason);
    return {};
  }
  Result<Approval> addApproval(const std::string& deviceId, const std::string& actor,
                               const std::string& reason, std::int64_t ttlSeconds) override {
    if (failWith) return *failWith;
    auto* d = device(deviceId);
    if (d == nullptr) return makeError("PB-9503", "no such device");
    Approval a;
    a.id = static_cast<std::int64_t>(approvals_.size()) + 1;
    a.deviceId = deviceId;
    a.serial = d->registry.serial;
    a.smbiosUuid = d->registry.smbiosUuid;
    a.answersCode = d->reasonCode;
    a.approvedBy = actor;
    a.reason = reason;
    a.createdAt = clock_.nowUnix();
    a.expiresAt = a.createdAt + ttlSeconds;
    approvals_.push_back(a);
    audit(actor, "device.approve", deviceId, "", "", "", {{"approval_id", a.id}}, reason);
    return a;
  }
  Result<std::optional<Approval>> activeApproval(const std::string& deviceId) override {
    if (failWith) return *failWith;
    for (auto it = approvals_.rbegin(); it != approvals_.rend(); ++it) {
      if (it->deviceId == deviceId && it->consumedAt == 0 && it->expiresAt > clock_.nowUnix()) {
        return std::optional<Approval>(*it);
      }
    }
    return std::optional<Approval>();
  }

  Status appendAudit(AuditRecord r) override {
    if (failWith) return *failWith;
    r.seq = static_cast<std::int64_t>(audit_.size()) + 1;
    r.time = clock_.nowUnix();
    audit_.push_back(std::move(r));
    return {};
  }
  Result<std::vector<AuditRecord>> auditTail(int count) override {
    if (failWith) return *failWith;
    std::size_t n = std::min(audit_.size(), static_cast<std::size_t>(count));
    return std::vector<AuditRecord>(audit_.end() - static_cast<std::ptrdiff_t>(n), audit_.end());
  }
  Result<std::vector<AuditRecord>> auditForDevice(const std::string& deviceId, int count) override {
    if (failWith) return *failWith;
    std::vector<AuditRecord> out;
    for (const auto& r : audit_) {
      if (r.deviceId == deviceId) out.push_back(r);
    }
    if (out.size() > static_cast<std::size_t>(count)) out.erase(out.begin(), out.end() - count);
    return out;
  }
  Result<std::int64_t> auditCount() override {
    if (failWith) return *failWith;
    return static_cast<std::int64_t>(audit_.size());
  }
  Result<AuditVerifyReport> verifyAuditHead() override {
    if (failWith) return *failWith;
    return AuditVerifyReport{true, audit_.empty() ? 0 : 1, 0, "", audit_.empty() ? "" : "00"};
  }
  Result<AuditVerifyReport> verifyAudit() override {
    if (failWith) return *failWith;
    AuditVerifyReport r;
    r.ok = true;
    r.records = static_cast<std::int64_t>(audit_.size());
    r.headHash = "00";
    return r;
  }
  // No verified head: an incremental verification is a full one.
  Result<AuditVerifyReport> verifyAuditIncremental() override { return verifyAudit(); }
  Status recordVerifiedHead(std::int64_t, const std::string&) override {
    if (failWith) return *failWith;
    return {};
  }

  Status recordCheckRun(const CheckRun& run, const std::string& actor) override {
    if (failWith) return *failWith;
    for (const auto& r : checkRuns_) {
      if (r.sessionId == run.sessionId) return makeError("PB-9504", "already has check results");
    }
    CheckRun stored = run;
    stored.recordedAt = clock_.nowUnix();
    checkRuns_.push_back(stored);
    audit(actor, "checks.recorded", run.deviceId, run.sessionId, "", "", {});
    return {};
  }
  Result<std::optional<CheckRun>> checkRunForSession(const std::string& sessionId) override {
    if (failWith) return *failWith;
    for (const auto& r : checkRuns_) {
      if (r.sessionId == sessionId) return std::optional<CheckRun>(r);
    }
    return std::optional<CheckRun>();
  }
  Result<std::optional<CheckRun>> latestCheckRunForDevice(const std::string& deviceId) override {
    if (failWith) return *failWith;
    for (auto it = checkRuns_.rbegin(); it != checkRuns_.rend(); ++it) {
      if (it->deviceId == deviceId) return std::optional<CheckRun>(*it);
    }
    return std::optional<CheckRun>();
  }

  void interrupt() override {}

 private:
  static bool sameRegistration(const RegistryRow& a, const RegistryRow& b) {
    return a.serial == b.serial && a.smbiosUuid == b.smbiosUuid && a.model == b.model &&
           a.owner == b.owner && a.ownerEmail == b.ownerEmail && a.tenant == b.tenant &&
           a.ekSha256 == b.ekSha256 && a.windowFrom == b.windowFrom &&
           a.windowUntil == b.windowUntil;
  }
  DeviceRecord* device(const std::string& id) {
    for (auto& d : devices_) {
      if (d.id == id) return &d;
    }
    return nullptr;
  }
  void audit(const std::string& actor, const std::string& action, const std::string& deviceId,
             const std::string& sessionId, const std::string& before, const std::string& after,
             nlohmann::json details, const std::string& reason = "") {
    AuditRecord r;
    r.actor = actor;
    r.action = action;
    r.deviceId = deviceId;
    r.sessionId = sessionId;
    r.before = before;
    r.after = after;
    r.reason = reason;
    r.details = std::move(details);
    (void)appendAudit(std::move(r));
  }

  const Clock& clock_;
  std::string policyHash_;
  std::vector<DeviceRecord> devices_;
  std::vector<SessionRecord> sessions_;
  std::vector<Approval> approvals_;
  std::vector<AuditRecord> audit_;
  std::vector<CheckRun> checkRuns_;
};

}  // namespace pb::test
