// SPDX-License-Identifier: Apache-2.0
// The schema matches the loader: the template loads, its YAML (as JSON) validates against the
// schema, every schema property appears in the template, and what the schema refuses the loader
// refuses too. The validator covers exactly the subset of JSON Schema policyJsonSchema() emits.
#include "policy/policy_schema.hpp"

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "policy/policy.hpp"
#include "yaml/yaml_document.hpp"

namespace pb {
namespace {

using nlohmann::json;

// YAML tree -> JSON with YAML 1.2 core typing of plain scalars (what the loader accepts).
json toJson(const YamlNode& n) {
  switch (n.kind) {
    case YamlKind::Null:
      return nullptr;
    case YamlKind::Scalar:
      if (!n.quoted && (n.scalar == "true" || n.scalar == "false")) return n.scalar == "true";
      if (!n.quoted && !n.scalar.empty() && n.scalar.size() < 19 &&
          n.scalar.find_first_not_of("0123456789") == std::string::npos) {
        return std::stoull(n.scalar);
      }
      return n.scalar;
    case YamlKind::Sequence: {
      json a = json::array();
      for (const auto& i : n.items) a.push_back(toJson(i));
      return a;
    }
    case YamlKind::Mapping: {
      json o = json::object();
      for (const auto& e : n.entries) o[e.key] = toJson(e.value);
      return o;
    }
  }
  return nullptr;
}

json yamlToJson(std::string_view text) {
  YamlIssues issues("t.yaml");
  auto root = parseYaml(text, issues);
  EXPECT_TRUE(root.has_value() && issues.empty()) << issues.format();
  return root ? toJson(*root) : json();
}

// Validates `v` against the schema subset: type, properties, additionalProperties (false or a
// schema), required, propertyNames.pattern, minProperties, items, minItems, maxItems, uniqueItems,
// enum, minimum, maximum, minLength, maxLength, pattern. Problems are appended to `out`.
void validate(const json& s, const json& v, const std::string& path,
              std::vector<std::string>& out) {
  auto fail = [&](const std::string& m) { out.push_back(path + ": " + m); };
  const std::string type = s.value("type", "");
  if (type == "object") {
    if (!v.is_object()) return fail("not an object");
    for (const auto& r : s.value("required", json::array())) {
      if (!v.contains(r.get<std::string>())) fail("missing " + r.get<std::string>());
    }
    if (s.contains("minProperties") && v.size() < s["minProperties"].get<std::size_t>()) {
      fail("too few properties");
    }
    for (const auto& [k, sub] : v.items()) {
      if (s.contains("propertyNames") &&
          !std::regex_search(k, std::regex(s["propertyNames"]["pattern"].get<std::string>()))) {
        fail("property name " + k + " does not match");
      }
      if (s.contains("properties") && s["properties"].contains(k)) {
        validate(s["properties"][k], sub, path + "." + k, out);
      } else if (s.contains("additionalProperties")) {
        const json& ap = s["additionalProperties"];
        if (ap.is_boolean() && !ap.get<bool>()) {
          fail("unknown property " + k);
        } else if (ap.is_object()) {
          validate(ap, sub, path + "." + k, out);
        }
      }
    }
  } else if (type == "array") {
    if (!v.is_array()) return fail("not an array");
    if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) fail("too short");
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<std::size_t>()) fail("too long");
    if (s.value("uniqueItems", false)) {
      std::set<std::string> seen;
      for (const auto& i : v) {
        if (!seen.insert(i.dump()).second) fail("duplicate item");
      }
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      validate(s["items"], v[i], path + "[" + std::to_string(i) + "]", out);
    }
  } else if (type == "string") {
    if (!v.is_string()) return fail("not a string");
    const auto& str = v.get_ref<const std::string&>();
    if (s.contains("minLength") && str.size() < s["minLength"].get<std::size_t>()) fail("short");
    if (s.contains("maxLength") && str.size() > s["maxLength"].get<std::size_t>()) fail("long");
    if (s.contains("pattern") &&
        !std::regex_search(str, std::regex(s["pattern"].get<std::string>()))) {
      fail("does not match " + s["pattern"].get<std::string>());
    }
  } else if (type == "integer") {
    if (!v.is_number_integer()) return fail("not an integer");
    if (s.contains("minimum") && v.get<std::int64_t>() < s["minimum"].get<std::int64_t>()) {
      fail("below minimum");
    }
    if (s.contains("maximum") && v.get<std::int64_t>() > s["maximum"].get<std::int64_t>()) {
      fail("above maximum");
    }
  } else if (type == "boolean") {
    if (!v.is_boolean()) return fail("not a boolean");
  }
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) fail("not one of " + s["enum"].dump());
  }
}

std::vector<std::string> problems(const json& v) {
  std::vector<std::string> out;
  validate(policyJsonSchema(), v, "$", out);
  return out;
}

// Every property path the schema names, "tpm.golden_pcrs[].model" style.
void schemaPaths(const json& s, const std::string& path, std::set<std::string>& out) {
  if (s.value("type", "") == "object" && s.contains("properties")) {
    for (const auto& [k, sub] : s["properties"].items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      out.insert(p);
      schemaPaths(sub, p, out);
    }
  } else if (s.value("type", "") == "array") {
    schemaPaths(s["items"], path + "[]", out);
  }
}

void valuePaths(const json& v, const std::string& path, std::set<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, sub] : v.items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      out.insert(p);
      valuePaths(sub, p, out);
    }
  } else if (v.is_array()) {
    for (const auto& i : v) valuePaths(i, path + "[]", out);
  }
}

TEST(PolicySchema, IsDraft2020AndClosed) {
  const json s = policyJsonSchema();
  EXPECT_EQ(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(s["additionalProperties"], false);
  EXPECT_EQ(s["required"], json({"name", "tenant"}));
}

TEST(PolicySchema, TemplateLoadsAndValidates) {
  auto loaded = parsePolicy(policyTemplateYaml(), "template.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(riskWarnings(*loaded).empty());
  const auto found = problems(yamlToJson(policyTemplateYaml()));
  EXPECT_TRUE(found.empty()) << found.front();
}

TEST(PolicySchema, EverySchemaPropertyIsInTheTemplate) {
  std::set<std::string> schema;
  std::set<std::string> inTemplate;
  schemaPaths(policyJsonSchema(), "", schema);
  valuePaths(yamlToJson(policyTemplateYaml()), "", inTemplate);
  for (const auto& p : schema) {
    // The template keeps every secure default, so it has nothing to acknowledge.
    if (p.size() >= 16 && p.substr(p.size() - 16) == "acknowledge_risk") continue;
    EXPECT_TRUE(inTemplate.contains(p)) << p << " is in the schema but not in the template";
  }
  for (const auto& p : inTemplate) {
    if (p.find("golden_pcrs[].pcrs.") != std::string::npos ||
        p.find("minimum_me_firmware.") != std::string::npos) {
      continue;  // map keys, described by propertyNames
    }
    EXPECT_TRUE(schema.contains(p)) << p << " is in the template but not in the schema";
  }
}

TEST(PolicySchema, ExamplesValidate) {
  for (const char* name : {"default.yaml", "lab-relaxed.yaml", "corporate-laptops.yaml"}) {
    auto text = [&] {
      auto r = loadPolicyFile(std::string(PB_SOURCE_DIR "/policy/examples/") + name);
      EXPECT_TRUE(r.ok()) << name;
      std::ifstream in(std::string(PB_SOURCE_DIR "/policy/examples/") + name);
      return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const auto found = problems(yamlToJson(text));
    EXPECT_TRUE(found.empty()) << name << ": " << found.front();
  }
}

TEST(PolicySchema, WhatTheSchemaRefusesTheLoaderRefuses) {
  const std::string header = "name: p\ntenant: {id: t}\n";
  for (const std::string body :
       {"tpm: {pcr_bank: md5}\n", "amt: {presence: maybe}\n", "kiosk: {show_serial: true}\n",
        "tpm: {nonce_lifetime_seconds: 601}\n", "credentials: {delivery_channels: [fax]}\n",
        "enrollment: {windows: [{start: \"2026-01-01\"}]}\n", "tpm: {pcr_selection: [24]}\n",
        "amt: {hello_listener_port: 65536}\n", "unknown: 1\n"}) {
    EXPECT_FALSE(problems(yamlToJson(header + body)).empty()) << body;
    EXPECT_FALSE(parsePolicy(header + body, "p.yaml").ok()) << body;
  }
}

}  // namespace
}  // namespace pb
