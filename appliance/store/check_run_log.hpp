// SPDX-License-Identifier: Apache-2.0
// Store role: the policy checks' results per session (store.hpp explains the roles). The checks
// stage writes them; `device show` and `policy load` read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace pb {

// One policy check's result as stored (policy/check_result.hpp, kept as text so the store does not
// depend on the policy library).
struct StoredCheck {
  std::string checkId;  // "amt.thumbprints"
  std::string outcome;  // "pass" | "warn" | "fail" | "missing_data"
  std::string code;
  std::string message;
  std::string remediation;
};

// All check results of one session, judged under one policy.
struct CheckRun {
  std::string sessionId;
  std::string deviceId;  // "" for an unregistered device
  std::string policyHash;
  std::int64_t recordedAt = 0;
  std::vector<StoredCheck> checks;  // in evaluation order
  std::string factsJson;            // the facts the checks were evaluated on ("" when not kept)
};

class CheckRunLog {
 public:
  virtual ~CheckRunLog() = default;

  // One transaction: the rows and one audit record "checks.recorded" (counts and the ids that did
  // not pass). A second run for the same session is PB-9504; an unknown session PB-9503.
  virtual Status recordCheckRun(const CheckRun& run, const std::string& actor) = 0;
  virtual Result<std::optional<CheckRun>> checkRunForSession(const std::string& sessionId) = 0;
  // The newest run for the device (nullopt when it was never checked).
  virtual Result<std::optional<CheckRun>> latestCheckRunForDevice(const std::string& deviceId) = 0;
};

}  // namespace pb
