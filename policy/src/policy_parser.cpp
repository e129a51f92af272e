// SPDX-License-Identifier: Apache-2.0
// YAML -> Policy. One reader function per section, each in parser/<section>_section.cpp; each
// reports every problem it finds and the policy is returned only if there were none (an invalid
// policy is never partly applied).
#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <utility>

#include "parser/sections.hpp"
#include "policy/policy.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

namespace {

bool isPolicyName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

Result<Policy> parsePolicy(std::string_view text, const std::string& fileName) {
  Policy empty = defaultPolicy();
  empty.name.clear();
  empty.tenantId.clear();
  empty.tenantName.clear();
  return yamlReadDocument(
      text, fileName, kMaxPolicyBytes, "policy", std::move(empty), [](YamlMapReader& r, Policy& p) {
        if (r.readString("name", p.name, Presence::Required, 64) && !isPolicyName(p.name)) {
          r.report("name", "expected [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got " + yamlQuote(p.name));
        }
        policy_parse::readTenant(r, p);
        policy_parse::readEnrollment(r, p);
        policy_parse::readIdentity(r, p);
        policy_parse::readTpm(r, p);
        policy_parse::readAmt(r, p);
        policy_parse::readCredentials(r, p);
        policy_parse::readKiosk(r, p);
      });
}

Result<Policy> loadPolicyFile(const std::string& path) {
  auto text = readYamlFile(path, kMaxPolicyBytes);
  if (!text) return text.error();
  return parsePolicy(*text, path);
}

}  // namespace pb
