// SPDX-License-Identifier: Apache-2.0
// The tpm, amt, credentials and kiosk sections, enrollment windows and the identity-mismatch rule:
// each error class at its exact position, every secure default and its acknowledge_risk path.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "policy/policy.hpp"

namespace pb {
namespace {

const std::string kHeader = "name: p\ntenant: {id: t}\n";  // two lines: sections start on line 3

std::string errorsOf(const std::string& body) {
  auto r = parsePolicy(kHeader + body, "p.yaml");
  return r.ok() ? "" : r.error().message;
}

Policy parsed(const std::string& body) {
  auto r = parsePolicy(kHeader + body, "p.yaml");
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : Policy{};
}

const std::string kSha256A = "6bd21aced0752176f4abebc3a9b1a96799229e317cf8f5f43c5f25205946d37d";
const std::string kSha256B = "630ba09448af522154f38ef7685ef1f44b0f3e9430f80829a03ce24f400f3754";

TEST(PolicySections, DefaultsAreSecure) {
  const Policy p = defaultPolicy();
  EXPECT_TRUE(p.enrollment.windows.empty());
  EXPECT_EQ(p.enrollment.onIdentityMismatch, IdentityMismatchAction::Quarantine);
  EXPECT_TRUE(p.tpm.requireSecureBoot);
  EXPECT_TRUE(p.tpm.requireHardwareBackedKeys);
  EXPECT_EQ(p.tpm.noTpm, NoTpmAction::Block);
  EXPECT_EQ(p.tpm.pcrBank, "sha256");
  EXPECT_FALSE(p.amt.allowRemoteConfiguration);
  EXPECT_FALSE(p.amt.allowSol);
  EXPECT_FALSE(p.amt.allowIder);
  EXPECT_FALSE(p.amt.allowKvm);
  EXPECT_EQ(p.amt.helloListenerPort, 0);
  EXPECT_TRUE(p.kiosk.maskOwnerNames);
  EXPECT_TRUE(riskWarnings(p).empty());
}

TEST(PolicySections, EnrollmentWindowsAndMismatch) {
  Policy p = parsed(
      "enrollment:\n"
      "  windows:\n"
      "    - {start: \"2026-03-01\", end: \"2026-03-02T12:00:00Z\"}\n"
      "    - {start: \"2026-01-01 08:00:00\", end: \"2026-01-01 18:00:00\"}\n"
      "  on_identity_mismatch: block\n");
  ASSERT_EQ(p.enrollment.windows.size(), 2u);
  EXPECT_EQ(p.enrollment.windows[0].end - p.enrollment.windows[0].start, 10 * 3600);  // sorted
  EXPECT_EQ(p.enrollment.onIdentityMismatch, IdentityMismatchAction::Block);

  EXPECT_EQ(
      errorsOf("enrollment:\n  windows:\n    - {start: \"2026-02-01\", end: \"2026-01-01\"}\n"),
      "p.yaml:5:34: enrollment.windows[0].end: the window ends (2026-01-01T00:00:00Z) "
      "before it starts (2026-02-01T00:00:00Z)");
  EXPECT_EQ(
      errorsOf("enrollment:\n  windows:\n    - {start: \"2026-02-01\", end: \"2026-02-01\"}\n"),
      "p.yaml:5:34: enrollment.windows[0].end: the window ends (2026-02-01T00:00:00Z) "
      "before it starts (2026-02-01T00:00:00Z)");
  EXPECT_EQ(errorsOf("enrollment:\n  windows:\n    - {start: soon}\n"),
            "p.yaml:5:7: enrollment.windows[0].end: required key is missing\n"
            "p.yaml:5:15: enrollment.windows[0].start: expected a UTC time (2026-01-31T08:00:00Z "
            "or 2026-01-31), got 'soon'");
  EXPECT_EQ(errorsOf("enrollment:\n  on_identity_mismatch: admit\n"),
            "p.yaml:4:25: enrollment.on_identity_mismatch: expected quarantine or block, got "
            "'admit'");
  EXPECT_EQ(errorsOf("enrollment:\n  windows: {start: x}\n"),
            "p.yaml:4:12: enrollment.windows: expected a sequence, got a mapping");
}

TEST(PolicySections, TpmParsesAndNormalises) {
  Policy p = parsed(
      "tpm:\n"
      "  manufacturer_roots_dir: /etc/roots/\n"
      "  allowed_ak_algorithms: [rsa3072, ecc_nist_p384]\n"
      "  ak_algorithm: rsa3072\n"
      "  pcr_bank: sha1\n"
      "  pcr_selection: [7, 0]\n"
      "  golden_pcrs:\n"
      "    - model: M\n"
      "      pcrs: {7: \"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD\"}\n"
      "  nonce_lifetime_seconds: 600\n");
  EXPECT_EQ(p.tpm.manufacturerRootsDir, "/etc/roots");
  EXPECT_EQ(p.tpm.allowedAkAlgorithms, (std::vector<std::string>{"ecc_nist_p384", "rsa3072"}));
  EXPECT_EQ(p.tpm.pcrSelection, (std::vector<std::uint32_t>{0, 7}));
  ASSERT_EQ(p.tpm.goldenPcrs.size(), 1u);
  EXPECT_EQ(p.tpm.goldenPcrs[0].pcrs[0].second, "aabbccddeeff00112233445566778899aabbccdd");
  EXPECT_EQ(p.tpm.nonceLifetimeSeconds, 600u);
}

TEST(PolicySections, TpmErrors) {
  EXPECT_EQ(errorsOf("tpm:\n  allowed_ak_algorithms: [rsa2048]\n"),
            "p.yaml:4:3: tpm.ak_algorithm: 'ecc_nist_p256' is not in tpm.allowed_ak_algorithms; "
            "the agent's AK would be refused");
  EXPECT_EQ(errorsOf("tpm:\n  ak_algorithm: rsa3072\n"),
            "p.yaml:4:17: tpm.ak_algorithm: 'rsa3072' is not in tpm.allowed_ak_algorithms; the "
            "agent's AK would be refused");
  EXPECT_EQ(errorsOf("tpm:\n  allowed_ek_algorithms: [rsa1024]\n"),
            "p.yaml:4:27: tpm.allowed_ek_algorithms[0]: expected rsa2048, rsa3072, ecc_nist_p256 "
            "or ecc_nist_p384, got 'rsa1024'");
  EXPECT_EQ(errorsOf("tpm:\n  allowed_ek_algorithms: []\n"),
            "p.yaml:4:26: tpm.allowed_ek_algorithms: must list at least 1 of rsa2048, rsa3072, "
            "ecc_nist_p256 or ecc_nist_p384");
  EXPECT_EQ(errorsOf("tpm:\n  pcr_bank: md5\n"),
            "p.yaml:4:13: tpm.pcr_bank: expected sha1, sha256 or sha384, got 'md5'");
  EXPECT_EQ(errorsOf("tpm:\n  pcr_selection: [0, 24, 0]\n"),
            "p.yaml:4:22: tpm.pcr_selection[1]: must be in 0..23, got '24'\n"
            "p.yaml:4:26: tpm.pcr_selection[2]: duplicate of the item at line 4, column 19");
  EXPECT_EQ(errorsOf("tpm:\n  golden_pcrs:\n    - model: M\n      pcrs: {0: abcd}\n"),
            "p.yaml:6:17: tpm.golden_pcrs[0].pcrs.0: a sha256 PCR is 64 hex digits, got 4");
  EXPECT_EQ(errorsOf("tpm:\n  golden_pcrs:\n    - model: M\n      pcrs: {9: " + kSha256A + "}\n"),
            "p.yaml:6:14: tpm.golden_pcrs[0].pcrs.9: PCR 9 is not in tpm.pcr_selection, so it is "
            "never quoted");
  EXPECT_EQ(errorsOf("tpm:\n  golden_pcrs:\n    - model: M\n      pcrs: {x: ab}\n"),
            "p.yaml:6:14: tpm.golden_pcrs[0].pcrs.x: expected a PCR index 0..23, got 'x'");
  EXPECT_EQ(errorsOf("tpm:\n  golden_pcrs:\n    - model: M\n      pcrs: {0: " + kSha256A +
                     "}\n    - model: M\n      pcrs: {1: " + kSha256B + "}\n"),
            "p.yaml:7:14: tpm.golden_pcrs[1].model: duplicate model 'M' (first at line 5, "
            "column 14)");
  EXPECT_EQ(errorsOf("tpm:\n  nonce_lifetime_seconds: 4\n"),
            "p.yaml:4:27: tpm.nonce_lifetime_seconds: must be in 5..600, got '4'");
  EXPECT_EQ(errorsOf("tpm:\n  manufacturer_roots_dir: roots\n"),
            "p.yaml:4:27: tpm.manufacturer_roots_dir: must be an absolute path, got 'roots'");
  EXPECT_EQ(errorsOf("tpm:\n  require_secure_bot: true\n"),
            "p.yaml:4:3: tpm.require_secure_bot: unknown key (did you mean "
            "'require_secure_boot'?)");
}

TEST(PolicySections, Sha1EventLogIsRefusedByDefaultAndNeedsAcknowledgement) {
  EXPECT_FALSE(defaultPolicy().tpm.allowSha1EventLog);
  EXPECT_FALSE(parsed("tpm:\n  allow_sha1_event_log: false\n").tpm.allowSha1EventLog);
  EXPECT_EQ(errorsOf("tpm:\n  allow_sha1_event_log: true\n"),
            "p.yaml:4:25: tpm.allow_sha1_event_log: true weakens a secure default; add "
            "acknowledge_risk: \"<why>\" to tpm to accept the risk");
  EXPECT_NE(errorsOf("tpm:\n  allow_sha1_event_log: maybe\n"), "");
  Policy p = parsed(
      "tpm:\n  allow_sha1_event_log: true\n"
      "  acknowledge_risk: 2014 desktops, firmware without SHA-256 measurements\n");
  EXPECT_TRUE(p.tpm.allowSha1EventLog);
  EXPECT_EQ(p.riskAcknowledgements,
            (std::vector<std::string>{
                "tpm.allow_sha1_event_log: 2014 desktops, firmware without SHA-256 measurements"}));
  auto warnings = riskWarnings(p);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].setting, "tpm.allow_sha1_event_log");
  EXPECT_NE(warnings[0].attack.find("SHA-1"), std::string::npos);
  EXPECT_NE(warnings[0].attack.find("collision"), std::string::npos);
  EXPECT_NE(policyHash(p), policyHash(defaultPolicy()));
  EXPECT_NE(canonicalPolicyJson(p).find("\"allow_sha1_event_log\":true"), std::string::npos);
}

TEST(PolicySections, TpmWeakeningsNeedAcknowledgement) {
  EXPECT_EQ(errorsOf("tpm:\n  require_hardware_backed_keys: false\n"),
            "p.yaml:4:33: tpm.require_hardware_backed_keys: false weakens a secure default; add "
            "acknowledge_risk: \"<why>\" to tpm to accept the risk");
  EXPECT_EQ(errorsOf("tpm:\n  no_tpm: allow\n"),
            "p.yaml:4:11: tpm.no_tpm: allow weakens a secure default; add acknowledge_risk: "
            "\"<why>\" to tpm to accept the risk");
  EXPECT_EQ(errorsOf("tpm:\n  require_secure_boot: false\n"),
            "p.yaml:4:24: tpm.require_secure_boot: false weakens a secure default; add "
            "acknowledge_risk: \"<why>\" to tpm to accept the risk");
  Policy p = parsed(
      "tpm:\n  no_tpm: allow\n  require_hardware_backed_keys: false\n"
      "  acknowledge_risk: legacy fleet without TPMs\n");
  EXPECT_EQ(p.tpm.noTpm, NoTpmAction::Allow);
  EXPECT_FALSE(p.tpm.requireHardwareBackedKeys);
  EXPECT_EQ(p.riskAcknowledgements,
            (std::vector<std::string>{"tpm.require_hardware_backed_keys: legacy fleet without TPMs",
                                      "tpm.no_tpm: legacy fleet without TPMs"}));
  auto warnings = riskWarnings(p);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].setting, "tpm.require_hardware_backed_keys");
  EXPECT_EQ(warnings[1].setting, "tpm.no_tpm");
  EXPECT_EQ(warnings[1].acknowledgement, "legacy fleet without TPMs");
  EXPECT_FALSE(warnings[1].attack.empty());
  // Explicitly secure values need no acknowledgement, and then one is an error.
  EXPECT_EQ(errorsOf("tpm:\n  no_tpm: block\n  acknowledge_risk: x\n"),
            "p.yaml:5:21: tpm.acknowledge_risk: nothing in tpm weakens a secure default; remove "
            "acknowledge_risk");
}

TEST(PolicySections, AmtParses) {
  Policy p = parsed(
      "amt:\n"
      "  presence: required\n"
      "  allowed_thumbprints:\n"
      "    - {name: Corp Root, algorithm: sha256, hash: " +
      kSha256A +
      "}\n"
      "  forbidden_thumbprints: [" +
      kSha256B +
      "]\n"
      "  expected_provisioning_states: [post, pre]\n"
      "  expected_control_modes: [acm]\n"
      "  dns_suffix: corp.example.com\n"
      "  forbidden_provisioning_servers: [Evil, ProvisionServer]\n"
      "  forbidden_provisioning_ports: [9971, 16992]\n"
      "  minimum_me_firmware: {16: 16.1.30.2307, 15: 15.0.45.2512}\n"
      "  hello_listener_port: 16993\n");
  EXPECT_EQ(p.amt.presence, AmtRequirement::Required);
  ASSERT_EQ(p.amt.allowedThumbprints.size(), 1u);
  EXPECT_EQ(p.amt.allowedThumbprints[0].hash, kSha256A);
  EXPECT_EQ(p.amt.forbiddenThumbprints, (std::vector<std::string>{kSha256B}));
  EXPECT_EQ(p.amt.expectedProvisioningStates, (std::vector<std::string>{"post", "pre"}));
  ASSERT_EQ(p.amt.minimumMeFirmware.size(), 2u);
  EXPECT_EQ(p.amt.minimumMeFirmware[0].branch, 15u);
  EXPECT_EQ(p.amt.minimumMeFirmware[1].minimum, "16.1.30.2307");
  EXPECT_EQ(p.amt.forbiddenProvisioningPorts, (std::vector<std::uint16_t>{9971, 16992}));
  EXPECT_EQ(p.amt.helloListenerPort, 16993);
}

TEST(PolicySections, AmtErrors) {
  EXPECT_EQ(errorsOf("amt:\n  allowed_thumbprints:\n    - {name: A, algorithm: sha256, hash: " +
                     kSha256A + "}\n  forbidden_thumbprints: [\"" + kSha256A + "\"]\n"),
            "p.yaml:6:27: amt.forbidden_thumbprints[0]: this thumbprint is also allowed "
            "(amt.allowed_thumbprints, line 5, column 42); a thumbprint cannot be both");
  EXPECT_EQ(errorsOf("amt:\n  allowed_thumbprints:\n    - {name: A, algorithm: sha384, hash: " +
                     kSha256A + "}\n"),
            "p.yaml:5:42: amt.allowed_thumbprints[0].hash: a sha384 thumbprint is 96 hex "
            "digits, got 64");
  EXPECT_EQ(errorsOf("amt:\n  allowed_thumbprints:\n    - {name: A, algorithm: sha1, hash: ab}\n"),
            "p.yaml:5:28: amt.allowed_thumbprints[0].algorithm: expected sha256 or sha384, got "
            "'sha1'");
  EXPECT_EQ(errorsOf("amt:\n  allowed_thumbprints:\n    - {name: A, algorithm: sha256, hash: " +
                     kSha256A + "}\n    - {name: A, algorithm: sha256, hash: " + kSha256B + "}\n"),
            "p.yaml:6:14: amt.allowed_thumbprints[1].name: duplicate name 'A' (first at line 5, "
            "column 14)");
  EXPECT_EQ(errorsOf("amt:\n  allowed_thumbprints:\n    - {name: A, hash: " + kSha256A + "}\n"),
            "p.yaml:5:7: amt.allowed_thumbprints[0].algorithm: required key is missing");
  EXPECT_EQ(errorsOf("amt:\n  expected_control_modes: [admin]\n"),
            "p.yaml:4:28: amt.expected_control_modes[0]: expected none, client or acm, got "
            "'admin'");
  EXPECT_EQ(errorsOf("amt:\n  minimum_me_firmware: {16: 15.0.0.1}\n"),
            "p.yaml:4:29: amt.minimum_me_firmware.16: version '15.0.0.1' is not in branch 16");
  EXPECT_EQ(errorsOf("amt:\n  minimum_me_firmware: {16: \"16.1\"}\n"),
            "p.yaml:4:29: amt.minimum_me_firmware.16: expected major.minor.hotfix.build "
            "(16.1.30.2307), got '16.1'");
  EXPECT_EQ(errorsOf("amt:\n  dns_suffix: Corp.Example\n"),
            "p.yaml:4:15: amt.dns_suffix: expected a lower-case DNS name (corp.example.com), got "
            "'Corp.Example'");
  EXPECT_EQ(errorsOf("amt:\n  forbidden_provisioning_ports: [9971, 9971]\n"),
            "p.yaml:4:40: amt.forbidden_provisioning_ports[1]: duplicate of the item at line 4, "
            "column 34");
  EXPECT_EQ(errorsOf("amt:\n  hello_listener_port: 70000\n"),
            "p.yaml:4:24: amt.hello_listener_port: must be in 0..65535, got '70000'");
  EXPECT_EQ(errorsOf("amt:\n  presence: sometimes\n"),
            "p.yaml:4:13: amt.presence: expected required, forbidden or optional, got "
            "'sometimes'");
}

TEST(PolicySections, AmtWeakeningsNeedAcknowledgement) {
  for (const char* key : {"allow_remote_configuration", "allow_sol", "allow_ider", "allow_kvm"}) {
    const std::string k(key);
    EXPECT_EQ(errorsOf("amt:\n  " + k + ": true\n"),
              "p.yaml:4:" + std::to_string(k.size() + 5) + ": amt." + k +
                  ": true weakens a secure default; add acknowledge_risk: \"<why>\" to amt to "
                  "accept the risk");
    Policy p = parsed("amt:\n  " + k + ": true\n  acknowledge_risk: helpdesk needs it\n");
    ASSERT_EQ(riskWarnings(p).size(), 1u);
    EXPECT_EQ(riskWarnings(p)[0].setting, "amt." + k);
  }
}

TEST(PolicySections, CredentialsParseAndErrors) {
  Policy p = parsed(
      "credentials:\n"
      "  secrets:\n"
      "    - {name: wifi_psk, kind: random_bytes, length: 32}\n"
      "    - {name: admin_pw, kind: password, length: 20, seal_to_tpm: false, human_part: true}\n"
      "  token_lifetime_minutes: 60\n"
      "  escrow_recipient_key: /etc/escrow.pem\n"
      "  delivery_channels: [print, email]\n");
  ASSERT_EQ(p.credentials.secrets.size(), 2u);
  EXPECT_EQ(p.credentials.secrets[0].name, "admin_pw");  // sorted by name
  EXPECT_EQ(p.credentials.deliveryChannels, (std::vector<std::string>{"email", "print"}));
  EXPECT_EQ(p.credentials.tokenLifetimeMinutes, 60u);

  EXPECT_EQ(errorsOf("credentials:\n  secrets:\n    - {name: a, kind: password, length: 8}\n"),
            "p.yaml:5:41: credentials.secrets[0].length: a password needs at least 12, got 8");
  EXPECT_EQ(errorsOf("credentials:\n  secrets:\n    - {name: a, kind: random_bytes}\n"
                     "    - {name: a, kind: random_bytes}\n"),
            "p.yaml:6:14: credentials.secrets[1].name: duplicate secret 'a' (first at line 5, "
            "column 14)");
  EXPECT_EQ(errorsOf("credentials:\n  secrets:\n    - {name: a, kind: random_bytes, seal_to_tpm: "
                     "false}\n"),
            "p.yaml:5:50: credentials.secrets[0].seal_to_tpm: the secret would be delivered "
            "nowhere: set seal_to_tpm or human_part");
  EXPECT_EQ(errorsOf("credentials:\n  secrets:\n    - {name: a, kind: password, human_part: true}\n"
                     "  delivery_channels: [kiosk_qr]\n"),
            "p.yaml:6:22: credentials.delivery_channels: a secret has a human part but no "
            "channel can carry it (kiosk_qr never shows secrets): add email or print");
  EXPECT_EQ(errorsOf("credentials:\n  delivery_channels: [fax]\n"),
            "p.yaml:4:23: credentials.delivery_channels[0]: expected email, print or kiosk_qr, "
            "got 'fax'");
  EXPECT_EQ(errorsOf("credentials:\n  token_lifetime_minutes: 0\n"),
            "p.yaml:4:27: credentials.token_lifetime_minutes: must be in 1..1440, got '0'");
}

TEST(PolicySections, Kiosk) {
  Policy p = parsed("kiosk: {mask_owner_names: false, show_serials: false}\n");
  EXPECT_FALSE(p.kiosk.maskOwnerNames);
  EXPECT_FALSE(p.kiosk.showSerials);
  EXPECT_EQ(errorsOf("kiosk: {mask_owner_name: false}\n"),
            "p.yaml:3:9: kiosk.mask_owner_name: unknown key (did you mean 'mask_owner_names'?)");
}

TEST(PolicySections, DuplicateKeysInNewSections) {
  EXPECT_EQ(errorsOf("amt:\n  allow_sol: false\n  allow_sol: false\n"),
            "p.yaml:5:3: duplicate key 'allow_sol' (first at line 4, column 3)");
}

TEST(PolicySections, AllErrorsAcrossSectionsInOneRun) {
  const std::string out = errorsOf(
      "enrollment: {on_identity_mismatch: x}\n"
      "tpm: {pcr_bank: md5, no_tpm: allow}\n"
      "amt: {presence: x, allow_kvm: true}\n"
      "credentials: {token_lifetime_minutes: 0}\n"
      "kiosk: {show_serials: 1}\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n') + 1, 7) << out;
}

TEST(PolicySections, CanonicalJsonCoversEverySection) {
  const std::string j = canonicalPolicyJson(defaultPolicy());
  for (const char* key : {"\"tpm\":", "\"amt\":", "\"credentials\":", "\"kiosk\":", "\"windows\":",
                          "\"on_identity_mismatch\":", "\"forbidden_thumbprints\":"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key;
  }
  const std::string base = policyHash(defaultPolicy());
  auto changed = [&](auto mutate) {
    Policy p = defaultPolicy();
    mutate(p);
    return policyHash(p) != base;
  };
  EXPECT_TRUE(changed([](Policy& p) { p.tpm.nonceLifetimeSeconds = 61; }));
  EXPECT_TRUE(changed([](Policy& p) { p.tpm.goldenPcrs.push_back({"m", {{0, "00"}}}); }));
  EXPECT_TRUE(changed([](Policy& p) { p.amt.dnsSuffix = "x.example"; }));
  EXPECT_TRUE(changed([](Policy& p) { p.amt.minimumMeFirmware.push_back({16, "16.0.0.1"}); }));
  EXPECT_TRUE(changed([](Policy& p) { p.amt.forbiddenThumbprints.push_back("ab"); }));
  EXPECT_TRUE(changed([](Policy& p) { p.credentials.secrets.push_back({"s", "password"}); }));
  EXPECT_TRUE(changed([](Policy& p) { p.credentials.escrowRecipientKey = "/k"; }));
  EXPECT_TRUE(changed([](Policy& p) { p.kiosk.showSerials = false; }));
  EXPECT_TRUE(changed([](Policy& p) { p.enrollment.windows.push_back({1, 2}); }));
  EXPECT_TRUE(
      changed([](Policy& p) { p.enrollment.onIdentityMismatch = IdentityMismatchAction::Block; }));
}

TEST(PolicySections, ExamplesAndTemplateLoad) {
  for (const char* name :
       {"default.yaml", "lab-relaxed.yaml", "corporate-laptops.yaml", "template.yaml"}) {
    auto r = loadPolicyFile(std::string(PB_SOURCE_DIR "/policy/examples/") + name);
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
  }
  auto strict = loadPolicyFile(PB_SOURCE_DIR "/policy/examples/corporate-laptops.yaml");
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(riskWarnings(*strict).empty());
  auto relaxed = loadPolicyFile(PB_SOURCE_DIR "/policy/examples/lab-relaxed.yaml");
  ASSERT_TRUE(relaxed.ok());
  EXPECT_GE(riskWarnings(*relaxed).size(), 3u);
  for (const auto& w : riskWarnings(*relaxed)) EXPECT_FALSE(w.acknowledgement.empty()) << w.setting;
}

}  // namespace
}  // namespace pb
