// SPDX-License-Identifier: Apache-2.0
// Policy section amt: presence, the provisioning-certificate thumbprints allowed and forbidden,
// provisioning states and control modes, provisioning servers and ports, ME firmware minimums and
// the redirection features (SOL, IDE-R, KVM).
#include <algorithm>
#include <map>
#include <utility>

#include "parser/sections.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"

namespace pb::policy_parse {

namespace {

const std::vector<std::string_view> kThumbprintAlgorithms{"sha256", "sha384"};
const std::vector<std::string_view> kProvisioningStates{"pre", "in", "post"};
const std::vector<std::string_view> kControlModes{"none", "client", "acm"};
constexpr std::size_t kMaxThumbprints = 64;

bool isDnsSuffix(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    prev = c;
  }
  return prev != '-';
}

// "16.1.30.2307": four dot-separated decimal numbers, each 0..65535.
bool parseFirmwareVersion(std::string_view s, std::uint32_t& major) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t end = s.find('.', start);
    std::string_view part = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
    if (part.empty() || part.size() > 5 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (std::stoul(std::string(part)) > 65535) return false;
    if (parts == 0) major = static_cast<std::uint32_t>(std::stoul(std::string(part)));
    ++parts;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts == 4;
}

// A mapping key that must be a decimal integer in min..max; reported at the key.
void readAllowedThumbprints(YamlMapReader& r, AmtPolicy& a,
                            std::map<std::string, YamlMark>& allowedHashes) {
  std::map<std::string, YamlMark> names;
  const bool present =
      yamlForEachMapping(r, "allowed_thumbprints", kMaxThumbprints, "items", [&](YamlMapReader& t) {
        AmtThumbprint tp;
        bool ok = yamlReadUniqueName(t, "name", tp.name, 64, names, "name", isEntryName,
                                     "[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}");
        const bool algOk = readRequiredWord(t, "algorithm", tp.algorithm, kThumbprintAlgorithms);
        std::string hash;
        if (!t.readString("hash", hash, Presence::Required, 200)) {
          ok = false;
        } else if (auto hex = normaliseHex(hash); !hex) {
          t.report("hash", "expected hex digits, got " + yamlQuote(hash));
          ok = false;
        } else if (algOk && hex->size() != hexLengthOf(tp.algorithm)) {
          t.report("hash", "a " + tp.algorithm + " thumbprint is " +
                               std::to_string(hexLengthOf(tp.algorithm)) + " hex digits, got " +
                               std::to_string(hex->size()));
          ok = false;
        } else if (auto [it, fresh] = allowedHashes.emplace(*hex, t.markOf("hash")); !fresh) {
          t.report("hash", "duplicate of the thumbprint at " + yamlWhere(it->second));
          ok = false;
        } else {
          tp.hash = *hex;
        }
        if (ok && algOk) a.allowedThumbprints.push_back(std::move(tp));
      });
  if (!present) return;
  std::sort(a.allowedThumbprints.begin(), a.allowedThumbprints.end(),
            [](const auto& x, const auto& y) { return x.hash < y.hash; });
}

void readForbiddenThumbprints(YamlMapReader& r, AmtPolicy& a,
                              const std::map<std::string, YamlMark>& allowedHashes) {
  auto list = yamlForEachUnique<std::string>(
      r, "forbidden_thumbprints", kMaxListItems,
      [&](const YamlNode& item, const std::string& itemPath) -> std::optional<std::string> {
        auto value = yamlReadString(item, itemPath, r.issues(), 200);
        if (!value) return std::nullopt;
        auto hex = normaliseHex(*value);
        if (!hex || (hex->size() != 64 && hex->size() != 96)) {
          r.issues().add(item.mark, itemPath,
                         "expected a SHA-256 (64) or SHA-384 (96 hex digits) thumbprint, got " +
                             yamlQuote(*value));
          return std::nullopt;
        }
        if (auto it = allowedHashes.find(*hex); it != allowedHashes.end()) {
          r.issues().add(item.mark, itemPath,
                         "this thumbprint is also allowed (amt.allowed_thumbprints, " +
                             yamlWhere(it->second) + "); a thumbprint cannot be both");
          return std::nullopt;
        }
        return hex;
      },
      [](const std::string& hex) { return hex; });
  if (!list) return;
  for (std::string& hex : list->values) a.forbiddenThumbprints.push_back(std::move(hex));
  std::sort(a.forbiddenThumbprints.begin(), a.forbiddenThumbprints.end());
}

void readForbiddenServers(YamlMapReader& r, AmtPolicy& a) {
  std::vector<std::string> servers;
  if (!r.readStringList("forbidden_provisioning_servers", servers, kMaxListItems,
                        Presence::Optional, 253)) {
    return;
  }
  std::map<std::string, std::size_t> seen;
  const YamlNode* seq = r.get("forbidden_provisioning_servers");
  bool ok = true;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const std::string key = lowerAscii(servers[i]);
    if (auto [it, fresh] = seen.emplace(key, i); !fresh) {
      r.issues().add(seq->items[i].mark,
                     yamlIndexPath(r.pathOf("forbidden_provisioning_servers"), i),
                     "duplicate of the item at " + yamlWhere(seq->items[it->second].mark));
      ok = false;
    }
  }
  if (!ok) return;
  std::sort(servers.begin(), servers.end());
  a.forbiddenProvisioningServers = std::move(servers);
}

void readForbiddenPorts(YamlMapReader& r, AmtPolicy& a) {
  auto list = yamlForEachUnique<std::uint64_t>(
      r, "forbidden_provisioning_ports", kMaxListItems,
      [&](const YamlNode& item, const std::string& itemPath) {
        return yamlReadUnsigned(item, itemPath, r.issues(), 1, 65535);
      },
      [](std::uint64_t v) { return v; });
  if (!list || !list->ok) return;
  std::vector<std::uint16_t> ports;
  for (std::uint64_t v : list->values) ports.push_back(static_cast<std::uint16_t>(v));
  std::sort(ports.begin(), ports.end());
  a.forbiddenProvisioningPorts = std::move(ports);
}

void readMeMinimum(YamlMapReader& r, AmtPolicy& a) {
  const YamlNode* map = r.getMapping("minimum_me_firmware");
  if (map == nullptr) return;
  const std::string path = r.pathOf("minimum_me_firmware");
  YamlIssues& issues = r.issues();
  if (map->entries.size() > 64) {
    issues.add(map->mark, path, "more than 64 branches");
    return;
  }
  for (const YamlEntry& e : map->entries) {
    auto branch = keyNumber(e, path, issues, 1, 255, "an ME firmware major version");
    if (!branch) continue;
    const std::string valuePath = yamlJoinPath(path, e.key);
    auto value = yamlReadString(e.value, valuePath, issues, 32);
    if (!value) continue;
    std::uint32_t major = 0;
    if (!parseFirmwareVersion(*value, major)) {
      issues.add(e.value.mark, valuePath,
                 "expected major.minor.hotfix.build (16.1.30.2307), got " + yamlQuote(*value));
      continue;
    }
    if (major != *branch) {
      issues.add(e.value.mark, valuePath,
                 "version " + yamlQuote(*value) + " is not in branch " + std::to_string(*branch));
      continue;
    }
    a.minimumMeFirmware.push_back({*branch, *value});
  }
  std::sort(a.minimumMeFirmware.begin(), a.minimumMeFirmware.end(),
            [](const auto& x, const auto& y) { return x.branch < y.branch; });
}

}  // namespace

void readAmt(YamlMapReader& root, Policy& p) {
  yamlReadMapping(root, "amt", [&](YamlMapReader& r) {
    AmtPolicy& a = p.amt;
    std::vector<std::string_view> weakened;
    std::string presence;
    if (readWord(r, "presence", presence, {"required", "forbidden", "optional"})) {
      a.presence = presence == "required"    ? AmtRequirement::Required
                   : presence == "forbidden" ? AmtRequirement::Forbidden
                                             : AmtRequirement::Optional;
    }
    std::map<std::string, YamlMark> allowedHashes;
    readAllowedThumbprints(r, a, allowedHashes);
    readForbiddenThumbprints(r, a, allowedHashes);
    readWordList(r, "expected_provisioning_states", a.expectedProvisioningStates,
                 kProvisioningStates, 1);
    readWordList(r, "expected_control_modes", a.expectedControlModes, kControlModes, 1);
    std::string suffix;
    if (r.readString("dns_suffix", suffix, Presence::Optional, 253)) {
      if (!isDnsSuffix(suffix)) {
        r.report("dns_suffix",
                 "expected a lower-case DNS name (corp.example.com), got " + yamlQuote(suffix));
      } else {
        a.dnsSuffix = suffix;
      }
    }
    readForbiddenServers(r, a);
    readForbiddenPorts(r, a);
    if (r.readBool("allow_remote_configuration", a.allowRemoteConfiguration) &&
        a.allowRemoteConfiguration) {
      weakened.push_back("allow_remote_configuration");
    }
    readMeMinimum(r, a);
    for (auto [key, out] : {std::pair<std::string_view, bool*>{"allow_sol", &a.allowSol},
                            std::pair<std::string_view, bool*>{"allow_ider", &a.allowIder},
                            std::pair<std::string_view, bool*>{"allow_kvm", &a.allowKvm}}) {
      if (r.readBool(key, *out) && *out) weakened.push_back(key);
    }
    r.readUnsigned("hello_listener_port", a.helloListenerPort, 0, 65535);
    checkRiskAcknowledgement(r, weakened, p.riskAcknowledgements);
  });
}

}  // namespace pb::policy_parse
