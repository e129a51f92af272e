// SPDX-License-Identifier: Apache-2.0
// Policy sections credentials (the secrets issued to a device and how their human parts are
// delivered) and kiosk (what the bench screen may show).
#include <algorithm>
#include <map>
#include <utility>

#include "parser/sections.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"

namespace pb::policy_parse {

namespace {

const std::vector<std::string_view> kSecretKinds{"random_bytes", "password", "recovery_key"};
const std::vector<std::string_view> kDeliveryChannels{"email", "print", "kiosk_qr"};
constexpr std::size_t kMaxSecrets = 32;

bool isSecretName(std::string_view s) {
  if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Smallest length per kind: below these a secret can be guessed offline.
std::uint32_t minimumLength(std::string_view kind) {
  if (kind == "random_bytes") return 16;
  if (kind == "password") return 12;
  return 24;  // recovery_key digits
}

void readSecrets(YamlMapReader& r, CredentialsPolicy& c) {
  std::map<std::string, YamlMark> names;
  const bool present =
      yamlForEachMapping(r, "secrets", kMaxSecrets, "secrets", [&](YamlMapReader& s) {
        SecretRule rule;
        bool ok = yamlReadUniqueName(s, "name", rule.name, 64, names, "secret", isSecretName,
                                     "[a-z][a-z0-9_]{0,63}");
        const bool kindOk = readRequiredWord(s, "kind", rule.kind, kSecretKinds);
        if (s.readUnsigned("length", rule.length, 1, 256) && kindOk &&
            rule.length < minimumLength(rule.kind)) {
          s.report("length", "a " + rule.kind + " needs at least " +
                                 std::to_string(minimumLength(rule.kind)) + ", got " +
                                 std::to_string(rule.length));
          ok = false;
        }
        s.readBool("seal_to_tpm", rule.sealToTpm);
        s.readBool("human_part", rule.humanPart);
        if (!rule.sealToTpm && !rule.humanPart) {
          s.report(s.has("seal_to_tpm") ? "seal_to_tpm" : "human_part",
                   "the secret would be delivered nowhere: set seal_to_tpm or human_part");
          ok = false;
        }
        if (ok && kindOk) c.secrets.push_back(std::move(rule));
      });
  if (!present) return;
  std::sort(c.secrets.begin(), c.secrets.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

}  // namespace

void readCredentials(YamlMapReader& root, Policy& p) {
  yamlReadMapping(root, "credentials", [&](YamlMapReader& r) {
    CredentialsPolicy& c = p.credentials;
    readSecrets(r, c);
    r.readUnsigned("token_lifetime_minutes", c.tokenLifetimeMinutes, 1, 1440);
    yamlReadAbsolutePath(r, "escrow_recipient_key", c.escrowRecipientKey);
    if (readWordList(r, "delivery_channels", c.deliveryChannels, kDeliveryChannels, 0)) {
      std::sort(c.deliveryChannels.begin(), c.deliveryChannels.end());
    }
    const bool humanParts = std::any_of(c.secrets.begin(), c.secrets.end(),
                                        [](const SecretRule& s) { return s.humanPart; });
    const bool outOfBand = std::any_of(c.deliveryChannels.begin(), c.deliveryChannels.end(),
                                       [](const std::string& ch) { return ch != "kiosk_qr"; });
    if (humanParts && !outOfBand) {
      r.report("delivery_channels",
               "a secret has a human part but no channel can carry it (kiosk_qr never shows "
               "secrets): add email or print");
    }
  });
}

void readKiosk(YamlMapReader& root, Policy& p) {
  yamlReadMapping(root, "kiosk", [&](YamlMapReader& r) {
    r.readBool("mask_owner_names", p.kiosk.maskOwnerNames);
    r.readBool("show_serials", p.kiosk.showSerials);
  });
}

}  // namespace pb::policy_parse
