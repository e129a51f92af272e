// SPDX-License-Identifier: Apache-2.0
// firmware.secure_boot and tpm.present: what the agent reads from efivarfs and sysfs before
// attestation proves anything (the verifier's TpmFacts win when they are there).
#include "checks/check_helpers.hpp"
#include "policy/evaluate.hpp"

namespace pb::checks {

CheckResult checkSecureBoot(const Policy& policy, const DeviceFacts& facts) {
  const auto id = check_id::kFirmwareSecureBoot;
  if (!facts.firmware || !facts.firmware->secureBoot) {
    return missing(id, "the device did not report its Secure Boot state");
  }
  const bool on = *facts.firmware->secureBoot;
  const std::optional<bool> setup = facts.firmware->setupMode;
  if (!policy.tpm.requireSecureBoot) {
    if (!on)
      return warn(id, reason::kFirmwareSecureBootOff, "Secure Boot is off (the policy accepts it)");
    if (setup.value_or(true)) {
      return warn(id, reason::kSecureBootSetupMode,
                  "Secure Boot may be in Setup Mode (the policy accepts it)");
    }
    return pass(id, "Secure Boot is on");
  }
  if (!on) return fail(id, reason::kFirmwareSecureBootOff, "Secure Boot is off");
  if (!setup) return missing(id, "the device did not report whether Secure Boot is in Setup Mode");
  if (*setup) {
    return fail(id, reason::kSecureBootSetupMode,
                "Secure Boot is in Setup Mode: its keys can be replaced by anyone");
  }
  return pass(id, "Secure Boot is on and not in Setup Mode");
}

CheckResult checkTpmPresent(const Policy& policy, const DeviceFacts& facts) {
  const auto id = check_id::kTpmPresent;
  const bool noTpmAllowed = policy.tpm.noTpm == NoTpmAction::Allow;
  auto absent = [&](std::string msg) {
    if (noTpmAllowed)
      return warn(id, reason::kPlatformTpmNotReady, msg + " (the policy accepts it)");
    return fail(id, reason::kPlatformTpmNotReady, std::move(msg));
  };
  if (facts.tpm) {
    const TpmFacts& t = *facts.tpm;
    if (!t.present) return absent("The device has no TPM");
    if (t.readiness.empty()) return missing(id, "the device did not report its TPM's readiness");
    if (t.readiness != "ready") {
      return fail(id, reason::kPlatformTpmNotReady, "The TPM is not ready (" + t.readiness + ")");
    }
    return pass(id, "TPM present and ready");
  }
  if (!facts.firmware || !facts.firmware->tpmPresent) {
    return missing(id, "the device did not report whether it has a TPM");
  }
  if (!*facts.firmware->tpmPresent) return absent("The device has no TPM");
  const std::string& version = facts.firmware->tpmVersion;
  if (version.empty()) return missing(id, "the device did not report its TPM version");
  if (version != "2" && version != "2.0") {
    return fail(id, reason::kPlatformTpmNotReady,
                "The TPM is version " + version + "; attestation needs TPM 2.0");
  }
  // The device's own sysfs says present; readiness is what attestation proves next.
  return pass(id, "TPM 2.0 present");
}

}  // namespace pb::checks
