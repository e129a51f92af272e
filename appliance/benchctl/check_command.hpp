// SPDX-License-Identifier: Apache-2.0
// `benchctl check --policy FILE --facts FILE [--json]`: the offline evaluator. Loads a policy and a
// recorded facts file, runs the same evaluate() benchd runs, and prints one row per check.
#pragma once

#include <string>

#include "core/clock.hpp"

namespace pb {

inline constexpr int kCheckExitPassed = 0;
inline constexpr int kCheckExitNotPassed = 1;
inline constexpr int kCheckExitInvalidInput = 4;

struct CheckCommandOutput {
  int exitCode = kCheckExitInvalidInput;
  std::string out;  // stdout
  std::string err;  // stderr
};

CheckCommandOutput runCheckCommand(const std::string& policyPath, const std::string& factsPath,
                                   bool json, const Clock& clock);

}  // namespace pb
