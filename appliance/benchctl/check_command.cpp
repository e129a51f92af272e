// SPDX-License-Identifier: Apache-2.0
#include "benchctl/check_command.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "benchctl/render.hpp"
#include "policy/evaluate.hpp"
#include "policy/policy.hpp"
#include "protocol/device_facts_json.hpp"

namespace pb {

CheckCommandOutput runCheckCommand(const std::string& policyPath, const std::string& factsPath,
                                   bool json, const Clock& clock) {
  CheckCommandOutput o;
  auto policy = loadPolicyFile(policyPath);
  if (!policy) {
    o.err = "benchctl: policy " + sanitizeForTerminal(policy.error().message) + "\n";
    return o;
  }
  auto facts = loadFactsFile(factsPath);
  if (!facts) {
    o.err = "benchctl: facts " + sanitizeForTerminal(facts.error().message) + "\n";
    return o;
  }
  const CheckResults results = evaluate(*policy, *facts, clock);
  const bool passed = allPassed(results);
  o.exitCode = passed ? kCheckExitPassed : kCheckExitNotPassed;

  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : results) {
    list.push_back({{"id", r.id},
                    {"outcome", toString(r.outcome)},
                    {"code", r.code},
                    {"message", r.message},
                    {"remediation", r.remediation}});
  }
  if (json) {
    nlohmann::json out{{"policy", policy->name},
                       {"policy_hash", policyHash(*policy)},
                       {"passed", passed},
                       {"results", std::move(list)}};
    o.out = out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return o;
  }
  std::vector<std::vector<std::string>> rows;
  std::string fixes;
  int counts[4] = {0, 0, 0, 0};
  for (const auto& r : results) {
    ++counts[static_cast<int>(r.outcome)];
    rows.push_back({r.id, std::string(toString(r.outcome)), r.code.empty() ? "-" : r.code,
                    sanitizeForTerminal(r.message)});
    if (r.outcome != CheckOutcome::Pass && !r.remediation.empty()) {
      fixes += "  " + r.id + ": " + sanitizeForTerminal(r.remediation) + "\n";
    }
  }
  o.out = "Policy " + sanitizeForTerminal(policy->name) + " (" + policyHash(*policy).substr(0, 12) +
          ")\n\n" + renderTable({"CHECK", "OUTCOME", "CODE", "MESSAGE"}, rows);
  if (!fixes.empty()) o.out += "\nWhat to do:\n" + fixes;
  o.out += "\n" + std::to_string(results.size()) + " checks: " + std::to_string(counts[0]) +
           " pass, " + std::to_string(counts[1]) + " warn, " + std::to_string(counts[2]) +
           " fail, " + std::to_string(counts[3]) + " missing data — " +
           (passed ? "PASSED" : "NOT PASSED") + "\n";
  return o;
}

}  // namespace pb
