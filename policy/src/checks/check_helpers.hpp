// SPDX-License-Identifier: Apache-2.0
// Internal to the evaluator: result builders and the AMT gate shared by the check files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/reasons.hpp"
#include "core/text.hpp"
#include "facts/device_facts.hpp"
#include "policy/check_result.hpp"
#include "policy/policy.hpp"

namespace pb::checks {

CheckResult pass(std::string_view id, std::string message);
// Remediation defaults to the reason catalogue's text for `code`.
CheckResult fail(std::string_view id, std::string_view code, std::string message,
                 std::string remediation = {});
CheckResult warn(std::string_view id, std::string_view code, std::string message,
                 std::string remediation = {});
CheckResult missing(std::string_view id, std::string message,
                    std::string_view code = reason::kCheckMissingData);

// "a, b, c" with at most `max` items, then "and N more": device-reported lists stay readable.
std::string joinLimited(const std::vector<std::string>& items, std::size_t max = 8);

enum class AmtSeen { Unknown, Absent, Present };
AmtSeen amtSeen(const DeviceFacts& facts);

// The amt.* checks other than amt.presence run `check` only when AMT is present; otherwise they
// report what evaluate.hpp describes.
template <class F>
CheckResult amtGated(std::string_view id, const Policy& policy, const DeviceFacts& facts,
                     F&& check) {
  switch (amtSeen(facts)) {
    case AmtSeen::Present:
      return check(*facts.amt);
    case AmtSeen::Absent:
      if (policy.amt.presence == AmtRequirement::Required) {
        return missing(id, "AMT is not present, so this setting cannot be read");
      }
      return pass(id, "AMT not present");
    case AmtSeen::Unknown:
      break;
  }
  return missing(id, "the AMT state could not be read from the device");
}

CheckResult checkAmtPresence(const Policy& policy, const DeviceFacts& facts);
CheckResult checkProvisioningState(const Policy& policy, const AmtFacts& amt);
CheckResult checkControlMode(const Policy& policy, const AmtFacts& amt);
CheckResult checkThumbprints(const Policy& policy, const AmtFacts& amt);
CheckResult checkNoSha1(const AmtFacts& amt);
CheckResult checkDnsSuffix(const Policy& policy, const AmtFacts& amt);
CheckResult checkRemoteConfiguration(const Policy& policy, const AmtFacts& amt);
CheckResult checkProvisioningServer(const Policy& policy, const AmtFacts& amt);
CheckResult checkMeFirmware(const Policy& policy, const DeviceFacts& facts, const AmtFacts& amt);
CheckResult checkRedirection(const Policy& policy, const AmtFacts& amt);
CheckResult checkSecureBoot(const Policy& policy, const DeviceFacts& facts);
CheckResult checkTpmPresent(const Policy& policy, const DeviceFacts& facts);

}  // namespace pb::checks
