// SPDX-License-Identifier: Apache-2.0
// The YAML form of the register, through the shared strict layer (no anchors/aliases/tags,
// duplicate keys reported).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "registry/registry_detail.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb::registry_detail {

namespace {

void parseYamlDevice(const YamlNode& item, RowBuilder& builder, RegistryParse& out) {
  const int rowLine = item.mark.line;
  if (item.kind != YamlKind::Mapping) {
    out.errors.push_back({rowLine, "",
                          "each device must be a mapping of column names to values, not " +
                              std::string(yamlKindName(item))});
    return;
  }
  RawRow raw;
  bool bad = false;
  for (const auto& entry : item.entries) {
    const std::string& key = entry.key;
    if (!isKnownColumn(key)) {
      out.errors.push_back(
          {entry.keyMark.line, yamlPrintable(key), "unknown key " + yamlQuote(key)});
      bad = true;
      continue;
    }
    auto column = *std::find(kColumns.begin(), kColumns.end(), key);
    const YamlNode& value = entry.value;
    if (value.kind == YamlKind::Null) {
      raw[column] = RawField{"", value.mark.line, true};
    } else if (value.kind == YamlKind::Scalar) {
      raw[column] = RawField{value.scalar, value.mark.line, true};
    } else {
      out.errors.push_back(
          {value.mark.line, key,
           key + " must be a single value, not " + std::string(yamlKindName(value))});
      bad = true;
    }
  }
  if (bad) return;  // the row's remaining problems are reported once these are fixed
  builder.add(raw, rowLine);
}

}  // namespace

void parseYaml(std::string_view text, std::int64_t now, RegistryParse& out) {
  YamlIssues issues("", kMaxParseIssues);
  YamlLimits limits;
  limits.maxBytes = kMaxRegistryBytes;
  limits.maxDepth = 8;                           // root -> devices -> device -> value needs 4
  limits.maxNodes = kMaxRegistryRows * 12 + 64;  // a device is 10 nodes; bounds memory
  std::optional<YamlNode> root = parseYaml(text, issues, limits);
  const std::vector<YamlIssue> kept = issues.sorted();
  for (const auto& issue : kept) out.errors.push_back({issue.line, issue.keyPath, issue.message});
  if (issues.size() > kept.size()) {
    out.errors.push_back(
        {0, "", std::to_string(issues.size() - kept.size()) + " further YAML problems not shown"});
  }
  if (!root) return;  // a syntax or limit problem: there is no tree to look at

  const YamlNode* list = &*root;
  if (root->kind == YamlKind::Null) {
    out.errors.push_back({1, "", "the file is empty: expected a list of devices"});
    return;
  }
  if (root->kind == YamlKind::Mapping) {
    list = nullptr;
    for (const auto& entry : root->entries) {
      if (entry.key == "devices") {
        list = &entry.value;
      } else {
        out.errors.push_back(
            {entry.keyMark.line, yamlPrintable(entry.key),
             "unknown top-level key " + yamlQuote(entry.key) + " (expected 'devices')"});
      }
    }
    if (list == nullptr) {
      if (out.errors.empty()) {
        out.errors.push_back({root->mark.line, "devices", "missing 'devices' list"});
      }
      return;
    }
    if (list->kind == YamlKind::Null) return;  // `devices:` with nothing under it: empty register
  }
  if (list->kind != YamlKind::Sequence) {
    out.errors.push_back({list->mark.line, "",
                          "expected a list of devices (a sequence of mappings), not " +
                              std::string(yamlKindName(*list))});
    return;
  }
  if (list->items.size() > kMaxRegistryRows) {
    return tooManyRows(out, list->items[kMaxRegistryRows].mark.line);
  }
  RowBuilder builder(now, out);
  for (const auto& item : list->items) parseYamlDevice(item, builder, out);
}

}  // namespace pb::registry_detail
