// SPDX-License-Identifier: Apache-2.0
// Policy sections tenant, enrollment (windows, approvals, identity mismatch) and identity: who may
// enroll, and when.
#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "core/clock.hpp"
#include "parser/sections.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"

namespace pb::policy_parse {

namespace {

constexpr std::size_t kMaxIdentityBytes = 128;

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

void readWindows(YamlMapReader& r, EnrollmentPolicy& e) {
  const bool present =
      yamlForEachMapping(r, "windows", kMaxListItems, "items", [&](YamlMapReader& w) {
        EnrollmentWindow win;
        bool ok = true;
        for (auto [key, out] : {std::pair<std::string_view, std::int64_t*>{"start", &win.start},
                                std::pair<std::string_view, std::int64_t*>{"end", &win.end}}) {
          std::string text;
          if (!w.readString(key, text, Presence::Required, 64)) {
            ok = false;
          } else if (!parseUtc(text, *out)) {
            w.report(key, "expected a UTC time (2026-01-31T08:00:00Z or 2026-01-31), got " +
                              yamlQuote(text));
            ok = false;
          }
        }
        if (ok && win.end <= win.start) {
          w.report("end", "the window ends (" + formatUtc(win.end) + ") before it starts (" +
                              formatUtc(win.start) + ")");
          ok = false;
        }
        if (ok) e.windows.push_back(win);
      });
  if (!present) return;
  std::sort(e.windows.begin(), e.windows.end(), [](const auto& a, const auto& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
}

// Reads a list of identities, reporting duplicates (after `normalise`) where they are written.
template <class Check>
void readIdentityList(YamlMapReader& r, std::string_view key, std::vector<std::string>& out,
                      Check check, bool lowerCase) {
  auto list = yamlForEachUnique<std::string>(
      r, key, kMaxListItems,
      [&](const YamlNode& item, const std::string& itemPath) -> std::optional<std::string> {
        auto value = yamlReadString(item, itemPath, r.issues(), kMaxIdentityBytes);
        if (!value) return std::nullopt;
        if (auto problem = check(*value)) {
          r.issues().add(item.mark, itemPath, *problem + ", got " + yamlQuote(*value));
          return std::nullopt;
        }
        return lowerCase ? lowerAscii(*value) : *value;
      },
      [](const std::string& v) { return v; });
  if (!list) return;
  for (std::string& v : list->values) out.push_back(std::move(v));
  std::sort(out.begin(), out.end());
}

}  // namespace

void readTenant(YamlMapReader& root, Policy& p) {
  yamlReadMapping(
      root, "tenant",
      [&](YamlMapReader& r) {
        if (r.readString("id", p.tenantId, Presence::Required, 32) && !isLowerSlug(p.tenantId)) {
          r.report("id", "expected [a-z0-9][a-z0-9-]{0,31}, got " + yamlQuote(p.tenantId));
        }
        r.readString("name", p.tenantName, Presence::Optional, 128);
        if (p.tenantName.empty()) p.tenantName = p.tenantId;
      },
      Presence::Required);
}

void readEnrollment(YamlMapReader& root, Policy& p) {
  yamlReadMapping(root, "enrollment", [&](YamlMapReader& r) {
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
    readWindows(r, e);
    std::string mismatch;
    if (readWord(r, "on_identity_mismatch", mismatch, {"quarantine", "block"})) {
      e.onIdentityMismatch =
          mismatch == "block" ? IdentityMismatchAction::Block : IdentityMismatchAction::Quarantine;
    }
    checkRiskAcknowledgement(r, weakened, p.riskAcknowledgements);
  });
}

void readIdentity(YamlMapReader& root, Policy& p) {
  yamlReadMapping(root, "identity", [&](YamlMapReader& r) {
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
  });
}

}  // namespace pb::policy_parse
