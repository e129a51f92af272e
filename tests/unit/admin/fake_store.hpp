// SPDX-License-Identifier: Apache-2.0
// An in-memory Store for handler tests that need to inject failures the real database cannot be
// made to produce on demand. Semantics follow store.hpp closely enough for the admin commands.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "store/store.hpp"

namespace pb::test {

class FakeStore : public Store {
 public:
  explicit FakeStore(const Clock& clock) : clock_(clock) {}

  // Every call fails with this error while set.
  std::optional<Error> failWith;

  int schemaVersion() const override { return 1; }
  void setPolicyHash(std::string hash) override { policyHash_ = std::move(hash); }

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
};

}  // namespace pb::test
