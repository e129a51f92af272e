// SPDX-License-Identifier: Apache-2.0
#include "policy/evaluate.hpp"

#include <array>
#include <charconv>
#include <string>

#include "checks/check_helpers.hpp"

namespace pb {

namespace checks {

namespace {

std::string remediationFor(std::string_view code) {
  const Reason* r = findReason(code);
  return r ? std::string(r->remediation) : std::string();
}

CheckResult make(std::string_view id, CheckOutcome outcome, std::string_view code,
                 std::string message, std::string remediation) {
  CheckResult r;
  r.id = std::string(id);
  r.outcome = outcome;
  r.code = std::string(code);
  r.message = std::move(message);
  r.remediation =
      remediation.empty() && !code.empty() ? remediationFor(code) : std::move(remediation);
  return r;
}

}  // namespace

CheckResult pass(std::string_view id, std::string message) {
  return make(id, CheckOutcome::Pass, "", std::move(message), "");
}

CheckResult fail(std::string_view id, std::string_view code, std::string message,
                 std::string remediation) {
  return make(id, CheckOutcome::Fail, code, std::move(message), std::move(remediation));
}

CheckResult warn(std::string_view id, std::string_view code, std::string message,
                 std::string remediation) {
  return make(id, CheckOutcome::Warn, code, std::move(message), std::move(remediation));
}

CheckResult missing(std::string_view id, std::string message, std::string_view code) {
  // Checks say "the device did not report …"; the result reads as a sentence.
  if (!message.empty() && message.front() >= 'a' && message.front() <= 'z') {
    message.front() = static_cast<char>(message.front() - 'a' + 'A');
  }
  return make(id, CheckOutcome::MissingData, code, std::move(message), "");
}

std::string joinLimited(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max) out += " and " + std::to_string(items.size() - max) + " more";
  return out;
}

AmtSeen amtSeen(const DeviceFacts& facts) {
  if (!facts.amt) return AmtSeen::Unknown;
  switch (facts.amt->access) {
    case AmtAccess::Ok:
      return AmtSeen::Present;
    case AmtAccess::NoMeiDevice:
    case AmtAccess::NoAmtClient:
    case AmtAccess::Disabled:
      return AmtSeen::Absent;
    case AmtAccess::Busy:
    case AmtAccess::Error:
      return AmtSeen::Unknown;
  }
  return AmtSeen::Unknown;
}

}  // namespace checks

namespace {

constexpr std::array<std::string_view, 12> kCheckIds{
    check_id::kAmtPresence,
    check_id::kAmtProvisioningState,
    check_id::kAmtControlMode,
    check_id::kAmtThumbprints,
    check_id::kAmtNoSha1,
    check_id::kAmtDnsSuffix,
    check_id::kAmtRemoteConfiguration,
    check_id::kAmtProvisioningServer,
    check_id::kAmtMeFirmware,
    check_id::kAmtRedirection,
    check_id::kFirmwareSecureBoot,
    check_id::kTpmPresent,
};

}  // namespace

std::span<const std::string_view> allCheckIds() {
  return kCheckIds;
}

std::vector<std::uint32_t> parseDottedVersion(std::string_view text) {
  // sysfs fw_ver: "0:16.1.30.2307" per firmware partition, one per line; the first line is the ME.
  if (auto nl = text.find('\n'); nl != std::string_view::npos) text = text.substr(0, nl);
  if (auto colon = text.find(':'); colon != std::string_view::npos) text = text.substr(colon + 1);
  std::vector<std::uint32_t> out;
  while (true) {
    std::uint32_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr == text.data() || out.size() >= 8) return {};
    out.push_back(v);
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
    if (text.empty()) return out;
    if (text.front() != '.' || text.size() == 1) return {};
    text.remove_prefix(1);
  }
}

CheckResults evaluate(const Policy& policy, const DeviceFacts& facts, const Clock& clock) {
  (void)clock;             // see evaluate.hpp
  using namespace checks;  // NOLINT(google-build-using-namespace): the list reads as the check
                           // table
  CheckResults out;
  out.reserve(kCheckIds.size());
  out.push_back(checkAmtPresence(policy, facts));
  out.push_back(amtGated(check_id::kAmtProvisioningState, policy, facts,
                         [&](const AmtFacts& a) { return checkProvisioningState(policy, a); }));
  out.push_back(amtGated(check_id::kAmtControlMode, policy, facts,
                         [&](const AmtFacts& a) { return checkControlMode(policy, a); }));
  out.push_back(amtGated(check_id::kAmtThumbprints, policy, facts,
                         [&](const AmtFacts& a) { return checkThumbprints(policy, a); }));
  out.push_back(amtGated(check_id::kAmtNoSha1, policy, facts,
                         [&](const AmtFacts& a) { return checkNoSha1(a); }));
  out.push_back(amtGated(check_id::kAmtDnsSuffix, policy, facts,
                         [&](const AmtFacts& a) { return checkDnsSuffix(policy, a); }));
  out.push_back(amtGated(check_id::kAmtRemoteConfiguration, policy, facts,
                         [&](const AmtFacts& a) { return checkRemoteConfiguration(policy, a); }));
  out.push_back(amtGated(check_id::kAmtProvisioningServer, policy, facts,
                         [&](const AmtFacts& a) { return checkProvisioningServer(policy, a); }));
  out.push_back(amtGated(check_id::kAmtMeFirmware, policy, facts,
                         [&](const AmtFacts& a) { return checkMeFirmware(policy, facts, a); }));
  out.push_back(amtGated(check_id::kAmtRedirection, policy, facts,
                         [&](const AmtFacts& a) { return checkRedirection(policy, a); }));
  out.push_back(checkSecureBoot(policy, facts));
  out.push_back(checkTpmPresent(policy, facts));
  return out;
}

}  // namespace pb
