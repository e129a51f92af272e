// SPDX-License-Identifier: Apache-2.0
// Parses YAML text into a small owned tree that keeps what strict loaders need and yaml-cpp's
// Node API hides: the position of every key and value, whether a scalar was quoted, and every
// duplicate key (yaml-cpp 0.7 silently keeps one of them).
//
// Deliberately a subset of YAML: one document; mapping keys are scalars; no anchors, aliases or
// explicit tags. Configuration and policy never need them, and each would let one file mean
// something other than what it visibly says (or, for aliases, grow exponentially when walked).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yaml/yaml_issues.hpp"

namespace pb {

enum class YamlKind { Null, Scalar, Sequence, Mapping };

struct YamlEntry;

struct YamlNode {
  YamlKind kind = YamlKind::Null;
  YamlMark mark;
  std::string scalar;              // Scalar only, valid UTF-8
  bool quoted = false;             // Scalar only: quoted or block scalar, so never a number/bool
  std::vector<YamlNode> items;     // Sequence only
  std::vector<YamlEntry> entries;  // Mapping only, document order, keys unique

  // The entry for `key`, or nullptr.
  [[nodiscard]] const YamlEntry* find(std::string_view key) const;
};

struct YamlEntry {
  std::string key;
  YamlMark keyMark;
  YamlNode value;
};

struct YamlLimits {
  std::size_t maxBytes = 1024 * 1024;
  int maxDepth = 32;              // nested sequences/mappings
  std::size_t maxNodes = 100000;  // bounds memory: every node costs ~150 bytes
};

// Parses exactly one YAML document. Empty input (or only comments) gives a Null root. On any
// syntax or limit problem the issues say where and nullopt is returned; issues that still leave a
// usable tree (duplicate key, anchor, tag) are added and the tree is returned, so the caller can
// go on and report everything else in the same run.
std::optional<YamlNode> parseYaml(std::string_view text, YamlIssues& issues,
                                  const YamlLimits& limits = {});

// "null", "a string", "a sequence", "a mapping": for "expected X, got Y" messages.
std::string_view yamlKindName(const YamlNode& node);

}  // namespace pb
