// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace pb {
namespace {

const std::string kHeader = "name: p\ntenant: {id: t}\n";

std::string errorsOf(const std::string& text) {
  auto r = parsePolicy(text, "policy.yaml");
  return r.ok() ? "" : r.error().message;
}

TEST(Policy, DefaultsAreSecure) {
  const Policy p = defaultPolicy();
  EXPECT_EQ(p.name, "default");
  EXPECT_EQ(p.tenantId, "default");
  EXPECT_TRUE(p.enrollment.requirePreRegistration);
  EXPECT_FALSE(p.enrollment.requireApprovalFirstEnrollment);
  EXPECT_TRUE(p.enrollment.requireApprovalReEnrollment);
  EXPECT_EQ(p.enrollment.approvalTtlHours, 24u);
  EXPECT_TRUE(p.identity.extraBogusSerials.empty());
  EXPECT_TRUE(p.identity.extraBogusUuids.empty());
  EXPECT_TRUE(p.riskAcknowledgements.empty());
}

TEST(Policy, MinimalFileGetsSecureDefaults) {
  auto r = parsePolicy(kHeader, "policy.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->name, "p");
  EXPECT_EQ(r->tenantId, "t");
  EXPECT_EQ(r->tenantName, "t");  // defaults to the id
  EXPECT_TRUE(r->enrollment.requirePreRegistration);
  EXPECT_TRUE(r->enrollment.requireApprovalReEnrollment);
  EXPECT_EQ(r->enrollment.approvalTtlHours, 24u);
}

TEST(Policy, DefaultExampleIsTheBuiltInPolicy) {
  auto r = loadPolicyFile(PB_SOURCE_DIR "/policy/examples/default.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(canonicalPolicyJson(*r), canonicalPolicyJson(defaultPolicy()));
  EXPECT_EQ(policyHash(*r), policyHash(defaultPolicy()));
}

TEST(Policy, RelaxedExampleLoadsWithAcknowledgements) {
  auto r = loadPolicyFile(PB_SOURCE_DIR "/policy/examples/lab-relaxed.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->enrollment.requirePreRegistration);
  EXPECT_FALSE(r->enrollment.requireApprovalReEnrollment);
  EXPECT_EQ(r->riskAcknowledgements.size(), 5u);
  EXPECT_EQ(r->identity.extraBogusSerials,
            (std::vector<std::string>{"0123456789", "Default string"}));
}

TEST(Policy, CanonicalJsonIsSortedWithoutWhitespace) {
  const std::string j = canonicalPolicyJson(defaultPolicy());
  EXPECT_EQ(j.find_first_of("\n"), std::string::npos) << j;
  EXPECT_EQ(j.find(": "), std::string::npos) << j;
  EXPECT_EQ(j.rfind(R"({"amt":{)", 0), 0u) << j;  // "amt" sorts first
  EXPECT_NE(j.find(R"("enrollment":{"approval_ttl_hours":24,"on_identity_mismatch":"quarantine",)"
                   R"("require_first_enrollment_approval":false,"require_pre_registration":true,)"
                   R"("require_re_enrollment_approval":true,"windows":[]})"),
            std::string::npos)
      << j;
  EXPECT_EQ(policyHash(defaultPolicy()).size(), 64u);
}

TEST(Policy, FullPolicyParses) {
  auto r = parsePolicy(
      "name: lab.v2\n"
      "tenant:\n  id: acme\n  name: \"ACME Corp\"\n"
      "enrollment:\n"
      "  require_pre_registration: true\n"
      "  require_first_enrollment_approval: true\n"
      "  require_re_enrollment_approval: true\n"
      "  approval_ttl_hours: 720\n"
      "identity:\n"
      "  bogus_serials: [\"SN 0\", ABC]\n"
      "  bogus_uuids: [FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF]\n",
      "policy.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tenantName, "ACME Corp");
  EXPECT_TRUE(r->enrollment.requireApprovalFirstEnrollment);
  EXPECT_EQ(r->enrollment.approvalTtlHours, 720u);
  EXPECT_EQ(r->identity.extraBogusSerials, (std::vector<std::string>{"ABC", "SN 0"}));
  EXPECT_EQ(r->identity.extraBogusUuids,
            (std::vector<std::string>{"ffffffff-ffff-ffff-ffff-ffffffffffff"}));
}

TEST(Policy, HashStableAcrossSpellings) {
  auto a = parsePolicy(
      "name: p\ntenant: {id: t, name: T}\n"
      "enrollment: {require_first_enrollment_approval: TRUE, approval_ttl_hours: 12}\n"
      "identity: {bogus_uuids: [AAAAAAAA-0000-0000-0000-000000000000], bogus_serials: [b, a]}\n",
      "a.yaml");
  auto b = parsePolicy(
      "# the same policy, written differently\n"
      "identity:\n"
      "  bogus_serials:\n    - a\n    - \"b\"\n"
      "  bogus_uuids:\n    - aaaaaaaa-0000-0000-0000-000000000000\n"
      "enrollment:\n"
      "  approval_ttl_hours: 12\n"
      "  require_pre_registration: true\n"
      "  require_first_enrollment_approval: true\n"
      "tenant:\n  name: 'T'\n  id: t\n"
      "name: \"p\"\n",
      "b.yaml");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(canonicalPolicyJson(*a), canonicalPolicyJson(*b));
  EXPECT_EQ(policyHash(*a), policyHash(*b));
}

TEST(Policy, HashChangesWithAnyValue) {
  const std::string base = policyHash(defaultPolicy());
  Policy p = defaultPolicy();
  p.enrollment.approvalTtlHours = 25;
  EXPECT_NE(policyHash(p), base);
  p = defaultPolicy();
  p.enrollment.requireApprovalFirstEnrollment = true;
  EXPECT_NE(policyHash(p), base);
  p = defaultPolicy();
  p.identity.extraBogusSerials = {"X"};
  EXPECT_NE(policyHash(p), base);
  p = defaultPolicy();
  p.tenantName = "Other";
  EXPECT_NE(policyHash(p), base);
  p = defaultPolicy();
  p.riskAcknowledgements = {"enrollment.require_pre_registration: x"};
  EXPECT_NE(policyHash(p), base);
}

TEST(Policy, WeakeningWithoutAcknowledgementIsRejected) {
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  require_pre_registration: false\n"),
            "policy.yaml:4:29: enrollment.require_pre_registration: false weakens a secure "
            "default; add acknowledge_risk: \"<why>\" to enrollment to accept the risk");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  require_re_enrollment_approval: false\n"),
            "policy.yaml:4:35: enrollment.require_re_enrollment_approval: false weakens a secure "
            "default; add acknowledge_risk: \"<why>\" to enrollment to accept the risk");
}

TEST(Policy, AcknowledgedWeakeningIsAcceptedAndRecorded) {
  auto r = parsePolicy(kHeader +
                           "enrollment:\n"
                           "  require_re_enrollment_approval: false\n"
                           "  acknowledge_risk: \"bench re-images devices every night\"\n",
                       "policy.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->enrollment.requireApprovalReEnrollment);
  EXPECT_TRUE(r->enrollment.requirePreRegistration);
  EXPECT_EQ(r->riskAcknowledgements,
            (std::vector<std::string>{
                "enrollment.require_re_enrollment_approval: bench re-images devices every night"}));
}

TEST(Policy, AcknowledgementMustBeMeaningfulAndInTheSameMapping) {
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  require_pre_registration: false\n"
                               "  acknowledge_risk: \"   \"\n"),
            "policy.yaml:5:21: enrollment.acknowledge_risk: must say why the risk is accepted, "
            "not be blank");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  require_pre_registration: false\n"
                               "  acknowledge_risk: \"\"\n"),
            "policy.yaml:5:21: enrollment.acknowledge_risk: must not be empty");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  approval_ttl_hours: 2\n  acknowledge_risk: why\n"),
            "policy.yaml:5:21: enrollment.acknowledge_risk: nothing in enrollment weakens a secure "
            "default; remove acknowledge_risk");
  // At the top level it is not the same mapping: unknown there.
  EXPECT_EQ(errorsOf(kHeader + "acknowledge_risk: why\nenrollment:\n"
                               "  require_pre_registration: false\n"),
            "policy.yaml:3:1: acknowledge_risk: unknown key\n"
            "policy.yaml:5:29: enrollment.require_pre_registration: false weakens a secure "
            "default; add acknowledge_risk: \"<why>\" to enrollment to accept the risk");
}

TEST(Policy, ErrorsWithPositions) {
  EXPECT_EQ(errorsOf(kHeader + "enrolment:\n  approval_ttl_hours: 1\n"),
            "policy.yaml:3:1: enrolment: unknown key (did you mean 'enrollment'?)");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  aproval_ttl_hours: 1\n"),
            "policy.yaml:4:3: enrollment.aproval_ttl_hours: unknown key (did you mean "
            "'approval_ttl_hours'?)");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  approval_ttl_hours: 721\n"),
            "policy.yaml:4:23: enrollment.approval_ttl_hours: must be in 1..720, got '721'");
  EXPECT_EQ(errorsOf(kHeader + "enrollment:\n  require_pre_registration: no\n"),
            "policy.yaml:4:29: enrollment.require_pre_registration: expected true or false, got "
            "'no'");
  EXPECT_EQ(errorsOf("tenant: {id: t}\n"), "policy.yaml:1:1: name: required key is missing");
  EXPECT_EQ(errorsOf("name: p\n"), "policy.yaml:1:1: tenant: required key is missing");
  EXPECT_EQ(errorsOf("name: p\ntenant: {name: x}\n"),
            "policy.yaml:2:9: tenant.id: required key is missing");
  EXPECT_EQ(errorsOf("name: \"bad name\"\ntenant: {id: T}\n"),
            "policy.yaml:1:7: name: expected [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got 'bad name'\n"
            "policy.yaml:2:14: tenant.id: expected [a-z0-9][a-z0-9-]{0,31}, got 'T'");
  EXPECT_EQ(errorsOf(kHeader + "name: q\n"),
            "policy.yaml:3:1: duplicate key 'name' (first at line 1, column 1)");
  EXPECT_EQ(errorsOf(kHeader + "enrollment: [\n"),
            "policy.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST(Policy, IdentityListErrors) {
  EXPECT_EQ(errorsOf(kHeader + "identity:\n  bogus_uuids: [not-a-uuid]\n"),
            "policy.yaml:4:17: identity.bogus_uuids[0]: expected a UUID (8-4-4-4-12 hex digits), "
            "got 'not-a-uuid'");
  EXPECT_EQ(errorsOf(kHeader + "identity:\n  bogus_uuids:\n"
                               "    - 00000000-0000-0000-0000-00000000000A\n"
                               "    - 00000000-0000-0000-0000-00000000000a\n"),
            "policy.yaml:6:7: identity.bogus_uuids[1]: duplicate of the item at line 5, column 7");
  EXPECT_EQ(errorsOf(kHeader + "identity:\n  bogus_serials: [\" x\", [y], \"\"]\n"),
            "policy.yaml:4:19: identity.bogus_serials[0]: must not start or end with a space, got "
            "' x'\n"
            "policy.yaml:4:25: identity.bogus_serials[1]: expected a string, got a sequence\n"
            "policy.yaml:4:30: identity.bogus_serials[2]: must not be empty");
  std::string many = kHeader + "identity:\n  bogus_serials:\n";
  for (int i = 0; i < 1025; ++i) many += "    - s" + std::to_string(i) + "\n";
  EXPECT_EQ(errorsOf(many), "policy.yaml:5:5: identity.bogus_serials: more than 1024 items");
}

TEST(Policy, AllErrorsReportedInOneRun) {
  const std::string out = errorsOf(
      "name: p\n"
      "tenant: {id: t, nmae: x}\n"
      "enrollment:\n"
      "  require_pre_registration: false\n"
      "  approval_ttl_hours: 0\n"
      "identity:\n"
      "  bogus_uuids: [x]\n"
      "extra: 1\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n') + 1, 5) << out;
}

TEST(Policy, ErrorCodeIsPolicy) {
  auto r = parsePolicy("", "policy.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "policy");
  EXPECT_EQ(r.error().message, "policy.yaml:1:1: expected a mapping, got null");
}

class PolicyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-policy-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PolicyFile, LoadRejectsMissingDirectoryAndOversizeFiles) {
  EXPECT_EQ(loadPolicyFile(dir_ + "/missing.yaml").error().code, "io");
  EXPECT_FALSE(loadPolicyFile(dir_).ok());
  const std::string big = dir_ + "/big.yaml";
  std::ofstream(big) << std::string(kMaxPolicyBytes + 1, '#');
  auto r = loadPolicyFile(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "too_large");
}

TEST_F(PolicyFile, ErrorsNameTheFile) {
  const std::string path = dir_ + "/p.yaml";
  std::ofstream(path) << "name: p\n";
  auto r = loadPolicyFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, path + ":1:1: tenant: required key is missing");
}

}  // namespace
}  // namespace pb
