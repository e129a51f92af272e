// SPDX-License-Identifier: Apache-2.0
// A Store decorator that fails the n-th call made through it (counting every role's methods, from
// 1) and forwards every other call to the real store. Tests use it to reach each store-failure
// branch of a consumer (the session manager's): run once with no failure to learn the calls, then
// once per call with that call failing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace pb::test {

class FailingStore final : public Store {
 public:
  explicit FailingStore(Store& inner) : inner_(inner) {}

  // Fails the n-th call from now on (1 = the next one); 0: fail nothing. Resets the count.
  void failCall(std::size_t n) {
    failAt_ = n;
    calls_.clear();
  }
  // Fails every call of `method` (e.g. "applyTransition") from the `nth` one (1-based) on.
  void failMethod(std::string method, std::size_t nth = 1) {
    failMethod_ = std::move(method);
    failMethodFrom_ = nth;
    methodCalls_ = 0;
  }
  // The methods called since the last failCall, in order (the failed one included).
  [[nodiscard]] const std::vector<std::string>& calls() const { return calls_; }
  // The method whose call was failed ("" when none was).
  [[nodiscard]] const std::string& failed() const { return failed_; }

  int schemaVersion() const override { return inner_.schemaVersion(); }
  void setPolicyHash(std::string hash) override { inner_.setPolicyHash(std::move(hash)); }
  void interrupt() override { inner_.interrupt(); }

  Result<ImportSummary> importRegistry(const std::vector<RegistryRow>& rows,
                                       const std::string& actor,
                                       const std::string& sourceName) override;
  Result<ImportChunkResult> applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                             std::size_t end, const std::string& actor,
                                             const std::string& sourceName) override;
  Result<std::optional<DeviceRecord>> findDevice(const std::string& id) override;
  Result<std::optional<DeviceRecord>> findDeviceBySerial(const std::string& serial) override;
  Result<std::vector<DeviceRecord>> findDevicesByUuid(const std::string& smbiosUuid) override;
  Result<std::vector<DeviceRecord>> findDevicesByEk(const std::string& ekSha256) override;
  Result<std::vector<DeviceRecord>> listDevices(std::optional<DeviceState> state) override;
  Result<std::vector<DeviceRecord>> listDevicesPage(std::optional<DeviceState> state,
                                                    bool unseenOnly, const std::string& afterId,
                                                    int limit) override;
  Result<DeviceCounts> deviceCounts() override;
  Status setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                    const std::string& reason) override;
  Result<SessionRecord> createSession(SessionRecord init, const std::string& actor) override;
  Status applyTransition(const Transition& t) override;
  Result<std::optional<SessionRecord>> findSession(const std::string& id) override;
  Result<std::vector<SessionRecord>> listSessions(bool openOnly, int limit) override;
  Result<std::vector<SessionRecord>> sessionsForDevice(const std::string& deviceId,
                                                       int limit) override;
  Result<int> failOpenSessions(const std::string& code) override;
  Result<std::int64_t> openSessionCount() override;
  Result<Approval> addApproval(const std::string& deviceId, const std::string& actor,
                               const std::string& reason, std::int64_t ttlSeconds) override;
  Result<std::optional<Approval>> activeApproval(const std::string& deviceId) override;
  Status appendAudit(AuditRecord record) override;
  Result<std::vector<AuditRecord>> auditTail(int count) override;
  Result<std::vector<AuditRecord>> auditForDevice(const std::string& deviceId, int count) override;
  Result<std::int64_t> auditCount() override;
  Result<AuditVerifyReport> verifyAudit() override;
  Result<AuditVerifyReport> verifyAuditIncremental() override;
  Status recordVerifiedHead(std::int64_t seq, const std::string& hash) override;
  Result<AuditVerifyReport> verifyAuditHead() override;
  Status recordCheckRun(const CheckRun& run, const std::string& actor) override;
  Result<std::optional<CheckRun>> checkRunForSession(const std::string& sessionId) override;
  Result<std::optional<CheckRun>> latestCheckRunForDevice(const std::string& deviceId) override;

 private:
  // The injected error when this call is the one to fail.
  std::optional<Error> tick(const char* method);

  Store& inner_;
  std::size_t failAt_ = 0;
  std::string failMethod_;
  std::size_t failMethodFrom_ = 0;
  std::size_t methodCalls_ = 0;
  std::vector<std::string> calls_;
  std::string failed_;
};

}  // namespace pb::test
