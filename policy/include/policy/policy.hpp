// SPDX-License-Identifier: Apache-2.0
// The typed policy: what the appliance enforces, loaded from YAML (README.md is the language
// reference). Every field defaults to the secure choice; weakening one needs an explicit
// acknowledge_risk in the same YAML mapping, and that acknowledgement is part of the policy (and of
// its hash), so the audit log shows who accepted which risk.
//
// Adding a section: a struct here with secure defaults, a member in Policy, a reader in
// policy_parser.cpp, its fields in canonicalPolicyJson() and a section in README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb {

struct EnrollmentPolicy {
  bool requirePreRegistration = true;  // secure default
  bool requireApprovalFirstEnrollment = false;
  bool requireApprovalReEnrollment = true;  // secure default
  std::uint32_t approvalTtlHours = 24;      // 1..720
};

// Added to the appliance's built-in lists of placeholder identities ("To Be Filled By O.E.M.",
// all-zero UUIDs, ...), which admission treats as no identity at all.
struct IdentityPolicy {
  std::vector<std::string> extraBogusSerials;  // sorted, unique
  std::vector<std::string> extraBogusUuids;    // lower-case 8-4-4-4-12, sorted, unique
};

struct Policy {
  std::string name;
  std::string tenantId;
  std::string tenantName;
  EnrollmentPolicy enrollment;
  IdentityPolicy identity;
  // One entry per weakened setting: "enrollment.require_re_enrollment_approval: <text>".
  std::vector<std::string> riskAcknowledgements;
};

inline constexpr std::size_t kMaxPolicyBytes = 1024 * 1024;

// The built-in policy used when no policy file is configured: secure defaults, tenant "default".
Policy defaultPolicy();

// Error.code is "policy"; Error.message lists every issue, one per line,
// "file:line:column: key.path: message". An invalid policy is rejected whole.
Result<Policy> parsePolicy(std::string_view text, const std::string& fileName);
// Reads (at most kMaxPolicyBytes, regular files only) and parses `path`.
Result<Policy> loadPolicyFile(const std::string& path);

// Stable JSON form: keys sorted, no whitespace, lists of identities sorted. Two files that mean
// the same policy give the same bytes.
std::string canonicalPolicyJson(const Policy& policy);
// Lower-case hex SHA-256 of canonicalPolicyJson(): the policy's identity in audit records.
std::string policyHash(const Policy& policy);

}  // namespace pb
