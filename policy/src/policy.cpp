// SPDX-License-Identifier: Apache-2.0
#include "policy/policy.hpp"

#include <algorithm>

#include "core/bytes.hpp"
#include "core/clock.hpp"

namespace pb {

namespace {

using nlohmann::json;

std::vector<std::string> sortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

json tpmJson(const TpmPolicy& t) {
  json golden = json::array();
  for (const auto& g : t.goldenPcrs) {
    json pcrs = json::object();
    for (const auto& [index, value] : g.pcrs) pcrs[std::to_string(index)] = value;
    golden.push_back({{"model", g.model}, {"pcrs", pcrs}});
  }
  return {{"manufacturer_roots_dir", t.manufacturerRootsDir},
          {"manufacturer_intermediates_dir", t.manufacturerIntermediatesDir},
          {"allowed_ek_algorithms", t.allowedEkAlgorithms},
          {"allowed_ak_algorithms", t.allowedAkAlgorithms},
          {"ak_algorithm", t.akAlgorithm},
          {"pcr_bank", t.pcrBank},
          {"pcr_selection", t.pcrSelection},
          {"golden_pcrs", golden},
          {"require_secure_boot", t.requireSecureBoot},
          {"allow_sha1_event_log", t.allowSha1EventLog},
          {"require_hardware_backed_keys", t.requireHardwareBackedKeys},
          {"no_tpm", toString(t.noTpm)},
          {"nonce_lifetime_seconds", t.nonceLifetimeSeconds}};
}

json amtJson(const AmtPolicy& a) {
  json allowed = json::array();
  for (const auto& tp : a.allowedThumbprints) {
    allowed.push_back({{"name", tp.name}, {"algorithm", tp.algorithm}, {"hash", tp.hash}});
  }
  json me = json::object();
  for (const auto& m : a.minimumMeFirmware) me[std::to_string(m.branch)] = m.minimum;
  return {{"presence", toString(a.presence)},
          {"allowed_thumbprints", allowed},
          {"forbidden_thumbprints", a.forbiddenThumbprints},
          {"expected_provisioning_states", a.expectedProvisioningStates},
          {"expected_control_modes", a.expectedControlModes},
          {"dns_suffix", a.dnsSuffix},
          {"forbidden_provisioning_servers", a.forbiddenProvisioningServers},
          {"forbidden_provisioning_ports", a.forbiddenProvisioningPorts},
          {"allow_remote_configuration", a.allowRemoteConfiguration},
          {"minimum_me_firmware", me},
          {"allow_sol", a.allowSol},
          {"allow_ider", a.allowIder},
          {"allow_kvm", a.allowKvm},
          {"hello_listener_port", a.helloListenerPort}};
}

json credentialsJson(const CredentialsPolicy& c) {
  json secrets = json::array();
  for (const auto& s : c.secrets) {
    secrets.push_back({{"name", s.name},
                       {"kind", s.kind},
                       {"length", s.length},
                       {"seal_to_tpm", s.sealToTpm},
                       {"human_part", s.humanPart}});
  }
  return {{"secrets", secrets},
          {"token_lifetime_minutes", c.tokenLifetimeMinutes},
          {"escrow_recipient_key", c.escrowRecipientKey},
          {"delivery_channels", c.deliveryChannels}};
}

// What each weakening re-opens, keyed by its key path. One sentence each: it is shown in logs,
// in `benchctl status` and in the kiosk header.
struct RiskText {
  std::string_view setting;
  std::string_view attack;
};
constexpr RiskText kRiskTexts[] = {
    {"enrollment.require_pre_registration",
     "Any device that reaches the bench can enrol, so an attacker's machine can obtain corporate "
     "credentials."},
    {"enrollment.require_re_enrollment_approval",
     "A stolen or re-imaged device can silently enrol again and receive fresh credentials."},
    {"tpm.require_secure_boot", "A device booting unsigned code (a bootkit) can pass attestation."},
    {"tpm.allow_sha1_event_log",
     "Boot records are trusted on SHA-1, where collisions are practical (SHAttered, "
     "chosen-prefix): a forged event can match a measured digest and hide what really booted."},
    {"tpm.require_hardware_backed_keys",
     "A software key can impersonate a TPM, so attestation no longer proves which hardware "
     "holds the credentials."},
    {"tpm.no_tpm", "Devices without a TPM are admitted without any hardware proof of identity."},
    {"amt.allow_remote_configuration",
     "Anyone who can answer AMT's remote-configuration requests on the network can take full "
     "out-of-band control of the device."},
    {"amt.allow_sol",
     "Serial-over-LAN lets whoever controls AMT type at the device's console remotely."},
    {"amt.allow_ider",
     "IDE redirection lets whoever controls AMT boot the device from a remote disk image."},
    {"amt.allow_kvm",
     "KVM redirection lets whoever controls AMT see and drive the device's screen remotely."},
};

}  // namespace

std::string_view toString(NoTpmAction a) {
  return a == NoTpmAction::Allow ? "allow" : "block";
}

std::string_view toString(AmtRequirement r) {
  switch (r) {
    case AmtRequirement::Required:
      return "required";
    case AmtRequirement::Forbidden:
      return "forbidden";
    case AmtRequirement::Optional:
      break;
  }
  return "optional";
}

std::string_view toString(IdentityMismatchAction a) {
  return a == IdentityMismatchAction::Block ? "block" : "quarantine";
}

Policy defaultPolicy() {
  Policy p;
  p.name = "default";
  p.tenantId = "default";
  p.tenantName = "Default tenant";
  return p;  // section structs carry their secure defaults
}

json policyToJson(const Policy& policy) {
  // nlohmann::json objects are std::map-backed, so keys come out sorted; dump() without an indent
  // writes no whitespace. Strings are valid UTF-8 for every parsed policy (the YAML layer checks);
  // a hand-built policy with invalid UTF-8 is a programming error and makes dump() throw.
  json windows = json::array();
  for (const auto& w : policy.enrollment.windows) {
    windows.push_back({{"start", formatUtc(w.start)}, {"end", formatUtc(w.end)}});
  }
  return {
      {"name", policy.name},
      {"tenant", {{"id", policy.tenantId}, {"name", policy.tenantName}}},
      {"enrollment",
       {{"require_pre_registration", policy.enrollment.requirePreRegistration},
        {"require_first_enrollment_approval", policy.enrollment.requireApprovalFirstEnrollment},
        {"require_re_enrollment_approval", policy.enrollment.requireApprovalReEnrollment},
        {"approval_ttl_hours", policy.enrollment.approvalTtlHours},
        {"windows", windows},
        {"on_identity_mismatch", toString(policy.enrollment.onIdentityMismatch)}}},
      {"identity",
       {{"bogus_serials", sortedUnique(policy.identity.extraBogusSerials)},
        {"bogus_uuids", sortedUnique(policy.identity.extraBogusUuids)}}},
      {"tpm", tpmJson(policy.tpm)},
      {"amt", amtJson(policy.amt)},
      {"credentials", credentialsJson(policy.credentials)},
      {"kiosk",
       {{"mask_owner_names", policy.kiosk.maskOwnerNames},
        {"show_serials", policy.kiosk.showSerials}}},
      {"risk_acknowledgements", policy.riskAcknowledgements},
  };
}

std::string canonicalPolicyJson(const Policy& policy) {
  return policyToJson(policy).dump();
}

std::string policyHash(const Policy& policy) {
  return toHex(sha256(canonicalPolicyJson(policy)));
}

std::vector<RiskWarning> riskWarnings(const Policy& p) {
  // Derived from the values, not from the acknowledgements, so a hand-built policy that weakens
  // something without saying why still warns.
  const std::pair<std::string_view, bool> weakened[] = {
      {"enrollment.require_pre_registration", !p.enrollment.requirePreRegistration},
      {"enrollment.require_re_enrollment_approval", !p.enrollment.requireApprovalReEnrollment},
      {"tpm.require_secure_boot", !p.tpm.requireSecureBoot},
      {"tpm.allow_sha1_event_log", p.tpm.allowSha1EventLog},
      {"tpm.require_hardware_backed_keys", !p.tpm.requireHardwareBackedKeys},
      {"tpm.no_tpm", p.tpm.noTpm == NoTpmAction::Allow},
      {"amt.allow_remote_configuration", p.amt.allowRemoteConfiguration},
      {"amt.allow_sol", p.amt.allowSol},
      {"amt.allow_ider", p.amt.allowIder},
      {"amt.allow_kvm", p.amt.allowKvm},
  };
  std::vector<RiskWarning> out;
  for (const auto& [setting, isWeak] : weakened) {
    if (!isWeak) continue;
    RiskWarning w;
    w.setting = std::string(setting);
    for (const auto& t : kRiskTexts) {
      if (t.setting == setting) w.attack = std::string(t.attack);
    }
    const std::string prefix = w.setting + ": ";
    for (const auto& ack : p.riskAcknowledgements) {
      if (ack.rfind(prefix, 0) == 0) w.acknowledgement = ack.substr(prefix.size());
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace pb
