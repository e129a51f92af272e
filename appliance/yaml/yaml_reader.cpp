// SPDX-License-Identifier: Apache-2.0
#include "yaml/yaml_reader.hpp"

#include <algorithm>
#include <utility>

namespace pb {

namespace {

// Edit distance counting an adjacent transposition as one edit ("prot" -> "port"), the most
// common typo in keys (optimal string alignment distance).
std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev2(b.size() + 1);
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The closest known key if it is a plausible typo: at most 2 edits and under half the length.
std::optional<std::string> suggestion(std::string_view unknown,
                                      const std::vector<std::string>& known) {
  if (unknown.size() > 64) return std::nullopt;  // keeps the distance computation cheap
  std::optional<std::string> best;
  std::size_t bestDistance = 3;
  for (const auto& k : known) {
    const std::size_t d = editDistance(unknown, k);
    if (d < bestDistance && d * 2 < std::max(unknown.size(), k.size())) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

bool isPlainInteger(const YamlNode& node) {
  if (node.kind != YamlKind::Scalar || node.quoted || node.scalar.empty()) return false;
  return std::all_of(node.scalar.begin(), node.scalar.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::string got(const YamlNode& node) {
  if (node.kind != YamlKind::Scalar) return std::string(yamlKindName(node));
  return (node.quoted ? "the quoted string " : "") + yamlQuote(node.scalar);
}

}  // namespace

std::string yamlJoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out(path);
  out += '.';
  out += key;
  return out;
}

std::string yamlIndexPath(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

std::optional<std::string> yamlReadString(const YamlNode& node, const std::string& path,
                                          YamlIssues& issues, std::size_t maxLen, bool allowEmpty) {
  if (node.kind != YamlKind::Scalar) {
    issues.add(node.mark, path, "expected a string, got " + std::string(yamlKindName(node)));
    return std::nullopt;
  }
  const std::string& s = node.scalar;
  if (s.empty() && !allowEmpty) {
    issues.add(node.mark, path, "must not be empty");
    return std::nullopt;
  }
  if (s.size() > maxLen) {
    issues.add(node.mark, path, "longer than " + std::to_string(maxLen) + " bytes");
    return std::nullopt;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      issues.add(node.mark, path, "contains a control character (tab, newline, ...)");
      return std::nullopt;
    }
  }
  return s;
}

std::optional<bool> yamlReadBool(const YamlNode& node, const std::string& path,
                                 YamlIssues& issues) {
  if (node.kind == YamlKind::Scalar && !node.quoted) {
    const std::string& s = node.scalar;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  issues.add(node.mark, path, "expected true or false, got " + got(node));
  return std::nullopt;
}

std::optional<std::uint64_t> yamlReadUnsigned(const YamlNode& node, const std::string& path,
                                              YamlIssues& issues, std::uint64_t min,
                                              std::uint64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!isPlainInteger(node)) {
    issues.add(node.mark, path, "expected an integer in " + range + ", got " + got(node));
    return std::nullopt;
  }
  std::uint64_t v = 0;
  bool overflow = false;
  for (char c : node.scalar) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      overflow = true;
      break;
    }
    v = v * 10 + digit;
  }
  if (overflow || v < min || v > max) {
    issues.add(node.mark, path, "must be in " + range + ", got " + yamlQuote(node.scalar));
    return std::nullopt;
  }
  return v;
}

YamlMapReader::YamlMapReader(const YamlNode& node, std::string path, YamlIssues& issues)
    : node_(node), path_(std::move(path)), issues_(issues) {
  if (!isMapping()) {
    issues_.add(node_.mark, path_, "expected a mapping, got " + std::string(yamlKindName(node_)));
  }
}

YamlMapReader::~YamlMapReader() {
  finish();
}

const YamlEntry* YamlMapReader::lookup(std::string_view key, Presence presence) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (!isMapping()) return nullptr;
  const YamlEntry* e = node_.find(key);
  if (e == nullptr && presence == Presence::Required) {
    issues_.add(node_.mark, pathOf(key), "required key is missing");
  }
  return e;
}

bool YamlMapReader::readString(std::string_view key, std::string& out, Presence presence,
                               std::size_t maxLen, bool allowEmpty) {
  const YamlEntry* e = lookup(key, presence);
  if (e == nullptr) return false;
  auto v = yamlReadString(e->value, pathOf(key), issues_, maxLen, allowEmpty);
  if (!v) return false;
  out = std::move(*v);
  return true;
}

bool YamlMapReader::readBool(std::string_view key, bool& out, Presence presence) {
  const YamlEntry* e = lookup(key, presence);
  if (e == nullptr) return false;
  auto v = yamlReadBool(e->value, pathOf(key), issues_);
  if (!v) return false;
  out = *v;
  return true;
}

bool YamlMapReader::readStringList(std::string_view key, std::vector<std::string>& out,
                                   std::size_t maxItems, Presence presence, std::size_t maxLen) {
  const YamlNode* seq = getSequence(key, presence);
  if (seq == nullptr) return false;
  const std::string path = pathOf(key);
  if (seq->items.size() > maxItems) {
    issues_.add(seq->mark, path, "more than " + std::to_string(maxItems) + " items");
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    auto v = yamlReadString(seq->items[i], yamlIndexPath(path, i), issues_, maxLen);
    if (v) {
      values.push_back(std::move(*v));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

const YamlNode* YamlMapReader::get(std::string_view key, Presence presence) {
  const YamlEntry* e = lookup(key, presence);
  return e == nullptr ? nullptr : &e->value;
}

const YamlNode* YamlMapReader::getMapping(std::string_view key, Presence presence) {
  const YamlNode* n = get(key, presence);
  if (n == nullptr) return nullptr;
  if (n->kind != YamlKind::Mapping) {
    issues_.add(n->mark, pathOf(key), "expected a mapping, got " + std::string(yamlKindName(*n)));
    return nullptr;
  }
  return n;
}

const YamlNode* YamlMapReader::getSequence(std::string_view key, Presence presence) {
  const YamlNode* n = get(key, presence);
  if (n == nullptr) return nullptr;
  if (n->kind != YamlKind::Sequence) {
    issues_.add(n->mark, pathOf(key), "expected a sequence, got " + std::string(yamlKindName(*n)));
    return nullptr;
  }
  return n;
}

bool YamlMapReader::has(std::string_view key) {
  return lookup(key, Presence::Optional) != nullptr;
}

void YamlMapReader::report(std::string_view key, std::string message) {
  issues_.add(markOf(key), pathOf(key), std::move(message));
}

YamlMark YamlMapReader::markOf(std::string_view key) const {
  if (!isMapping()) return node_.mark;
  const YamlEntry* e = node_.find(key);
  return e == nullptr ? node_.mark : e->value.mark;
}

void YamlMapReader::finish() {
  if (finished_) return;
  finished_ = true;
  if (!isMapping()) return;
  for (const auto& e : node_.entries) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::string message = "unknown key";
    if (issues_.full()) {
      issues_.add(e.keyMark, path_, message);  // only counted; skip the suggestion search
      continue;
    }
    if (auto s = suggestion(e.key, known_)) message += " (did you mean '" + *s + "'?)";
    issues_.add(e.keyMark, yamlJoinPath(path_, yamlPrintable(e.key)), message);
  }
}

}  // namespace pb
