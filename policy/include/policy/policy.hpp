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
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

// A period (UTC, seconds since the epoch, start inclusive, end exclusive) in which devices may
// enrol on this bench, on top of each device's own register window.
struct EnrollmentWindow {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

// What admission does with a device whose serial is registered with another SMBIOS UUID (or,
// after attestation, another EK).
enum class IdentityMismatchAction { Quarantine, Block };

struct EnrollmentPolicy {
  bool requirePreRegistration = true;  // secure default
  bool requireApprovalFirstEnrollment = false;
  bool requireApprovalReEnrollment = true;  // secure default
  std::uint32_t approvalTtlHours = 24;      // 1..720
  std::vector<EnrollmentWindow> windows;    // empty = no bench-wide window (register windows apply)
  IdentityMismatchAction onIdentityMismatch = IdentityMismatchAction::Quarantine;
};

// Added to the appliance's built-in lists of placeholder identities ("To Be Filled By O.E.M.",
// all-zero UUIDs, ...), which admission treats as no identity at all.
struct IdentityPolicy {
  std::vector<std::string> extraBogusSerials;  // sorted, unique
  std::vector<std::string> extraBogusUuids;    // lower-case 8-4-4-4-12, sorted, unique
};

// --- Sections below are the contract between the policy loader (issue 5), the attestation
// verifier (issue 3) and the firmware/AMT checks (issue 4). Defaults are the secure choice. ---

enum class NoTpmAction { Block, Allow };  // what not_attestable devices get

// Golden PCR values for one model: pcr index -> lower-case hex digest in the policy's bank.
struct GoldenPcrs {
  std::string model;  // matched against IdentityFacts.model, exact
  std::vector<std::pair<std::uint32_t, std::string>> pcrs;
};

struct TpmPolicy {
  std::string manufacturerRootsDir;          // directory of PEM roots (required unless no TPM)
  std::string manufacturerIntermediatesDir;  // optional directory of PEM intermediates
  std::vector<std::string> allowedEkAlgorithms{"ecc_nist_p256", "rsa2048"};  // sorted
  std::vector<std::string> allowedAkAlgorithms{"ecc_nist_p256", "rsa2048"};
  std::string akAlgorithm = "ecc_nist_p256";  // what the agent is asked to create
  std::string pcrBank = "sha256";             // sha1 | sha256 | sha384
  std::vector<std::uint32_t> pcrSelection{0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<GoldenPcrs> goldenPcrs;  // per model; models not listed: no golden check
  bool requireSecureBoot = true;       // secure default
  // A device whose firmware measures the boot with SHA-1 only (SHA-1 layout event log) is
  // not_attestable (PB-3052) unless this is true (acknowledge_risk): its boot record is then
  // replayed against a quote of the SHA-1 bank.
  bool allowSha1EventLog = false;
  bool requireHardwareBackedKeys = true;    // secure default (acknowledge_risk to turn off)
  NoTpmAction noTpm = NoTpmAction::Block;   // secure default
  std::uint32_t nonceLifetimeSeconds = 60;  // 5..600
};

struct AmtThumbprint {
  std::string name;
  std::string algorithm;  // "sha256" | "sha384"
  std::string hash;       // lower-case hex
};

// Minimum ME firmware per major branch ("16" -> "16.1.30.2307").
struct MeFirmwareMinimum {
  std::uint32_t branch = 0;
  std::string minimum;  // dotted major.minor.hotfix.build
};

enum class AmtRequirement { Required, Forbidden, Optional };

// Vocabularies shared by the loader, the schema and the checks.
std::string_view toString(NoTpmAction a);
std::string_view toString(AmtRequirement r);
std::string_view toString(IdentityMismatchAction a);

struct AmtPolicy {
  AmtRequirement presence = AmtRequirement::Optional;
  std::vector<AmtThumbprint> allowedThumbprints;  // only these may be active
  // Lower-case hex SHA-256 (64) or SHA-384 (96) hashes that must never be active (vendor
  // defaults an attacker can buy a certificate under); none may also be allowed.
  std::vector<std::string> forbiddenThumbprints;
  std::vector<std::string> expectedProvisioningStates{"pre"};    // pre | in | post
  std::vector<std::string> expectedControlModes{"acm", "none"};  // none | client | acm, sorted
  std::string dnsSuffix;  // internal PKI DNS suffix; empty = check reports missing policy
  std::vector<std::string> forbiddenProvisioningServers{"ProvisionServer"};
  std::vector<std::uint16_t> forbiddenProvisioningPorts{9971};
  bool allowRemoteConfiguration = false;
  std::vector<MeFirmwareMinimum> minimumMeFirmware;
  bool allowSol = false;
  bool allowIder = false;
  bool allowKvm = false;
  std::uint16_t helloListenerPort = 0;  // 0 = off (default)
};

struct SecretRule {
  std::string name;           // "disk_recovery_key", "wifi_psk", "local_admin_password", …
  std::string kind;           // "random_bytes" | "password" | "recovery_key"
  std::uint32_t length = 32;  // bytes or characters depending on kind
  bool sealToTpm = true;      // device-bound part sealed to the TPM
  bool humanPart = false;     // delivered out of band to the owner
};

struct CredentialsPolicy {
  std::vector<SecretRule> secrets;
  std::uint32_t tokenLifetimeMinutes = 15;  // 1..1440
  std::string escrowRecipientKey;           // path to a PEM public key; empty = no escrow
  std::vector<std::string> deliveryChannels{
      "email"};  // email | print | kiosk_qr (kiosk_qr never shows secrets)
};

struct KioskPolicy {
  bool maskOwnerNames = true;  // "J. D." instead of "Jane Doe"
  bool showSerials = true;
};

struct Policy {
  std::string name;
  std::string tenantId;
  std::string tenantName;
  EnrollmentPolicy enrollment;
  IdentityPolicy identity;
  TpmPolicy tpm;
  AmtPolicy amt;
  CredentialsPolicy credentials;
  KioskPolicy kiosk;
  // One entry per weakened setting: "enrollment.require_re_enrollment_approval: <text>".
  std::vector<std::string> riskAcknowledgements;
};

inline constexpr std::size_t kMaxPolicyBytes = 1024 * 1024;

// A weakened setting of a loaded policy: what it is, what attack it re-opens (one sentence, for
// logs, the audit record, `benchctl status` and the kiosk header) and the admin's reason.
struct RiskWarning {
  std::string setting;          // "enrollment.require_pre_registration"
  std::string attack;           // one sentence
  std::string acknowledgement;  // the acknowledge_risk text of its mapping
};

// One entry per weakened setting, in key-path order. Empty for a policy with every secure default.
std::vector<RiskWarning> riskWarnings(const Policy& policy);

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
// The same document as a JSON value (keys in the file's spelling, e.g. "tpm.pcr_bank").
nlohmann::json policyToJson(const Policy& policy);
// Lower-case hex SHA-256 of canonicalPolicyJson(): the policy's identity in audit records.
std::string policyHash(const Policy& policy);

}  // namespace pb
