// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"

namespace pb {

namespace {

std::vector<std::string> sortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

Policy defaultPolicy() {
  Policy p;
  p.name = "default";
  p.tenantId = "default";
  p.tenantName = "Default tenant";
  return p;  // section structs carry their secure defaults
}

std::string canonicalPolicyJson(const Policy& policy) {
  // nlohmann::json objects are std::map-backed, so keys come out sorted; dump() without an indent
  // writes no whitespace. Strings are valid UTF-8 for every parsed policy (the YAML layer checks);
  // a hand-built policy with invalid UTF-8 is a programming error and makes dump() throw.
  nlohmann::json j = {
      {"name", policy.name},
      {"tenant", {{"id", policy.tenantId}, {"name", policy.tenantName}}},
      {"enrollment",
       {{"require_pre_registration", policy.enrollment.requirePreRegistration},
        {"require_first_enrollment_approval", policy.enrollment.requireApprovalFirstEnrollment},
        {"require_re_enrollment_approval", policy.enrollment.requireApprovalReEnrollment},
        {"approval_ttl_hours", policy.enrollment.approvalTtlHours}}},
      {"identity",
       {{"bogus_serials", sortedUnique(policy.identity.extraBogusSerials)},
        {"bogus_uuids", sortedUnique(policy.identity.extraBogusUuids)}}},
      {"risk_acknowledgements", policy.riskAcknowledgements},
  };
  return j.dump();
}

std::string policyHash(const Policy& policy) {
  return toHex(sha256(canonicalPolicyJson(policy)));
}

}  // namespace pb
