// SPDX-License-Identifier: Apache-2.0
// One result per policy check. Stable check IDs ("amt.thumbprints", "tpm.quote", …) each have a
// doc under policy/checks/<id>.md. Fail closed: a result that was never filled in is not a pass.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pb {

enum class CheckOutcome { Pass, Warn, Fail, MissingData };

std::string_view toString(CheckOutcome o);

struct CheckResult {
  std::string id;
  CheckOutcome outcome = CheckOutcome::MissingData;  // not-pass until proven
  std::string code;         // PB-xxxx reason code when outcome is Fail/MissingData/Warn
  std::string message;      // one plain sentence; never contains a secret
  std::string remediation;  // what a technician or admin does about it
};

using CheckResults = std::vector<CheckResult>;

// True when no result is Fail or MissingData (Warn does not block).
bool allPassed(const CheckResults& results);

}  // namespace pb
