// SPDX-License-Identifier: Apache-2.0
// Strict, typed reading of a parsed YAML tree. Every problem becomes a YamlIssue at the value's
// position and reading goes on, so one run reports everything:
//   - a key no one asked for is an "unknown key" (with a suggestion for a near miss),
//   - a value of the wrong type or out of range is reported where it is written,
//   - a missing required key is reported at the position of the mapping that lacks it.
//
// Usage:
//   YamlMapReader r(root, "", issues);
//   r.readString("bench_id", cfg.benchId, Presence::Required);
//   if (const YamlNode* l = r.getMapping("agent_listener")) {
//     YamlMapReader lr(*l, r.pathOf("agent_listener"), issues);
//     lr.readUnsigned("port", cfg.listenPort, 0, 65535);
//   }  // lr reports its unknown keys here
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb {

enum class Presence { Optional, Required };

// "a.b" / "b" for root; "a[3]" for sequence items.
std::string yamlJoinPath(std::string_view path, std::string_view key);
std::string yamlIndexPath(std::string_view path, std::size_t index);

// Typed reads of a single node; an issue (at the node, under `path`) and nullopt when wrong.
// Strings: any scalar, valid UTF-8, no control characters, 1..maxLen bytes unless allowEmpty.
std::optional<std::string> yamlReadString(const YamlNode& node, const std::string& path,
                                          YamlIssues& issues, std::size_t maxLen = 4096,
                                          bool allowEmpty = false);
// Booleans: plain true/false (also True/TRUE/False/FALSE, as YAML 1.2). yes/no/on/off are
// rejected: they are strings in YAML 1.2 and a common source of surprises.
std::optional<bool> yamlReadBool(const YamlNode& node, const std::string& path, YamlIssues& issues);
// Unsigned integers: plain decimal digits only (no sign, hex, octal, underscores or quotes).
std::optional<std::uint64_t> yamlReadUnsigned(const YamlNode& node, const std::string& path,
                                              YamlIssues& issues, std::uint64_t min,
                                              std::uint64_t max);

class YamlMapReader {
 public:
  // `node` and `issues` must outlive the reader. A node that is not a mapping is reported once and
  // then read as an empty mapping without "missing key" noise, so callers need no special path.
  YamlMapReader(const YamlNode& node, std::string path, YamlIssues& issues);
  // Reports unknown keys if finish() was not called: forgetting it cannot make a typo pass.
  ~YamlMapReader();
  YamlMapReader(const YamlMapReader&) = delete;
  YamlMapReader& operator=(const YamlMapReader&) = delete;

  [[nodiscard]] bool isMapping() const { return node_.kind == YamlKind::Mapping; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] YamlIssues& issues() { return issues_; }
  [[nodiscard]] std::string pathOf(std::string_view key) const { return yamlJoinPath(path_, key); }

  // Each accessor declares `key` known. An absent optional key leaves `out` unchanged (the
  // default); true only if the key was present and its value valid (and then `out` is set).
  bool readString(std::string_view key, std::string& out, Presence presence = Presence::Optional,
                  std::size_t maxLen = 4096, bool allowEmpty = false);
  bool readBool(std::string_view key, bool& out, Presence presence = Presence::Optional);
  template <class UInt>
  bool readUnsigned(std::string_view key, UInt& out, std::uint64_t min, std::uint64_t max,
                    Presence presence = Presence::Optional);
  // A sequence of strings; maxItems bounds the list, each item as yamlReadString.
  bool readStringList(std::string_view key, std::vector<std::string>& out, std::size_t maxItems,
                      Presence presence = Presence::Optional, std::size_t maxLen = 4096);

  // The value node for `key` of any kind, or nullptr when absent (reported if required).
  const YamlNode* get(std::string_view key, Presence presence = Presence::Optional);
  // As get(), but the value must be a mapping / sequence (else reported, nullptr).
  const YamlNode* getMapping(std::string_view key, Presence presence = Presence::Optional);
  const YamlNode* getSequence(std::string_view key, Presence presence = Presence::Optional);
  // True if `key` is present; declares it known.
  bool has(std::string_view key);

  // Adds an issue at the value of `key` (at the mapping if absent), under pathOf(key).
  void report(std::string_view key, std::string message);
  // Position of the value of `key`, or of the mapping if absent.
  [[nodiscard]] YamlMark markOf(std::string_view key) const;

  // Reports every key that no accessor declared. Idempotent.
  void finish();

 private:
  const YamlEntry* lookup(std::string_view key, Presence presence);

  const YamlNode& node_;
  std::string path_;
  YamlIssues& issues_;
  std::vector<std::string> known_;
  bool finished_ = false;
};

template <class UInt>
bool YamlMapReader::readUnsigned(std::string_view key, UInt& out, std::uint64_t min,
                                 std::uint64_t max, Presence presence) {
  static_assert(std::numeric_limits<UInt>::is_integer && !std::numeric_limits<UInt>::is_signed);
  if (max > std::numeric_limits<UInt>::max() || min > max) {
    throw std::logic_error("YamlMapReader::readUnsigned: bad range for " + pathOf(key));
  }
  const YamlEntry* e = lookup(key, presence);
  if (e == nullptr) return false;
  auto v = yamlReadUnsigned(e->value, pathOf(key), issues_, min, max);
  if (!v) return false;
  out = static_cast<UInt>(*v);
  return true;
}

}  // namespace pb
