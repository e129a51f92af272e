// SPDX-License-Identifier: Apache-2.0
// The one catalogue of reason codes. Every non-ready state, every protocol error frame and every
// rejected admin request carries one of these codes. The codes are stable: never renumber or reuse
// one; retire it instead. appliance/REASON_CODES.md is generated from this table
// (`benchctl reasons --markdown`) and a test keeps the two in step.
#pragma once

#include <span>
#include <string_view>

namespace pb {

struct Reason {
  std::string_view code;         // "PB-1001"
  std::string_view name;         // short slug, "not_registered"
  std::string_view explanation;  // one plain sentence a technician understands
  std::string_view remediation;  // what to do about it
};

namespace reason {
// 00xx: agent protocol and transport
inline constexpr std::string_view kMalformedFrame = "PB-0001";
inline constexpr std::string_view kFrameTooLarge = "PB-0002";
inline constexpr std::string_view kUnsupportedVersion = "PB-0003";
inline constexpr std::string_view kUnknownMessage = "PB-0004";
inline constexpr std::string_view kUnexpectedMessage = "PB-0005";
inline constexpr std::string_view kTimeout = "PB-0006";
inline constexpr std::string_view kTooManySessions = "PB-0007";
inline constexpr std::string_view kTooManyFromSource = "PB-0008";
inline constexpr std::string_view kPeerClosed = "PB-0009";
inline constexpr std::string_view kShuttingDown = "PB-0010";
inline constexpr std::string_view kRateLimited = "PB-0011";
// 01xx: informational states on the way to ready
inline constexpr std::string_view kAwaitingHardwareProof = "PB-0100";
// 10xx: admission
inline constexpr std::string_view kNotRegistered = "PB-1001";
inline constexpr std::string_view kBlockListed = "PB-1002";
inline constexpr std::string_view kApprovalRequired = "PB-1003";
inline constexpr std::string_view kWindowNotOpen = "PB-1004";
inline constexpr std::string_view kWindowClosed = "PB-1005";
inline constexpr std::string_view kWrongTenant = "PB-1006";
inline constexpr std::string_view kBogusSerial = "PB-1010";
inline constexpr std::string_view kBogusUuid = "PB-1011";
inline constexpr std::string_view kSerialClaimedTwice = "PB-1012";
inline constexpr std::string_view kMissingIdentity = "PB-1013";
inline constexpr std::string_view kReEnrollment = "PB-1020";
inline constexpr std::string_view kUuidMismatch = "PB-1021";
inline constexpr std::string_view kEkMismatch = "PB-1022";
inline constexpr std::string_view kEkBoundElsewhere = "PB-1023";
inline constexpr std::string_view kSessionActive = "PB-1030";
// 20xx: firmware and AMT checks (policy/checks/<id>.md), AMT hello findings, the bench's own AMT
// provisioning certificate
inline constexpr std::string_view kAmtPresence = "PB-2001";
inline constexpr std::string_view kAmtProvisioningState = "PB-2002";
inline constexpr std::string_view kAmtControlMode = "PB-2003";
inline constexpr std::string_view kAmtForeignThumbprint = "PB-2004";
inline constexpr std::string_view kAmtSha1Hash = "PB-2005";
inline constexpr std::string_view kAmtDnsSuffix = "PB-2006";
inline constexpr std::string_view kAmtRemoteConfiguration = "PB-2007";
inline constexpr std::string_view kAmtProvisioningServer = "PB-2008";
inline constexpr std::string_view kMeFirmwareOutdated = "PB-2009";
inline constexpr std::string_view kMeFirmwareBranch = "PB-2010";
inline constexpr std::string_view kAmtRedirection = "PB-2011";
inline constexpr std::string_view kAmtInternalRootInactive = "PB-2012";
inline constexpr std::string_view kFirmwareSecureBootOff = "PB-2020";
inline constexpr std::string_view kSecureBootSetupMode = "PB-2021";
inline constexpr std::string_view kPlatformTpmNotReady = "PB-2030";
inline constexpr std::string_view kAmtHelloRemoteConfiguration = "PB-2040";
inline constexpr std::string_view kProvCertExpiring = "PB-2050";
inline constexpr std::string_view kProvCertExpiringSoon = "PB-2051";
inline constexpr std::string_view kProvCertExpired = "PB-2052";
inline constexpr std::string_view kProvCertRevoked = "PB-2053";
inline constexpr std::string_view kProvCertUnavailable = "PB-2054";
inline constexpr std::string_view kCheckMissingData = "PB-2090";
inline constexpr std::string_view kFactsMalformed = "PB-2091";
inline constexpr std::string_view kPolicyIncomplete = "PB-2092";
// 30xx: TPM attestation (appliance/attest). not_attestable: 300x; failed: the rest.
inline constexpr std::string_view kTpmAbsent = "PB-3001";
inline constexpr std::string_view kTpmNotReady = "PB-3002";
inline constexpr std::string_view kNoEkCertificate = "PB-3003";
inline constexpr std::string_view kEkUntrusted = "PB-3010";
inline constexpr std::string_view kEkCertKeyMismatch = "PB-3011";
inline constexpr std::string_view kEkNotAllowed = "PB-3012";
inline constexpr std::string_view kAkAttributes = "PB-3020";
inline constexpr std::string_view kAkNotAllowed = "PB-3021";
inline constexpr std::string_view kActivationFailed = "PB-3030";
inline constexpr std::string_view kQuoteSignature = "PB-3040";
inline constexpr std::string_view kQuoteStructure = "PB-3041";
inline constexpr std::string_view kQuoteNonce = "PB-3042";
inline constexpr std::string_view kQuotePcrSelection = "PB-3043";
inline constexpr std::string_view kQuotePcrDigest = "PB-3044";
inline constexpr std::string_view kEventLogInvalid = "PB-3050";
inline constexpr std::string_view kEventLogReplay = "PB-3051";
inline constexpr std::string_view kEventLogSha1Only = "PB-3052";
inline constexpr std::string_view kSecureBootOff = "PB-3060";
inline constexpr std::string_view kSecureBootUnknown = "PB-3061";
inline constexpr std::string_view kGoldenPcrMismatch = "PB-3070";
inline constexpr std::string_view kNotHardwareBacked = "PB-3080";
// 310x: TCG platform certificate (appliance/platcert)
inline constexpr std::string_view kPlatformCertMissing = "PB-3100";
inline constexpr std::string_view kPlatformCertMalformed = "PB-3101";
inline constexpr std::string_view kPlatformCertUntrusted = "PB-3102";
inline constexpr std::string_view kPlatformCertSignature = "PB-3103";
inline constexpr std::string_view kPlatformCertExpired = "PB-3104";
inline constexpr std::string_view kPlatformCertHolderMismatch = "PB-3105";
inline constexpr std::string_view kPlatformSerialMismatch = "PB-3106";
inline constexpr std::string_view kPlatformModelMismatch = "PB-3107";
inline constexpr std::string_view kPlatformComponentSwapped = "PB-3108";
// 90xx: appliance-side conditions
inline constexpr std::string_view kInterruptedByRestart = "PB-9001";
inline constexpr std::string_view kInternalError = "PB-9002";
// 95xx: admin interface
inline constexpr std::string_view kAdminUnauthorised = "PB-9501";
inline constexpr std::string_view kAdminBadRequest = "PB-9502";
inline constexpr std::string_view kAdminNotFound = "PB-9503";
inline constexpr std::string_view kAdminConflict = "PB-9504";
inline constexpr std::string_view kPolicyInvalid = "PB-9510";
inline constexpr std::string_view kPolicySignature = "PB-9511";
}  // namespace reason

// Every known reason, ordered by code.
std::span<const Reason> allReasons();
// nullptr for an unknown code.
const Reason* findReason(std::string_view code);

}  // namespace pb
