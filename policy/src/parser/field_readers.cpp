// SPDX-License-Identifier: Apache-2.0
// Field readers shared by the policy sections (see sections.hpp).
#include <algorithm>
#include <cctype>
#include <utility>

#include "parser/sections.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"

namespace pb::policy_parse {

namespace {

constexpr std::size_t kMaxAcknowledgementBytes = 1024;

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

}  // namespace

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

bool readRequiredWord(YamlMapReader& r, std::string_view key, std::string& out,
                      const std::vector<std::string_view>& vocab) {
  if (r.has(key)) return readWord(r, key, out, vocab);
  r.report(key, "required key is missing");
  return false;
}

bool readWordList(YamlMapReader& r, std::string_view key, std::vector<std::string>& out,
                  const std::vector<std::string_view>& vocab, std::size_t minItems) {
  const YamlNode* seq = yamlBoundedSequence(r, key, vocab.size());
  if (seq == nullptr) return false;
  if (seq->items.size() < minItems) {
    r.issues().add(seq->mark, r.pathOf(key),
                   "must list at least " + std::to_string(minItems) + " of " + joinWords(vocab));
    return false;
  }
  auto list = yamlUniqueItems<std::string>(
      *seq, r.pathOf(key), r.issues(),
      [&](const YamlNode& item, const std::string& itemPath) -> std::optional<std::string> {
        auto v = yamlReadString(item, itemPath, r.issues(), 64);
        if (v && !inVocabulary(vocab, *v)) {
          r.issues().add(item.mark, itemPath,
                         "expected " + joinWords(vocab) + ", got " + yamlQuote(*v));
          return std::nullopt;
        }
        return v;
      },
      [](const std::string& v) { return v; });
  std::sort(list.values.begin(), list.values.end());  // a set: the order written means nothing
  if (list.ok) out = std::move(list.values);
  return list.ok;
}

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

bool isEntryName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '.' || c == '_' ||
           c == '-' || c == '(' || c == ')';
  });
}

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

}  // namespace pb::policy_parse
