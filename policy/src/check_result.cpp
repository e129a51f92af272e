// SPDX-License-Identifier: Apache-2.0
#include "policy/check_result.hpp"

#include <algorithm>

namespace pb {

std::string_view toString(CheckOutcome o) {
  switch (o) {
    case CheckOutcome::Pass:
      return "pass";
    case CheckOutcome::Warn:
      return "warn";
    case CheckOutcome::Fail:
      return "fail";
    case CheckOutcome::MissingData:
      return "missing_data";
  }
  return "missing_data";
}

bool allPassed(const CheckResults& results) {
  return std::none_of(results.begin(), results.end(), [](const CheckResult& r) {
    return r.outcome == CheckOutcome::Fail || r.outcome == CheckOutcome::MissingData;
  });
}

}  // namespace pb
