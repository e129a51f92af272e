// SPDX-License-Identifier: Apache-2.0
#include "core/reasons.hpp"

#include <array>

namespace pb {

namespace {
using namespace reason;  // NOLINT(google-build-using-namespace): table reads better with short
                         // names

constexpr std::array kReasons{
    Reason{kMalformedFrame, "malformed_frame",
           "The device agent sent a message the appliance could not parse.",
           "Update bench-agent on the device to the version shipped with this appliance."},
    Reason{kFrameTooLarge, "frame_too_large",
           "The device agent sent a message larger than the configured limit.",
           "Update bench-agent; if the limit is too small for real traffic raise "
           "limits.max_frame_bytes in bench.yaml."},
    Reason{kUnsupportedVersion, "unsupported_version",
           "The device agent speaks a protocol version this appliance does not.",
           "Boot the device from the bench image that matches this appliance release."},
    Reason{kUnknownMessage, "unknown_message",
           "The device agent sent a message type this appliance does not know.",
           "Update bench-agent on the device to the version shipped with this appliance."},
    Reason{kUnexpectedMessage, "unexpected_message",
           "The device agent sent a message that does not fit the current step.",
           "Restart the agent on the device; if it repeats, collect the agent log for support."},
    Reason{kTimeout, "timeout", "The device stopped answering within the time limit.",
           "Check the cable or network link of the slot and restart the agent on the device."},
    Reason{kTooManySessions, "too_many_sessions",
           "The bench is handling its maximum number of devices.",
           "Wait for devices to finish, then reconnect; raise limits.max_sessions if the bench is "
           "sized for more."},
    Reason{kTooManyFromSource, "too_many_from_source",
           "Too many connections come from the same network address.",
           "Check the slot for a misbehaving device or a loop in the bench network."},
    Reason{kPeerClosed, "peer_closed", "The device closed the connection before the step finished.",
           "Reconnect the device; the agent retries by itself after an appliance restart."},
    Reason{kShuttingDown, "shutting_down", "The appliance is shutting down.",
           "Wait for the appliance to restart; agents reconnect by themselves."},
    Reason{kRateLimited, "rate_limited",
           "Too many devices that are not in the asset register connected from this network "
           "address.",
           "Remove the unregistered devices from the slot, or import them into the register; the "
           "address may connect again after a short pause."},
    Reason{kAwaitingHardwareProof, "awaiting_hardware_proof",
           "The device is pre-registered and identified; it is not admitted until its TPM proves "
           "its identity.",
           "Nothing to fix: the attestation stage completes admission once it is enabled on this "
           "bench."},
    Reason{kNotRegistered, "not_registered", "The device is not in the asset register.",
           "Import the device into the register (benchctl registry import) if it belongs here; "
           "otherwise remove it from the bench."},
    Reason{kBlockListed, "block_listed", "The device is on the block list.",
           "Ask an admin why it was blocked; `benchctl unblock ID --reason ...` lifts the block."},
    Reason{kApprovalRequired, "approval_required",
           "Policy requires an admin approval before this device may enroll.",
           "An admin approves it with `benchctl approve ID --reason ...`; then reconnect the "
           "device."},
    Reason{kWindowNotOpen, "window_not_open", "The device's enrollment window has not opened yet.",
           "Wait for the window to open or have an admin re-import the device with a new window."},
    Reason{kWindowClosed, "window_closed", "The device's enrollment window has closed.",
           "Have an admin re-import the device with a new enrollment window."},
    Reason{kWrongTenant, "wrong_tenant",
           "The device is registered to a different tenant than this bench serves.",
           "Move the device to the bench of its tenant, or correct the register entry."},
    Reason{kBogusSerial, "bogus_serial",
           "The device reports a placeholder or empty serial number that cannot identify it.",
           "Have the vendor or service centre program a real serial number into the firmware."},
    Reason{kBogusUuid, "bogus_uuid",
           "The device reports a placeholder SMBIOS UUID (all zeros, all F or a known default).",
           "Have the vendor or service centre program a real system UUID into the firmware."},
    Reason{kSerialClaimedTwice, "serial_claimed_twice",
           "Two devices on the bench claim the same serial number at the same time.",
           "Remove both devices and investigate: one of them is spoofing its identity."},
    Reason{kMissingIdentity, "missing_identity",
           "The device did not report the identity facts admission needs.",
           "Check that the agent can read /sys/class/dmi/id on the device (run it as root)."},
    Reason{kReEnrollment, "re_enrollment",
           "The device was enrolled before; re-enrollment needs an admin approval.",
           "Confirm why the device is back, then `benchctl approve ID --reason ...` and reconnect "
           "it."},
    Reason{kUuidMismatch, "identity_mismatch_uuid",
           "The serial number matches a registered device but the SMBIOS UUID differs (spoofing "
           "or a mainboard swap).",
           "Verify the hardware; after a genuine mainboard swap, correct the register entry and "
           "approve."},
    Reason{kEkMismatch, "identity_mismatch_ek",
           "The device's TPM endorsement key differs from the registered one (spoofing or a TPM / "
           "mainboard swap).",
           "Verify the hardware; after a genuine swap, correct the register entry and approve."},
    Reason{kEkBoundElsewhere, "ek_bound_elsewhere",
           "The device's TPM endorsement key already identifies another device: a cloned or "
           "relayed TPM.",
           "Keep the device off the bench and inspect the TPM of both devices (the audit record "
           "names the other one); the key stays with the device that proved it first."},
    Reason{kSessionActive, "session_active",
           "The same device already has a session in progress on the bench.",
           "Disconnect the duplicate; the first session continues."},
    Reason{kAmtPresence, "amt_presence",
           "The device's Intel AMT presence does not match what the policy requires.",
           "Enable or disable AMT in the firmware setup (MEBx) as the policy asks, or use a device "
           "model that matches the policy."},
    Reason{kAmtProvisioningState, "amt_provisioning_state",
           "Intel AMT is in a provisioning state the policy does not expect (for example already "
           "configured by someone else, or stuck half-way).",
           "Unprovision AMT (full unprovision in MEBx) and reconnect the device."},
    Reason{kAmtControlMode, "amt_control_mode",
           "Intel AMT runs in a control mode the policy does not allow.",
           "Unprovision AMT in MEBx and reconnect; the bench activates it in the allowed mode."},
    Reason{
        kAmtForeignThumbprint, "amt_foreign_thumbprint",
        "Intel AMT trusts provisioning certificates from roots the policy does not allow "
        "(default external CA hashes are active).",
        "Reflash with the organisation's custom firmware image (external CA hashes disabled), or "
        "deactivate them in MEBx > Manage Hashes."},
    Reason{kAmtSha1Hash, "amt_sha1_hash", "Intel AMT has an active SHA-1 trusted-root hash.",
           "Deactivate or delete the SHA-1 entry in MEBx > Manage Hashes (ME 16 and later refuse "
           "SHA-1 roots anyway)."},
    Reason{kAmtDnsSuffix, "amt_dns_suffix",
           "Intel AMT's PKI DNS suffix is not the organisation's internal suffix.",
           "Set the PKI DNS suffix in MEBx (Remote Setup and Configuration > TLS PKI) to the "
           "internal suffix."},
    Reason{kAmtRemoteConfiguration, "amt_remote_configuration",
           "Intel AMT remote configuration is enabled: it announces itself to any provisioning "
           "server on the network.",
           "Disable Remote Configuration in MEBx (TLS PKI > Remote Configuration) or reflash with "
           "the custom firmware image."},
    Reason{kAmtProvisioningServer, "amt_provisioning_server",
           "Intel AMT would look for the default provisioning server name or port, which a rogue "
           "server can answer.",
           "Set a custom provisioning server address and port in MEBx, or disable remote "
           "configuration."},
    Reason{kMeFirmwareOutdated, "me_firmware_outdated",
           "The Intel ME firmware is older than the policy's minimum for its branch.",
           "Update the ME firmware with the vendor's current firmware package, then reconnect."},
    Reason{kMeFirmwareBranch, "me_firmware_branch",
           "The policy names no minimum ME firmware for this device's firmware branch.",
           "Add a minimum for this branch to the policy (amt.minimum_me_firmware) after checking "
           "the vendor's advisories."},
    Reason{kAmtRedirection, "amt_redirection",
           "An AMT redirection feature (serial-over-LAN, IDE-R or KVM) is enabled that the policy "
           "does not allow.",
           "Disable the feature in MEBx (or have the bench disable it when provisioning)."},
    Reason{kAmtInternalRootInactive, "amt_internal_root_inactive",
           "None of the organisation's own trusted-root hashes is active in Intel AMT.",
           "Add the internal CA root hash in MEBx or with the custom firmware image; in-band "
           "admin-control activation needs it."},
    Reason{kFirmwareSecureBootOff, "secure_boot_off", "UEFI Secure Boot is off.",
           "Turn Secure Boot on in the firmware setup and reconnect the device."},
    Reason{kSecureBootSetupMode, "secure_boot_setup_mode",
           "UEFI Secure Boot is in Setup Mode: anyone can enrol keys.",
           "Restore the factory Secure Boot keys in the firmware setup and reconnect the device."},
    Reason{kPlatformTpmNotReady, "tpm_not_ready",
           "The device has no TPM or its TPM is not ready for use.",
           "Enable the TPM in the firmware setup (clear it if it is in lockout) and reconnect."},
    Reason{kAmtHelloRemoteConfiguration, "amt_hello_remote_configuration",
           "A device sent an Intel AMT hello packet: its remote configuration is enabled.",
           "Disable remote configuration on that device (MEBx) before provisioning it; the bench "
           "never provisions from a hello."},
    Reason{kProvCertExpiring, "provisioning_certificate_expiring",
           "The bench's AMT provisioning certificate expires within 40 days.",
           "Order a new provisioning certificate from the internal CA and install it (bench.yaml "
           "amt_provisioning.certificate)."},
    Reason{kProvCertExpiringSoon, "provisioning_certificate_expiring_soon",
           "The bench's AMT provisioning certificate expires within 15 days.",
           "Install a renewed provisioning certificate now; AMT provisioning stops when it "
           "expires."},
    Reason{kProvCertExpired, "provisioning_certificate_expired",
           "The bench's AMT provisioning certificate has expired (or is not yet valid); it is not "
           "used.",
           "Install a current provisioning certificate from the internal CA and restart benchd."},
    Reason{kProvCertRevoked, "provisioning_certificate_revoked",
           "The bench's AMT provisioning certificate is listed in the configured CRL; it is not "
           "used.",
           "Install a new provisioning certificate from the internal CA and restart benchd."},
    Reason{kProvCertUnavailable, "provisioning_certificate_unavailable",
           "The bench's AMT provisioning certificate or its CRL cannot be read or parsed; it is "
           "not used.",
           "Check the paths under amt_provisioning in bench.yaml and the files' contents."},
    Reason{kCheckMissingData, "check_missing_data",
           "The device did not report a fact a policy check needs, so the check cannot pass.",
           "Run the agent as root on the bench image; the check's message names the missing "
           "fact."},
    Reason{kFactsMalformed, "facts_malformed", "The device's facts report could not be parsed.",
           "Update bench-agent on the device to the version shipped with this appliance."},
    Reason{kPolicyIncomplete, "policy_incomplete",
           "The policy lacks a setting a check needs (for example the internal DNS suffix).",
           "Complete the policy (see policy/checks/<check id>.md) and load it again."},
    Reason{kTpmAbsent, "tpm_absent",
           "The device has no TPM the agent can use, so it cannot be attested.",
           "Enable the TPM (PTT / fTPM / discrete TPM) in firmware setup, or provision the device "
           "under a policy that allows devices without a TPM."},
    Reason{kTpmNotReady, "tpm_not_ready",
           "The TPM is disabled, not ready for use or in dictionary-attack lockout.",
           "Enable and clear the TPM in firmware setup, then reconnect the device."},
    Reason{kNoEkCertificate, "no_ek_certificate",
           "The TPM has no endorsement key certificate and its EK is not pre-registered.",
           "Register the device's EK hash in the asset register, or get the EK certificate from "
           "the TPM vendor and install it in the TPM's NV storage."},
    Reason{kEkUntrusted, "ek_untrusted",
           "The TPM's endorsement key certificate does not chain to a trusted TPM manufacturer "
           "root.",
           "Add the manufacturer's root and intermediate certificates to the policy's TPM roots if "
           "the vendor is genuine; otherwise treat the device as counterfeit."},
    Reason{kEkCertKeyMismatch, "ek_cert_key_mismatch",
           "The endorsement key the TPM uses is not the key in its certificate.",
           "Treat the device as tampered with; remove it from the bench and investigate."},
    Reason{kEkNotAllowed, "ek_not_allowed",
           "The TPM's endorsement key type is not allowed by policy or is malformed.",
           "Allow the EK algorithm in the TPM policy if it is acceptable, or update the agent."},
    Reason{kAkAttributes, "ak_attributes",
           "The attestation key is not a restricted, TPM-bound signing key.",
           "Update bench-agent: it must create the AK under the EK with the TCG AK template."},
    Reason{kAkNotAllowed, "ak_not_allowed",
           "The attestation key algorithm or size is not allowed by policy.",
           "Set tpm.ak_algorithm to an allowed algorithm or update bench-agent."},
    Reason{kActivationFailed, "activation_failed",
           "The TPM could not prove that the attestation key lives next to the trusted endorsement "
           "key.",
           "Reconnect the device; if it repeats, treat the TPM as untrustworthy and investigate."},
    Reason{kQuoteSignature, "quote_signature",
           "The TPM quote is not signed by the verified attestation key with its own scheme.",
           "Reconnect the device; if it repeats, treat the device as tampered with."},
    Reason{kQuoteStructure, "quote_structure",
           "The signed quote is not a TPM-generated PCR quote (bad magic, wrong type or trailing "
           "data).",
           "Treat the device as tampered with; collect the agent log for investigation."},
    Reason{kQuoteNonce, "quote_nonce",
           "The quote does not carry the fresh challenge the appliance issued (stale, reused or "
           "wrong).",
           "Reconnect the device; a replayed quote means the device is tampered with."},
    Reason{kQuotePcrSelection, "quote_pcr_selection",
           "The quote covers different PCRs than the appliance asked for.",
           "Check that the TPM has the PCR bank the policy asks for enabled (firmware setup), then "
           "reconnect."},
    Reason{kQuotePcrDigest, "quote_pcr_digest",
           "The PCR values the device reported do not match the signed quote.",
           "Reconnect the device; if it repeats, treat the device as tampered with."},
    Reason{kEventLogInvalid, "event_log_invalid",
           "The measured-boot event log is missing or malformed.",
           "Check that the device boots in UEFI mode with the TPM enabled; update bench-agent."},
    Reason{kEventLogReplay, "event_log_replay",
           "The measured-boot event log does not replay to the quoted PCR values.",
           "Treat the boot record as tampered with; reflash the firmware and reconnect."},
    Reason{kEventLogSha1Only, "event_log_sha1_only",
           "The firmware measures the boot with SHA-1 only.",
           "Update the firmware (or enable the SHA-256 PCR bank in firmware setup) so the boot is "
           "measured with SHA-256; or accept SHA-1 for this fleet with tpm.allow_sha1_event_log "
           "and acknowledge_risk."},
    Reason{kSecureBootOff, "secure_boot_off", "Secure Boot is not enabled on the device.",
           "Enable Secure Boot in firmware setup (with the standard keys), then reconnect."},
    Reason{kSecureBootUnknown, "secure_boot_unknown",
           "The Secure Boot state cannot be established from the verified event log.",
           "Update the device firmware; if it repeats, collect the event log for support."},
    Reason{kGoldenPcrMismatch, "golden_pcr_mismatch",
           "The device's boot measurements differ from the approved values for its model.",
           "Update the firmware to the approved version, or have an admin update the golden PCR "
           "values in the policy after review."},
    Reason{kNotHardwareBacked, "not_hardware_backed",
           "The agent could not prove that its keys live inside a hardware TPM.",
           "Reconnect the device; if it repeats, the TPM may be emulated: investigate."},
    Reason{kPlatformCertMissing, "platform_certificate_missing",
           "Policy requires a TCG platform certificate and the device did not provide one.",
           "Check that the OEM shipped the platform certificate (TPM NV index or EFI partition); "
           "if this model has none, set tpm.platform_certificate to verify_if_present."},
    Reason{kPlatformCertMalformed, "platform_certificate_malformed",
           "The device's TCG platform certificate could not be parsed.",
           "Run `benchctl platformcert show FILE` on the certificate and send it to the OEM; "
           "the certificate in the TPM NV index may be damaged."},
    Reason{kPlatformCertUntrusted, "platform_certificate_untrusted",
           "The platform certificate was not issued by an OEM certificate authority this bench "
           "trusts.",
           "Add the OEM's root (and intermediate) to tpm.oem_roots_dir after checking it; "
           "otherwise treat the device as suspect."},
    Reason{kPlatformCertSignature, "platform_certificate_bad_signature",
           "The platform certificate's signature does not verify with its issuer's key.",
           "Treat the device as suspect: the certificate was altered or forged."},
    Reason{kPlatformCertExpired, "platform_certificate_expired",
           "The platform certificate is outside its validity period.",
           "Check the bench clock; if it is right, ask the OEM for a current platform "
           "certificate."},
    Reason{kPlatformCertHolderMismatch, "platform_certificate_holder_mismatch",
           "The platform certificate was issued for a different TPM than the one in this device.",
           "Treat the device as suspect: the TPM or the certificate was moved from another "
           "machine."},
    Reason{kPlatformSerialMismatch, "platform_serial_mismatch",
           "The OEM-signed platform serial number differs from the serial in the asset register.",
           "The device is quarantined: check the chassis label against the register and "
           "investigate a swapped board."},
    Reason{kPlatformModelMismatch, "platform_model_mismatch",
           "The OEM-signed platform model differs from the model the device reports.",
           "Check that the firmware identity (SMBIOS) was not reprogrammed; compare with the "
           "label."},
    Reason{kPlatformComponentSwapped, "platform_component_swapped",
           "A component the OEM certified (with its serial) is not the one in the device now.",
           "Check the service history: a replaced part needs a delta platform certificate or a "
           "documented repair."},
    Reason{kInterruptedByRestart, "interrupted_by_restart",
           "The appliance restarted while this device was in progress.",
           "Nothing to fix: reconnect the device (the agent retries by itself)."},
    Reason{kInternalError, "internal_error",
           "The appliance hit an internal error while handling the device.",
           "Retry; if it repeats, export the audit log and logs for support."},
    Reason{kAdminUnauthorised, "admin_unauthorised",
           "The caller is not allowed to perform this admin command.",
           "Run benchctl as root or as a member of the configured admin group (read-only group for "
           "read commands)."},
    Reason{kAdminBadRequest, "admin_bad_request", "The admin request was malformed or incomplete.",
           "Check the command line with `benchctl COMMAND --help`."},
    Reason{kAdminNotFound, "admin_not_found", "The named device or record does not exist.",
           "List devices with `benchctl devices` and use the id shown there."},
    Reason{kAdminConflict, "admin_conflict",
           "The request conflicts with the device's current state.",
           "Check `benchctl device show ID`; the message says what state blocks the request."},
    Reason{kPolicyInvalid, "policy_invalid",
           "The policy file has errors, so none of it was loaded; the active policy stays.",
           "Fix every FILE:LINE:COLUMN error listed (`benchctl policy validate FILE` checks "
           "offline), sign the file again and load it."},
    Reason{kPolicySignature, "policy_signature",
           "The policy is not signed, or its signature does not verify with a trusted signer key.",
           "Sign the exact file with `benchctl policy sign FILE --key KEY` using a key listed in "
           "bench.yaml policy.trusted_signers, and pass the signature with --sig."},
};
}  // namespace

std::span<const Reason> allReasons() {
  return kReasons;
}

const Reason* findReason(std::string_view code) {
  for (const auto& r : kReasons) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

}  // namespace pb
