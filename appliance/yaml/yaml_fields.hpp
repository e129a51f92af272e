// SPDX-License-Identifier: Apache-2.0
// Field readers every YAML loader needs on top of YamlMapReader: where an earlier occurrence
// stands, absolute paths, bounded lists whose items must be unique, lists of mappings with a
// unique name, and reading a bounded regular file. They report the way YamlMapReader does (at the
// value, under its key path) and go on, so one run still reports every problem.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

// "line L, column C": where an earlier occurrence stands, for "duplicate of ..." messages.
std::string yamlWhere(const YamlMark& m);

// A path must be absolute with no "." or ".." components: what a file name means must be obvious
// from the text. The problem, or nullopt.
std::optional<std::string> yamlPathProblem(std::string_view p);

// readString (at most 4095 bytes) of an absolute path (yamlPathProblem), trailing slashes dropped.
// True if `out` was set.
bool yamlReadAbsolutePath(YamlMapReader& r, std::string_view key, std::string& out,
                          Presence presence = Presence::Optional);

// The sequence at `key` if present and of at most maxItems items; more is reported at the sequence
// ("more than N <noun>") and gives nullptr, like an absent key.
const YamlNode* yamlBoundedSequence(YamlMapReader& r, std::string_view key, std::size_t maxItems,
                                    std::string_view noun = "items");

template <class T>
struct YamlUniqueItems {
  std::vector<T> values;  // the valid, unique items in the order written
  bool ok = true;         // false if any item was invalid or a repeat
};

// The bounded, de-duplicated list loop. readItem(const YamlNode& item, const std::string& itemPath)
// -> std::optional<T> reads and checks one item, reporting its own problems (nullopt: invalid);
// keyOf(const T&) is what makes two items the same; a repeat is reported at the later item as
// "duplicate of the item at <first>".
template <class T, class ReadItem, class KeyOf>
YamlUniqueItems<T> yamlUniqueItems(const YamlNode& seq, const std::string& path, YamlIssues& issues,
                                   ReadItem readItem, KeyOf keyOf) {
  YamlUniqueItems<T> out;
  std::map<std::decay_t<decltype(keyOf(std::declval<const T&>()))>, YamlMark> seen;
  for (std::size_t i = 0; i < seq.items.size(); ++i) {
    const YamlNode& item = seq.items[i];
    const std::string itemPath = yamlIndexPath(path, i);
    std::optional<T> value = readItem(item, itemPath);
    if (!value) {
      out.ok = false;
    } else if (auto [it, fresh] = seen.emplace(keyOf(*value), item.mark); !fresh) {
      issues.add(item.mark, itemPath, "duplicate of the item at " + yamlWhere(it->second));
      out.ok = false;
    } else {
      out.values.push_back(std::move(*value));
    }
  }
  return out;
}

// yamlBoundedSequence then yamlUniqueItems; nullopt when the key is absent or the list too long.
template <class T, class ReadItem, class KeyOf>
std::optional<YamlUniqueItems<T>> yamlForEachUnique(YamlMapReader& r, std::string_view key,
                                                    std::size_t maxItems, ReadItem readItem,
                                                    KeyOf keyOf) {
  const YamlNode* seq = yamlBoundedSequence(r, key, maxItems);
  if (seq == nullptr) return std::nullopt;
  return yamlUniqueItems<T>(*seq, r.pathOf(key), r.issues(), readItem, keyOf);
}

// Parses `text` (at most maxBytes) and reads its root mapping into `value` with
// readRoot(YamlMapReader& root, T& value). The value only if there was no issue at all; else an
// Error with code `errorCode` listing every issue (a loader never applies half a file).
template <class T, class ReadRoot>
Result<T> yamlReadDocument(std::string_view text, const std::string& fileName, std::size_t maxBytes,
                           const std::string& errorCode, T value, ReadRoot readRoot) {
  YamlIssues issues(fileName);
  YamlLimits limits;
  limits.maxBytes = maxBytes;
  std::optional<YamlNode> root = parseYaml(text, issues, limits);
  if (!root) return issues.toError(errorCode);
  {
    YamlMapReader r(*root, "", issues);
    readRoot(r, value);
  }  // the reader reports unknown top-level keys here
  if (!issues.empty()) return issues.toError(errorCode);
  return value;
}

// The mapping at `key`, read by fn(YamlMapReader& section), whose reader reports its unknown keys
// when fn returns. False when the key is absent (reported if required) or not a mapping.
template <class Fn>
bool yamlReadMapping(YamlMapReader& parent, std::string_view key, Fn fn,
                     Presence presence = Presence::Optional) {
  const YamlNode* node = parent.getMapping(key, presence);
  if (node == nullptr) return false;
  YamlMapReader section(*node, parent.pathOf(key), parent.issues());
  fn(section);
  return true;
}

// A bounded sequence of mappings: fn(YamlMapReader& item) for each item, whose reader reports its
// unknown keys when fn returns. False when the key is absent or the list too long.
template <class Fn>
bool yamlForEachMapping(YamlMapReader& r, std::string_view key, std::size_t maxItems,
                        std::string_view noun, Fn fn) {
  const YamlNode* seq = yamlBoundedSequence(r, key, maxItems, noun);
  if (seq == nullptr) return false;
  const std::string path = r.pathOf(key);
  for (std::size_t i = 0; i < seq->items.size(); ++i) {
    YamlMapReader item(seq->items[i], yamlIndexPath(path, i), r.issues());
    fn(item);
  }
  return true;
}

// The required name of one item of a list of mappings (at most maxLen bytes): checked by `valid`
// when given (else "expected <pattern>, got ...") and unique in `seen` (else "duplicate <noun>
// '...' (first at ...)"). True if present, valid and new.
bool yamlReadUniqueName(YamlMapReader& item, std::string_view key, std::string& out,
                        std::size_t maxLen, std::map<std::string, YamlMark>& seen,
                        std::string_view noun, bool (*valid)(std::string_view) = nullptr,
                        std::string_view pattern = {});

// The text of a configuration file (config, policy): it must be a regular file, since a FIFO or a
// device would block or never end, of at most maxBytes (readFileBounded).
Result<std::string> readYamlFile(const std::string& path, std::size_t maxBytes);

}  // namespace pb
