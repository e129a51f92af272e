// SPDX-License-Identifier: Apache-2.0
// Policy section tpm: manufacturer roots, key algorithms, PCR bank, selection and golden values,
// and the secure-by-default switches of attestation.
#include <algorithm>
#include <map>
#include <utility>

#include "parser/sections.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"

namespace pb::policy_parse {

namespace {

const std::vector<std::string_view> kTpmAlgorithms{"rsa2048", "rsa3072", "ecc_nist_p256",
                                                   "ecc_nist_p384"};
const std::vector<std::string_view> kPcrBanks{"sha1", "sha256", "sha384"};
constexpr std::size_t kMaxModels = 256;

void readPcrSelection(YamlMapReader& r, TpmPolicy& t) {
  const YamlNode* seq = r.getSequence("pcr_selection");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("pcr_selection");
  YamlIssues& issues = r.issues();
  if (seq->items.empty() || seq->items.size() > 24) {
    issues.add(seq->mark, path, "must list 1..24 PCR indexes");
    return;
  }
  auto list = yamlUniqueItems<std::uint64_t>(
      *seq, path, issues,
      [&](const YamlNode& item, const std::string& itemPath) {
        return yamlReadUnsigned(item, itemPath, issues, 0, 23);
      },
      [](std::uint64_t v) { return v; });
  if (!list.ok) return;
  std::vector<std::uint32_t> values(list.values.begin(), list.values.end());
  std::sort(values.begin(), values.end());
  t.pcrSelection = std::move(values);
}

void readGoldenPcrs(YamlMapReader& r, TpmPolicy& t) {
  const std::size_t hexLen = hexLengthOf(t.pcrBank);
  std::map<std::string, YamlMark> models;
  const bool present =
      yamlForEachMapping(r, "golden_pcrs", kMaxModels, "models", [&](YamlMapReader& g) {
        GoldenPcrs golden;
        yamlReadUniqueName(g, "model", golden.model, 128, models, "model");
        const YamlNode* pcrs = g.getMapping("pcrs", Presence::Required);
        if (pcrs == nullptr) return;
        YamlIssues& issues = g.issues();
        const std::string pcrsPath = g.pathOf("pcrs");
        if (pcrs->entries.empty()) issues.add(pcrs->mark, pcrsPath, "must list at least one PCR");
        for (const YamlEntry& e : pcrs->entries) {
          auto index = keyNumber(e, pcrsPath, issues, 0, 23, "a PCR index");
          if (!index) continue;
          const std::string valuePath = yamlJoinPath(pcrsPath, e.key);
          auto value = yamlReadString(e.value, valuePath, issues, 256);
          if (!value) continue;
          auto hex = normaliseHex(*value);
          if (!hex) {
            issues.add(e.value.mark, valuePath, "expected hex digits, got " + yamlQuote(*value));
            continue;
          }
          if (hexLen != 0 && hex->size() != hexLen) {
            issues.add(e.value.mark, valuePath,
                       "a " + t.pcrBank + " PCR is " + std::to_string(hexLen) +
                           " hex digits, got " + std::to_string(hex->size()));
            continue;
          }
          if (std::find(t.pcrSelection.begin(), t.pcrSelection.end(), *index) ==
              t.pcrSelection.end()) {
            issues.add(e.keyMark, valuePath,
                       "PCR " + std::to_string(*index) +
                           " is not in tpm.pcr_selection, so it is "
                           "never quoted");
            continue;
          }
          golden.pcrs.emplace_back(*index, std::move(*hex));
        }
        std::sort(golden.pcrs.begin(), golden.pcrs.end());
        t.goldenPcrs.push_back(std::move(golden));
      });
  if (!present) return;
  std::sort(t.goldenPcrs.begin(), t.goldenPcrs.end(),
            [](const auto& a, const auto& b) { return a.model < b.model; });
}

}  // namespace

void readTpm(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("tpm");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("tpm"), root.issues());
  TpmPolicy& t = p.tpm;
  std::vector<std::string_view> weakened;
  yamlReadAbsolutePath(r, "manufacturer_roots_dir", t.manufacturerRootsDir);
  yamlReadAbsolutePath(r, "manufacturer_intermediates_dir", t.manufacturerIntermediatesDir);
  readWordList(r, "allowed_ek_algorithms", t.allowedEkAlgorithms, kTpmAlgorithms, 1);
  const bool akListOk =
      readWordList(r, "allowed_ak_algorithms", t.allowedAkAlgorithms, kTpmAlgorithms, 1) ||
      !r.has("allowed_ak_algorithms");
  if (readWord(r, "ak_algorithm", t.akAlgorithm, kTpmAlgorithms) || !r.has("ak_algorithm")) {
    if (akListOk && std::find(t.allowedAkAlgorithms.begin(), t.allowedAkAlgorithms.end(),
                              t.akAlgorithm) == t.allowedAkAlgorithms.end()) {
      r.report("ak_algorithm", yamlQuote(t.akAlgorithm) +
                                   " is not in tpm.allowed_ak_algorithms; the agent's AK would "
                                   "be refused");
    }
  }
  readWord(r, "pcr_bank", t.pcrBank, kPcrBanks);
  readPcrSelection(r, t);
  readGoldenPcrs(r, t);
  if (r.readBool("require_secure_boot", t.requireSecureBoot) && !t.requireSecureBoot) {
    weakened.push_back("require_secure_boot");
  }
  if (r.readBool("allow_sha1_event_log", t.allowSha1EventLog) && t.allowSha1EventLog) {
    weakened.push_back("allow_sha1_event_log");
  }
  if (r.readBool("require_hardware_backed_keys", t.requireHardwareBackedKeys) &&
      !t.requireHardwareBackedKeys) {
    weakened.push_back("require_hardware_backed_keys");
  }
  std::string noTpm;
  if (readWord(r, "no_tpm", noTpm, {"block", "allow"})) {
    t.noTpm = noTpm == "allow" ? NoTpmAction::Allow : NoTpmAction::Block;
    if (t.noTpm == NoTpmAction::Allow) weakened.push_back("no_tpm");
  }
  r.readUnsigned("nonce_lifetime_seconds", t.nonceLifetimeSeconds, 5, 600);
  checkRiskAcknowledgement(r, weakened, p.riskAcknowledgements);
}

}  // namespace pb::policy_parse
