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

#include "core/clock.hpp"
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
      const YamlNode* value = r.get(key);
      const std::string shown = value != nullptr ? yamlPrintable(value->scalar) : "this";
      r.report(key, shown + " weakens a secure default; add acknowledge_risk: \"<why>\" to " +
                        r.path() + " to accept the risk");
    } else {
      acknowledgements.push_back(r.pathOf(key) + ": " + text);
    }
  }
}

void readWindows(YamlMapReader& r, EnrollmentPolicy& e);
bool readWord(YamlMapReader& r, std::string_view key, std::string& out,
              const std::vector<std::string_view>& vocab);

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
  readWindows(r, e);
  std::string mismatch;
  if (readWord(r, "on_identity_mismatch", mismatch, {"quarantine", "block"})) {
    e.onIdentityMismatch =
        mismatch == "block" ? IdentityMismatchAction::Block : IdentityMismatchAction::Quarantine;
  }
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

// --- helpers shared by the sections below ---

std::string joinWords(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

bool inVocabulary(const std::vector<std::string_view>& vocab, std::string_view v) {
  return std::find(vocab.begin(), vocab.end(), v) != vocab.end();
}

// A string that must be one word of `vocab`.
bool readWord(YamlMapReader& r, std::string_view key, std::string& out,
              const std::vector<std::string_view>& vocab) {
  std::string value;
  if (!r.readString(key, value, Presence::Optional, 64)) return false;
  if (!inVocabulary(vocab, value)) {
    r.report(key, "expected " + joinWords(vocab) + ", got " + yamlQuote(value));
    return false;
  }
  out = std::move(value);
  return true;
}

// A list whose items are words of `vocab`, unique, at least `minItems`. Replaces the default only
// when every item is valid.
bool readWordList(YamlMapReader& r, std::string_view key, std::vector<std::string>& out,
                  const std::vector<std::string_view>& vocab, std::size_t minItems) {
  const YamlNode* seq = r.getSequence(key);
  if (seq == nullptr) return false;
  const std::string path = r.pathOf(key);
  YamlIssues& issues = r.issues();
  if (seq->items.size() > vocab.size()) {
    issues.add(seq->mark, path, "more than " + std::to_string(vocab.size()) + " items");
    return false;
  }
  if (seq->items.size() < minItems) {
    issues.add(seq->mark, path,
               "must list at least " + std::to_string(minItems) + " of " + joinWords(vocab));
    return false;
  }
  std::vector<std::string> values;
  std::map<std::string, YamlMark> seen;
  bool ok = true;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    const YamlNode& item = seq->items[i];
    const std::string itemPath = yamlIndexPath(path, i);
    auto v = yamlReadString(item, itemPath, issues, 64);
    if (!v) {
      ok = false;
      continue;
    }
    if (!inVocabulary(vocab, *v)) {
      issues.add(item.mark, itemPath, "expected " + joinWords(vocab) + ", got " + yamlQuote(*v));
      ok = false;
      continue;
    }
    if (auto [it, fresh] = seen.emplace(*v, item.mark); !fresh) {
      issues.add(item.mark, itemPath, "duplicate of the item at " + where(it->second));
      ok = false;
      continue;
    }
    values.push_back(std::move(*v));
  }
  std::sort(values.begin(), values.end());  // a set: the order written means nothing
  if (ok) out = std::move(values);
  return ok;
}

// Hex digits of either case, possibly written with ':' separators (as openssl prints
// fingerprints); returns the lower-case digits, or nullopt.
std::optional<std::string> normaliseHex(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::size_t hexLengthOf(std::string_view algorithm) {
  if (algorithm == "sha1") return 40;
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha384") return 96;
  return 0;
}

// Absolute, no "." or ".." components.
std::optional<std::string> pathProblem(std::string_view p) {
  if (p.empty() || p[0] != '/') return "must be an absolute path";
  std::size_t start = 1;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(start, end - start);
    if (part == "." || part == "..") return "must not contain '.' or '..' components";
    start = end + 1;
  }
  return std::nullopt;
}

void readPath(YamlMapReader& r, std::string_view key, std::string& out) {
  std::string value;
  if (!r.readString(key, value, Presence::Optional, 4095)) return;
  if (auto problem = pathProblem(value)) {
    r.report(key, *problem + ", got " + yamlQuote(value));
    return;
  }
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  out = std::move(value);
}

// A name for list entries: [A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}.
bool isEntryName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' || c == '_' ||
           c == '-' || c == '(' || c == ')';
  });
}

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
std::optional<std::uint32_t> keyNumber(const YamlEntry& e, const std::string& path,
                                       YamlIssues& issues, std::uint32_t min, std::uint32_t max,
                                       std::string_view what) {
  const std::string& k = e.key;
  const bool digits = !k.empty() && k.size() <= 9 &&
                      std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::uint32_t v = digits ? static_cast<std::uint32_t>(std::stoul(k)) : 0;
  if (!digits || v < min || v > max) {
    issues.add(e.keyMark, yamlJoinPath(path, yamlPrintable(k)),
               "expected " + std::string(what) + " " + std::to_string(min) + ".." +
                   std::to_string(max) + ", got " + yamlQuote(k));
    return std::nullopt;
  }
  return v;
}

// --- enrollment windows and identity mismatch ---

void readWindows(YamlMapReader& r, EnrollmentPolicy& e) {
  const YamlNode* seq = r.getSequence("windows");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("windows");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxListItems) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxListItems) + " items");
    return;
  }
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    YamlMapReader w(seq->items[i], yamlIndexPath(path, i), issues);
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
  }
  std::sort(e.windows.begin(), e.windows.end(), [](const auto& a, const auto& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  });
}

// --- tpm ---

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
  std::vector<std::uint32_t> values;
  std::map<std::uint64_t, YamlMark> seen;
  bool ok = true;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    const YamlNode& item = seq->items[i];
    auto v = yamlReadUnsigned(item, yamlIndexPath(path, i), issues, 0, 23);
    if (!v) {
      ok = false;
    } else if (auto [it, fresh] = seen.emplace(*v, item.mark); !fresh) {
      issues.add(item.mark, yamlIndexPath(path, i),
                 "duplicate of the item at " + where(it->second));
      ok = false;
    } else {
      values.push_back(static_cast<std::uint32_t>(*v));
    }
  }
  std::sort(values.begin(), values.end());
  if (ok) t.pcrSelection = std::move(values);
}

void readGoldenPcrs(YamlMapReader& r, TpmPolicy& t) {
  const YamlNode* seq = r.getSequence("golden_pcrs");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("golden_pcrs");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxModels) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxModels) + " models");
    return;
  }
  const std::size_t hexLen = hexLengthOf(t.pcrBank);
  std::map<std::string, YamlMark> models;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    YamlMapReader g(seq->items[i], yamlIndexPath(path, i), issues);
    GoldenPcrs golden;
    if (g.readString("model", golden.model, Presence::Required, 128)) {
      if (auto [it, fresh] = models.emplace(golden.model, g.markOf("model")); !fresh) {
        g.report("model", "duplicate model " + yamlQuote(golden.model) + " (first at " +
                              where(it->second) + ")");
      }
    }
    const YamlNode* pcrs = g.getMapping("pcrs", Presence::Required);
    if (pcrs == nullptr) continue;
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
                   "a " + t.pcrBank + " PCR is " + std::to_string(hexLen) + " hex digits, got " +
                       std::to_string(hex->size()));
        continue;
      }
      if (std::find(t.pcrSelection.begin(), t.pcrSelection.end(), *index) == t.pcrSelection.end()) {
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
  }
  std::sort(t.goldenPcrs.begin(), t.goldenPcrs.end(),
            [](const auto& a, const auto& b) { return a.model < b.model; });
}

void readTpm(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("tpm");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("tpm"), root.issues());
  TpmPolicy& t = p.tpm;
  std::vector<std::string_view> weakened;
  readPath(r, "manufacturer_roots_dir", t.manufacturerRootsDir);
  readPath(r, "manufacturer_intermediates_dir", t.manufacturerIntermediatesDir);
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

// --- amt ---

const std::vector<std::string_view> kThumbprintAlgorithms{"sha256", "sha384"};
const std::vector<std::string_view> kProvisioningStates{"pre", "in", "post"};
const std::vector<std::string_view> kControlModes{"none", "client", "acm"};
constexpr std::size_t kMaxThumbprints = 64;

void readAllowedThumbprints(YamlMapReader& r, AmtPolicy& a,
                            std::map<std::string, YamlMark>& allowedHashes) {
  const YamlNode* seq = r.getSequence("allowed_thumbprints");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("allowed_thumbprints");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxThumbprints) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxThumbprints) + " items");
    return;
  }
  std::map<std::string, YamlMark> names;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    YamlMapReader t(seq->items[i], yamlIndexPath(path, i), issues);
    AmtThumbprint tp;
    bool ok = true;
    if (!t.readString("name", tp.name, Presence::Required, 64)) {
      ok = false;
    } else if (!isEntryName(tp.name)) {
      t.report("name", "expected [A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}, got " + yamlQuote(tp.name));
      ok = false;
    } else if (auto [it, fresh] = names.emplace(tp.name, t.markOf("name")); !fresh) {
      t.report("name",
               "duplicate name " + yamlQuote(tp.name) + " (first at " + where(it->second) + ")");
      ok = false;
    }
    const bool algOk = t.has("algorithm")
                           ? readWord(t, "algorithm", tp.algorithm, kThumbprintAlgorithms)
                           : (t.report("algorithm", "required key is missing"), false);
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
      t.report("hash", "duplicate of the thumbprint at " + where(it->second));
      ok = false;
    } else {
      tp.hash = *hex;
    }
    if (ok && algOk) a.allowedThumbprints.push_back(std::move(tp));
  }
  std::sort(a.allowedThumbprints.begin(), a.allowedThumbprints.end(),
            [](const auto& x, const auto& y) { return x.hash < y.hash; });
}

void readForbiddenThumbprints(YamlMapReader& r, AmtPolicy& a,
                              const std::map<std::string, YamlMark>& allowedHashes) {
  const YamlNode* seq = r.getSequence("forbidden_thumbprints");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("forbidden_thumbprints");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxListItems) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxListItems) + " items");
    return;
  }
  std::map<std::string, YamlMark> seen;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    const YamlNode& item = seq->items[i];
    const std::string itemPath = yamlIndexPath(path, i);
    auto value = yamlReadString(item, itemPath, issues, 200);
    if (!value) continue;
    auto hex = normaliseHex(*value);
    if (!hex || (hex->size() != 64 && hex->size() != 96)) {
      issues.add(item.mark, itemPath,
                 "expected a SHA-256 (64) or SHA-384 (96 hex digits) thumbprint, got " +
                     yamlQuote(*value));
      continue;
    }
    if (auto it = allowedHashes.find(*hex); it != allowedHashes.end()) {
      issues.add(item.mark, itemPath,
                 "this thumbprint is also allowed (amt.allowed_thumbprints, " + where(it->second) +
                     "); a thumbprint cannot be both");
      continue;
    }
    if (auto [it, fresh] = seen.emplace(*hex, item.mark); !fresh) {
      issues.add(item.mark, itemPath, "duplicate of the item at " + where(it->second));
      continue;
    }
    a.forbiddenThumbprints.push_back(std::move(*hex));
  }
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
    const std::string key = lower(servers[i]);
    if (auto [it, fresh] = seen.emplace(key, i); !fresh) {
      r.issues().add(seq->items[i].mark,
                     yamlIndexPath(r.pathOf("forbidden_provisioning_servers"), i),
                     "duplicate of the item at " + where(seq->items[it->second].mark));
      ok = false;
    }
  }
  if (!ok) return;
  std::sort(servers.begin(), servers.end());
  a.forbiddenProvisioningServers = std::move(servers);
}

void readForbiddenPorts(YamlMapReader& r, AmtPolicy& a) {
  const YamlNode* seq = r.getSequence("forbidden_provisioning_ports");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("forbidden_provisioning_ports");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxListItems) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxListItems) + " items");
    return;
  }
  std::vector<std::uint16_t> ports;
  std::map<std::uint64_t, YamlMark> seen;
  bool ok = true;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    auto v = yamlReadUnsigned(seq->items[i], yamlIndexPath(path, i), issues, 1, 65535);
    if (!v) {
      ok = false;
    } else if (auto [it, fresh] = seen.emplace(*v, seq->items[i].mark); !fresh) {
      issues.add(seq->items[i].mark, yamlIndexPath(path, i),
                 "duplicate of the item at " + where(it->second));
      ok = false;
    } else {
      ports.push_back(static_cast<std::uint16_t>(*v));
    }
  }
  std::sort(ports.begin(), ports.end());
  if (ok) a.forbiddenProvisioningPorts = std::move(ports);
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

void readAmt(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("amt");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("amt"), root.issues());
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
  readWordList(r, "expected_provisioning_states", a.expectedProvisioningStates, kProvisioningStates,
               1);
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
}

// --- credentials ---

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
  const YamlNode* seq = r.getSequence("secrets");
  if (seq == nullptr) return;
  const std::string path = r.pathOf("secrets");
  YamlIssues& issues = r.issues();
  if (seq->items.size() > kMaxSecrets) {
    issues.add(seq->mark, path, "more than " + std::to_string(kMaxSecrets) + " secrets");
    return;
  }
  std::map<std::string, YamlMark> names;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    YamlMapReader s(seq->items[i], yamlIndexPath(path, i), issues);
    SecretRule rule;
    bool ok = true;
    if (!s.readString("name", rule.name, Presence::Required, 64)) {
      ok = false;
    } else if (!isSecretName(rule.name)) {
      s.report("name", "expected [a-z][a-z0-9_]{0,63}, got " + yamlQuote(rule.name));
      ok = false;
    } else if (auto [it, fresh] = names.emplace(rule.name, s.markOf("name")); !fresh) {
      s.report("name", "duplicate secret " + yamlQuote(rule.name) + " (first at " +
                           where(it->second) + ")");
      ok = false;
    }
    bool kindOk = s.has("kind") ? readWord(s, "kind", rule.kind, kSecretKinds)
                                : (s.report("kind", "required key is missing"), false);
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
  }
  std::sort(c.secrets.begin(), c.secrets.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
}

void readCredentials(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("credentials");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("credentials"), root.issues());
  CredentialsPolicy& c = p.credentials;
  readSecrets(r, c);
  r.readUnsigned("token_lifetime_minutes", c.tokenLifetimeMinutes, 1, 1440);
  readPath(r, "escrow_recipient_key", c.escrowRecipientKey);
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
}

// --- kiosk ---

void readKiosk(YamlMapReader& root, Policy& p) {
  const YamlNode* node = root.getMapping("kiosk");
  if (node == nullptr) return;
  YamlMapReader r(*node, root.pathOf("kiosk"), root.issues());
  r.readBool("mask_owner_names", p.kiosk.maskOwnerNames);
  r.readBool("show_serials", p.kiosk.showSerials);
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
    readTpm(r, p);
    readAmt(r, p);
    readCredentials(r, p);
    readKiosk(r, p);
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
