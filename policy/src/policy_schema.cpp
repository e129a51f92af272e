// SPDX-License-Identifier: Apache-2.0
#include "policy/policy_schema.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pb {

namespace {

using nlohmann::json;

json str(std::string description, std::size_t maxLength = 4096) {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", maxLength},
          {"description", std::move(description)}};
}
json pattern(std::string re, std::string description) {
  return {{"type", "string"}, {"pattern", std::move(re)}, {"description", std::move(description)}};
}
json boolean(bool def, std::string description) {
  return {{"type", "boolean"}, {"default", def}, {"description", std::move(description)}};
}
json integer(std::uint64_t min, std::uint64_t max, std::uint64_t def, std::string description) {
  return {{"type", "integer"},
          {"minimum", min},
          {"maximum", max},
          {"default", def},
          {"description", std::move(description)}};
}
json oneOf(std::vector<std::string> words, std::string def, std::string description) {
  return {{"type", "string"},
          {"enum", words},
          {"default", std::move(def)},
          {"description", std::move(description)}};
}
json wordSet(std::vector<std::string> words, std::vector<std::string> def, std::size_t minItems,
             std::string description) {
  return {{"type", "array"},           {"items", {{"type", "string"}, {"enum", words}}},
          {"uniqueItems", true},       {"minItems", minItems},
          {"default", std::move(def)}, {"description", std::move(description)}};
}
json list(json items, std::size_t maxItems, std::string description) {
  return {{"type", "array"},
          {"items", std::move(items)},
          {"maxItems", maxItems},
          {"description", std::move(description)}};
}
json object(json properties, std::vector<std::string> required, std::string description) {
  json o{{"type", "object"},
         {"properties", std::move(properties)},
         {"additionalProperties", false},
         {"description", std::move(description)}};
  if (!required.empty()) o["required"] = std::move(required);
  return o;
}
json absolutePath(std::string description) {
  return pattern("^/", std::move(description));
}
json acknowledgeRisk() {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", 1024},
          {"description",
           "Why weakening the settings of this mapping is acceptable (required when one is "
           "weakened, an error otherwise)."}};
}

const std::vector<std::string> kAlgorithms{"rsa2048", "rsa3072", "ecc_nist_p256", "ecc_nist_p384"};
constexpr const char* kHex = "^[0-9A-Fa-f:]+$";

}  // namespace

json policyJsonSchema() {
  json enrollment =
      object({{"require_pre_registration",
               boolean(true,
                       "Only devices in the asset register may enrol (false needs "
                       "acknowledge_risk).")},
              {"require_first_enrollment_approval",
               boolean(false, "A device's first enrolment waits for an admin approval.")},
              {"require_re_enrollment_approval",
               boolean(true,
                       "A device that enrols again waits for an admin approval (false needs "
                       "acknowledge_risk).")},
              {"approval_ttl_hours", integer(1, 720, 24, "How long an approval stays usable.")},
              {"windows",
               list(object({{"start", str("UTC start, 2026-01-31 or 2026-01-31T08:00:00Z.", 64)},
                            {"end", str("UTC end (exclusive), after start.", 64)}},
                           {"start", "end"}, "One enrolment window."),
                    1024, "Bench-wide enrolment windows; empty = register windows only.")},
              {"on_identity_mismatch",
               oneOf({"quarantine", "block"}, "quarantine",
                     "A serial registered with another SMBIOS UUID: quarantine or block.")},
              {"acknowledge_risk", acknowledgeRisk()}},
             {}, "How devices may enrol.");

  json identity = object(
      {{"bogus_serials",
        list(str("A placeholder serial.", 128), 1024, "Serials treated as no serial (unique).")},
       {"bogus_uuids",
        list(
            pattern("^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
                    "A placeholder SMBIOS UUID."),
            1024, "SMBIOS UUIDs treated as no UUID (unique ignoring case).")}},
      {}, "Extra placeholder identities to distrust.");

  json pcrMap = {{"type", "object"},
                 {"propertyNames", {{"pattern", "^([0-9]|1[0-9]|2[0-3])$"}}},
                 {"additionalProperties", pattern(kHex, "Digest in the policy's PCR bank.")},
                 {"minProperties", 1},
                 {"description", "PCR index (in pcr_selection) -> expected digest."}};
  json tpm = object(
      {{"manufacturer_roots_dir", absolutePath("Directory of PEM TPM manufacturer roots.")},
       {"manufacturer_intermediates_dir", absolutePath("Directory of PEM intermediates.")},
       {"allowed_ek_algorithms", wordSet(kAlgorithms, {"ecc_nist_p256", "rsa2048"}, 1,
                                         "Endorsement key algorithms accepted.")},
       {"allowed_ak_algorithms", wordSet(kAlgorithms, {"ecc_nist_p256", "rsa2048"}, 1,
                                         "Attestation key algorithms accepted.")},
       {"ak_algorithm", oneOf(kAlgorithms, "ecc_nist_p256",
                              "The AK the agent creates; must be in allowed_ak_algorithms.")},
       {"pcr_bank", oneOf({"sha1", "sha256", "sha384"}, "sha256", "PCR bank quoted.")},
       {"pcr_selection",
        {{"type", "array"},
         {"items", {{"type", "integer"}, {"minimum", 0}, {"maximum", 23}}},
         {"uniqueItems", true},
         {"minItems", 1},
         {"maxItems", 24},
         {"default", {0, 1, 2, 3, 4, 5, 6, 7}},
         {"description", "PCR indexes quoted."}}},
       {"golden_pcrs", list(object({{"model", str("Device model, exact.", 128)}, {"pcrs", pcrMap}},
                                   {"model", "pcrs"}, "Known-good PCR values for one model."),
                            256, "Golden PCR values per model (models unique).")},
       {"require_secure_boot",
        boolean(true, "Secure Boot must be on (false needs acknowledge_risk).")},
       {"allow_sha1_event_log",
        boolean(false,
                "Accept firmware that measures the boot with SHA-1 only (true needs "
                "acknowledge_risk).")},
       {"require_hardware_backed_keys",
        boolean(true, "The AK must be proven to be in the TPM (false needs acknowledge_risk).")},
       {"no_tpm", oneOf({"block", "allow"}, "block",
                        "Devices without a TPM (allow needs acknowledge_risk).")},
       {"nonce_lifetime_seconds", integer(5, 600, 60, "Quote nonce lifetime.")},
       {"acknowledge_risk", acknowledgeRisk()}},
      {}, "TPM attestation.");

  json amt = object(
      {{"presence", oneOf({"required", "forbidden", "optional"}, "optional", "Intel AMT.")},
       {"allowed_thumbprints",
        list(object({{"name", pattern("^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}$", "Unique name.")},
                     {"algorithm", oneOf({"sha256", "sha384"}, "sha256", "Hash algorithm.")},
                     {"hash", pattern(kHex, "64 (sha256) or 96 (sha384) hex digits.")}},
                    {"name", "algorithm", "hash"}, "A trusted root that may be active."),
             64, "Trusted-root hashes that may be active.")},
       {"forbidden_thumbprints", list(pattern(kHex, "SHA-256 or SHA-384 hash, not also allowed."),
                                      1024, "Hashes that must never be active.")},
       {"expected_provisioning_states",
        wordSet({"pre", "in", "post"}, {"pre"}, 1, "Acceptable provisioning states.")},
       {"expected_control_modes",
        wordSet({"none", "client", "acm"}, {"acm", "none"}, 1, "Acceptable control modes.")},
       {"dns_suffix", pattern("^[a-z0-9.-]+$", "Internal PKI DNS suffix.")},
       {"forbidden_provisioning_servers",
        list(str("Server name.", 253), 1024, "Provisioning servers that must not be set.")},
       {"forbidden_provisioning_ports",
        {{"type", "array"},
         {"items", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
         {"uniqueItems", true},
         {"default", {9971}},
         {"description", "Provisioning ports that must not be set."}}},
       {"allow_remote_configuration",
        boolean(false, "Remote configuration enabled (true needs acknowledge_risk).")},
       {"minimum_me_firmware",
        {{"type", "object"},
         {"propertyNames", {{"pattern", "^[0-9]{1,3}$"}}},
         {"additionalProperties",
          pattern("^[0-9]{1,5}\\.[0-9]{1,5}\\.[0-9]{1,5}\\.[0-9]{1,5}$", "Minimum version.")},
         {"description", "Major branch -> minimum ME firmware version in that branch."}}},
       {"allow_sol", boolean(false, "Serial-over-LAN (true needs acknowledge_risk).")},
       {"allow_ider", boolean(false, "IDE redirection (true needs acknowledge_risk).")},
       {"allow_kvm", boolean(false, "KVM redirection (true needs acknowledge_risk).")},
       {"hello_listener_port", integer(0, 65535, 0, "AMT hello listener port; 0 = off.")},
       {"acknowledge_risk", acknowledgeRisk()}},
      {}, "Intel AMT settings.");

  json credentials = object(
      {{"secrets",
        list(object({{"name", pattern("^[a-z][a-z0-9_]{0,63}$", "Unique secret name.")},
                     {"kind", oneOf({"random_bytes", "password", "recovery_key"}, "random_bytes",
                                    "What is generated.")},
                     {"length", integer(1, 256, 32, "Bytes or characters (minimum per kind).")},
                     {"seal_to_tpm", boolean(true, "Sealed to the device's TPM.")},
                     {"human_part", boolean(false, "A part delivered out of band.")}},
                    {"name", "kind"}, "One per-device secret."),
             32, "Per-device secrets to generate.")},
       {"token_lifetime_minutes", integer(1, 1440, 15, "Handoff token lifetime.")},
       {"escrow_recipient_key", absolutePath("PEM public key the escrow copy is encrypted to.")},
       {"delivery_channels", wordSet({"email", "print", "kiosk_qr"}, {"email"}, 0,
                                     "Out-of-band channels for human parts.")}},
      {}, "Credential handoff.");

  json kiosk = object({{"mask_owner_names", boolean(true, "Show owner names as initials.")},
                       {"show_serials", boolean(true, "Show serial numbers.")}},
                      {}, "What the kiosk display may show.");

  json schema = object(
      {{"name", pattern("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "The policy's name.")},
       {"tenant", object({{"id", pattern("^[a-z0-9][a-z0-9-]{0,31}$", "Tenant id.")},
                          {"name", str("Display name.", 128)}},
                         {"id"}, "Whose devices this policy admits.")},
       {"enrollment", enrollment},
       {"identity", identity},
       {"tpm", tpm},
       {"amt", amt},
       {"credentials", credentials},
       {"kiosk", kiosk}},
      {"name", "tenant"},
      "provbench policy. Cross-field rules (ak_algorithm in allowed_ak_algorithms, a thumbprint "
      "not both allowed and forbidden, windows that end after they start, acknowledge_risk for "
      "weakened settings) are checked by the loader: `benchctl policy validate FILE`.");
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["$id"] = "https://provbench.invalid/schema/policy.json";
  schema["title"] = "provbench policy";
  return schema;
}

}  // namespace pb
