// SPDX-License-Identifier: Apache-2.0
#include "admission/admission.hpp"

#include <gtest/gtest.h>

#include "core/reasons.hpp"

namespace pb {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kUuid = "4c4c4544-0042-3510-8057-b7c04f595032";

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() {
    rules_.tenantId = "acme";
    in_.now = kNow;
    in_.facts.serial = "PF3ABC12";
    in_.facts.smbiosUuid = "4C4C4544-0042-3510-8057-B7C04F595032";  // firmware prints upper case
    DeviceRecord d;
    d.id = "dev-000001";
    d.registry.serial = "PF3ABC12";
    d.registry.smbiosUuid = kUuid;
    d.registry.tenant = "acme";
    d.registry.windowFrom = kNow - 3600;
    d.registry.windowUntil = kNow + 3600;
    in_.device = d;
  }
  AdmissionDecision decide() const { return decideAdmission(in_, rules_); }
  Approval approval(std::string_view answers) const {
    Approval a;
    a.id = 7;
    a.deviceId = "dev-000001";
    a.serial = "PF3ABC12";
    a.smbiosUuid = kUuid;
    a.answersCode = std::string(answers);
    a.expiresAt = kNow + 60;
    return a;
  }

  AdmissionRules rules_;
  AdmissionInput in_;
};

TEST_F(AdmissionTest, RegisteredDeviceInWindowIsIdentifiedNeverAdmitted) {
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Identified);
  EXPECT_EQ(d.code, reason::kAwaitingHardwareProof);
  EXPECT_TRUE(d.touchesDevice);
  EXPECT_EQ(d.consumeApprovalId, 0);
}

TEST_F(AdmissionTest, UnregisteredIsBlocked) {
  in_.device.reset();
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Blocked);
  EXPECT_EQ(d.code, reason::kNotRegistered);
  EXPECT_FALSE(d.touchesDevice);
}

TEST_F(AdmissionTest, UnregisteredIdentifiedOnlyWhenPolicyWaivesPreRegistration) {
  in_.device.reset();
  rules_.requirePreRegistration = false;
  EXPECT_EQ(decide().state, DeviceState::Identified);
  EXPECT_FALSE(decide().touchesDevice);
}

TEST_F(AdmissionTest, BlockListed) {
  in_.device->blocked = true;
  EXPECT_EQ(decide().code, reason::kBlockListed);
  EXPECT_EQ(decide().state, DeviceState::Blocked);
}

TEST_F(AdmissionTest, WrongTenant) {
  in_.device->registry.tenant = "other";
  EXPECT_EQ(decide().code, reason::kWrongTenant);
}

TEST_F(AdmissionTest, WindowBoundaries) {
  in_.now = in_.device->registry.windowFrom - 1;
  EXPECT_EQ(decide().code, reason::kWindowNotOpen);
  in_.now = in_.device->registry.windowFrom;
  EXPECT_EQ(decide().state, DeviceState::Identified);
  in_.now = in_.device->registry.windowUntil - 1;
  EXPECT_EQ(decide().state, DeviceState::Identified);
  in_.now = in_.device->registry.windowUntil;
  EXPECT_EQ(decide().code, reason::kWindowClosed);
}

TEST_F(AdmissionTest, BogusSerials) {
  for (const char* s : {"", "   ", "To Be Filled By O.E.M.", "Default string", "0123456789"}) {
    in_.facts.serial = s;
    EXPECT_EQ(decide().code, reason::kBogusSerial) << '"' << s << '"';
    EXPECT_FALSE(decide().touchesDevice);
  }
}

TEST_F(AdmissionTest, BogusUuids) {
  for (const char* u : {"", "00000000-0000-0000-0000-000000000000",
                        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "not-a-uuid"}) {
    in_.facts.smbiosUuid = u;
    EXPECT_EQ(decide().code, reason::kBogusUuid) << u;
  }
}

TEST_F(AdmissionTest, PolicyExtendsBogusLists) {
  rules_.extraBogusSerials = {"pf3abc12"};
  EXPECT_EQ(decide().code, reason::kBogusSerial);
  rules_.extraBogusSerials.clear();
  rules_.extraBogusUuids = {kUuid};
  EXPECT_EQ(decide().code, reason::kBogusUuid);
}

TEST_F(AdmissionTest, SerialClaimedTwiceBlocksEvenARegisteredDevice) {
  in_.serialClaimedByOtherSession = true;
  EXPECT_EQ(decide().code, reason::kSerialClaimedTwice);
  EXPECT_EQ(decide().state, DeviceState::Blocked);
}

TEST_F(AdmissionTest, DuplicateSessionFailsRetryableWithoutTouchingDevice) {
  in_.deviceHasLiveSession = true;
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Failed);
  EXPECT_EQ(d.code, reason::kSessionActive);
  EXPECT_TRUE(d.retryable);
  EXPECT_FALSE(d.touchesDevice);
}

TEST_F(AdmissionTest, UuidMismatchQuarantinesSpoofedSerial) {
  in_.facts.smbiosUuid = "11111111-2222-3333-4444-555555555555";
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Quarantined);
  EXPECT_EQ(d.code, reason::kUuidMismatch);
}

TEST_F(AdmissionTest, ApprovedUuidMismatchAdoptsTheNewUuidAndConsumesApproval) {
  const std::string swapped = "11111111-2222-3333-4444-555555555555";
  in_.facts.smbiosUuid = swapped;
  Approval a = approval(reason::kUuidMismatch);
  a.smbiosUuid = swapped;
  in_.approval = a;
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Identified);
  EXPECT_EQ(d.consumeApprovalId, 7);
  EXPECT_EQ(d.adoptSmbiosUuid, swapped);
}

TEST_F(AdmissionTest, ApprovalBoundToAnotherUuidDoesNotApproveMismatch) {
  in_.facts.smbiosUuid = "11111111-2222-3333-4444-555555555555";
  in_.approval = approval(reason::kUuidMismatch);  // bound to the registered UUID
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
}

TEST_F(AdmissionTest, ReEnrollmentQuarantinedUntilApproved) {
  in_.device->enrolledAt = kNow - 86400;
  EXPECT_EQ(decide().code, reason::kReEnrollment);
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
  in_.approval = approval(reason::kReEnrollment);
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Identified);
  EXPECT_EQ(d.consumeApprovalId, 7);
}

TEST_F(AdmissionTest, ExpiredOrConsumedOrOtherCodeApprovalIsIgnored) {
  in_.device->enrolledAt = kNow - 86400;
  Approval a = approval(reason::kReEnrollment);
  a.expiresAt = kNow;
  in_.approval = a;
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
  a = approval(reason::kReEnrollment);
  a.consumedAt = kNow - 1;
  in_.approval = a;
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
  in_.approval = approval(reason::kApprovalRequired);
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
  a = approval(reason::kReEnrollment);
  a.serial = "OTHER";
  in_.approval = a;
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
}

TEST_F(AdmissionTest, ReEnrollmentWithoutApprovalOnlyWhenPolicyWaivesIt) {
  in_.device->enrolledAt = kNow - 86400;
  rules_.requireApprovalReEnrollment = false;
  EXPECT_EQ(decide().state, DeviceState::Identified);
}

TEST_F(AdmissionTest, FirstEnrollmentApprovalWhenPolicyRequiresIt) {
  rules_.requireApprovalFirstEnrollment = true;
  EXPECT_EQ(decide().code, reason::kApprovalRequired);
  EXPECT_EQ(decide().state, DeviceState::Blocked);
  in_.approval = approval(reason::kApprovalRequired);
  EXPECT_EQ(decide().state, DeviceState::Identified);
}

TEST_F(AdmissionTest, BlockWinsOverApproval) {
  in_.device->blocked = true;
  in_.device->enrolledAt = kNow - 86400;
  in_.approval = approval(reason::kReEnrollment);
  EXPECT_EQ(decide().code, reason::kBlockListed);
}

TEST_F(AdmissionTest, PolicyWindowsRestrictEnrollmentOnTopOfTheRegister) {
  rules_.windows = {{kNow + 60, kNow + 120}};
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Blocked);
  EXPECT_EQ(d.code, reason::kWindowNotOpen);
  rules_.windows = {{kNow - 120, kNow - 60}};
  EXPECT_EQ(decide().code, reason::kWindowClosed);
  rules_.windows = {{kNow - 120, kNow - 60}, {kNow, kNow + 1}};  // start inclusive
  EXPECT_EQ(decide().state, DeviceState::Identified);
  rules_.windows = {{kNow - 60, kNow}};  // end exclusive
  EXPECT_EQ(decide().code, reason::kWindowClosed);
}

TEST_F(AdmissionTest, PolicyCanBlockIdentityMismatchInsteadOfQuarantine) {
  in_.facts.smbiosUuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
  EXPECT_EQ(decide().state, DeviceState::Quarantined);
  rules_.blockIdentityMismatch = true;
  in_.approval = approval(reason::kUuidMismatch);
  in_.approval->smbiosUuid = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
  auto d = decide();
  EXPECT_EQ(d.state, DeviceState::Blocked);  // no approval can override a block
  EXPECT_EQ(d.code, reason::kUuidMismatch);
  EXPECT_EQ(d.consumeApprovalId, 0);
}

}  // namespace
}  // namespace pb
