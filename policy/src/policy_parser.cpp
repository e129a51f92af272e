// SPDX-License-Identifier: Apache-2.0
// YAML -> Policy. One reader function per section; each reports every problem it finds and the
// policy is returned only if there were none (an invalid policy is never partly applied).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "core/files.hpp"
#include "policy/policy.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

namespace {

constexpr std::size_t kMaxListItems = 1024;
constexpr std::size_t kMaxIdentityBytes = 128;
constexpr std::size_t kMaxAcknowledgementBytes = 1024;

bool isPolicyName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool isTenantId(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  auto lowerOrDigit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lowerOrDigit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lowerOrDigit(c) || c == '-'; });
}

// 8-4-4-4-12 hex digits, either case.
bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string where(const YamlMark& m) {
  return "line " + std::to_string(m.line) + ", column " + std::to_string(m.column);
}

// Secure by default: a mapping that weakens a setting must say why, in the same mapping, with
// acknowledge_risk. `weakened` are the keys of this mapping set to their less secure value. The
// acknowledgement is recorded once per weakened key, so the audit trail names each risk.
void checkRiskAcknowledgement(YamlMapReader& r, const std::vector<std::string_view>& weakened,
                              std::vector<std::string>& acknowledgements) {
  constexpr std::string_view kKey = "acknowledge_risk";
  const bool present = r.has(kKey);
  std::string text;
  bool valid = r.readString(kKey, text, Presence::Optional, kMaxAcknowledgementBytes);
  if (valid && std::all_of(text.begin(), text.end(), [](char c) { return c == ' '; })) {
    r.report(kKey, "must say why the risk is accepted, not be blank");
    valid = false;
  }
  if (weakened.empty()) {
    if (present) {
      r.report(kKey,
               "nothing in " + r.path() + " weakens a secure default; remove acknowledge_risk");
    }
    return;
  }
  if (present && !valid) return;  // the bad acknowledgement is already reported
  for (std::string_view key : weakened) {
    if (!present) {
      r.report(key, "false weakens a secure default; add acknowledge_risk: \"<why>\" to " +
                        r.path() + " to accept the risk");
    } else {
      acknowledgements.push_back(r.pathOf(key) + ": " + text);
    }
  }
}

void readTenant(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("tenant", Presence::Required);
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("tenant"), root.issues());
  if (r.readString("id", p.tenantId, Presence::Required, 32) && !isTenantId(p.tenantId)) {
    r.report("id", "expected [a-z0-9][a-z0-9-]{0,31}, got " + yamlQuote(p.tenantId));
  }
  r.readString("name", p.tenantName, Presence::Optional, 128);
  if (p.tenantName.empty()) p.tenantName = p.tenantId;
}

void readEnrollment(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("enrollment");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("enrollment"), root.issues());
  EnrollmentPolicy& e = p.enrollment;
  std::vector<std::string_view> weakened;
  if (r.readBool("require_pre_registration", e.requirePreRegistration) &&
      !e.requirePreRegistration) {
    weakened.push_back("require_pre_registration");
  }
  r.readBool("require_first_enrollment_approval", e.requireApprovalFirstEnrollment);
  if (r.readBool("require_re_enrollment_approval", e.requireApprovalReEnrollment) &&
      !e.requireApprovalReEnrollment) {
    weakened.push_back("require_re_enrollment_approval");
  }
  r.readUnsigned("approval_ttl_hours", e.approvalTtlHours, 1, 720);
  checkRiskAcknowledgement(r, weakened, p.riskAcknowledgements);
}

// Reads a list of identities, reporting duplicates (after `normalise`) where they are written.
template <class Check>
void readIdentityList(YamlMapReader& r, std::string_view key, std::vector<std::string>& out,
                      Check check, bool lowerCase) {
  const YamlNode* seq = r.getSequence(key);
  if (seq == nullptr) return;
  const std::string path = r.pathOf(key);
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxListItems) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxListItems) + " items");
    return;
  }
  std::map<std::string, YamlMark> seen;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    const YamlNode& item = seq->items[i];
    const std::string itemPath = yamlIndexPath(path, i);
    auto value = yamlReadString(item, itemPath, issues, kMaxIdentityBytes);
    if (!value) continue;
    if (auto problem = check(*value)) {
      issues.add(item.mark, itemPath, *problem + ", got " + yamlQuote(*value));
      continue;
    }
    std::string normalised = lowerCase ? lower(*value) : *value;
    if (auto [it, fresh] = seen.emplace(normalised, item.mark); !fresh) {
      issues.add(item.mark, itemPath, "duplicate of the item at " + where(it->second));
      continue;
    }
    out.push_back(std::move(normalised));
  }
  std::sort(out.begin(), out.end());
}

void readIdentity(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("identity");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("identity"), root.issues());
  readIdentityList(
      r, "bogus_serials", p.identity.extraBogusSerials,
      [](const std::string& s) -> std::optional<std::string> {
        if (s.front() == ' ' || s.back() == ' ') return "must not start or end with a space";
        return std::nullopt;
      },
      /*lowerCase=*/false);
  readIdentityList(
      r, "bogus_uuids", p.identity.extraBogusUuids,
      [](const std::string& s) -> std::optional<std::string> {
        if (!isUuid(s)) return "expected a UUID (8-4-4-4-12 hex digits)";
        return std::nullopt;
      },
      /*lowerCase=*/true);
}

}  // namespace

Result<Policy> parsePolicy(std::string_view text, const std::string& fileName) {
  YamlIssues issues(fileName);
  YamlLimits limits;
  limits.maxBytes = kMaxPolicyBytes;
  std::optional<YamlNode> root = parseYaml(text, issues, limits);
  if (!root) return issues.toError("policy");

  Policy p = defaultPolicy();
  p.name.clear();
  p.tenantId.clear();
  p.tenantName.clear();
  {
    YamlMapReader r(*root, "", issues);
    if (r.readString("name", p.name, Presence::Required, 64) && !isPolicyName(p.name)) {
      r.report("name", "expected [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got " + yamlQuote(p.name));
    }
    readTenant(r, p);
    readEnrollment(r, p);
    readIdentity(r, p);
  }  // the reader reports unknown top-level keys here
  if (!issues.empty()) return issues.toError("policy");
  return p;
}

Result<Policy> loadPolicyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return makeError("io", "cannot stat " + path + ": " + std::strerror(errno));
  }
  // A FIFO or device would block or never end; only a plain file is a policy file.
  if (!S_ISREG(st.st_mode)) return makeError("io", path + " is not a regular file");
  auto text = readFileBounded(path, kMaxPolicyBytes);
  if (!text) return text.error();
  return parsePolicy(*text, path);
}

}  // namespace pb
