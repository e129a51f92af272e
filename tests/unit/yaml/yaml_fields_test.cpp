// SPDX-License-Identifier: Apache-2.0
// The shared field readers of yaml_fields.hpp: each check with the input it refuses.
#include "yaml/yaml_fields.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {
namespace {

// Reads the list `xs` of small numbers, unique by value.
std::optional<YamlUniqueItems<std::uint64_t>> readNumbers(const std::string& text,
                                                          YamlIssues& issues,
                                                          std::size_t maxItems) {
  auto root = parseYaml(text, issues, {});
  if (!root) return std::nullopt;
  YamlMapReader r(*root, "", issues);
  return yamlForEachUnique<std::uint64_t>(
      r, "xs", maxItems,
      [&](const YamlNode& item, const std::string& path) {
        return yamlReadUnsigned(item, path, issues, 0, 9);
      },
      [](std::uint64_t v) { return v; });
}

TEST(YamlFields, UniqueItemsKeepsValidOnesInOrder) {
  YamlIssues issues("f.yaml");
  auto list = readNumbers("xs: [3, 1, 2]\n", issues, 8);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->ok);
  EXPECT_EQ(list->values, (std::vector<std::uint64_t>{3, 1, 2}));
  EXPECT_TRUE(issues.empty());
}

TEST(YamlFields, UniqueItemsReportsARepeatAtTheLaterItemAndSkipsInvalidOnes) {
  YamlIssues issues("f.yaml");
  auto list = readNumbers("xs:\n  - 1\n  - 1\n  - 42\n", issues, 8);
  ASSERT_TRUE(list);
  EXPECT_FALSE(list->ok);
  EXPECT_EQ(list->values, (std::vector<std::uint64_t>{1}));
  const std::string text = issues.format();
  EXPECT_EQ(issues.size(), 2u) << text;
  EXPECT_NE(text.find("f.yaml:3:5: xs[1]: duplicate of the item at line 2, column 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("xs[2]:"), std::string::npos) << text;
}

TEST(YamlFields, TooLongAListIsReportedAtTheSequenceAndNotRead) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(readNumbers("xs: [1, 2, 3]\n", issues, 2));
  EXPECT_NE(issues.format().find("xs: more than 2 items"), std::string::npos);
}

TEST(YamlFields, AbsentListIsNotAnError) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(readNumbers("{}\n", issues, 2));
  EXPECT_TRUE(issues.empty());
}

TEST(YamlFields, PathProblemRefusesRelativeAndDotComponents) {
  EXPECT_EQ(yamlPathProblem("/etc/provbench"), std::nullopt);
  EXPECT_EQ(yamlPathProblem("etc/x"), "must be an absolute path");
  EXPECT_EQ(yamlPathProblem(""), "must be an absolute path");
  EXPECT_EQ(yamlPathProblem("/a/../b"), "must not contain '.' or '..' components");
  EXPECT_EQ(yamlPathProblem("/a/."), "must not contain '.' or '..' components");
  EXPECT_EQ(yamlPathProblem("/a/..b"), std::nullopt);  // a name, not a component
}

TEST(YamlFields, UniqueNameChecksPatternThenRepeats) {
  YamlIssues issues("f.yaml");
  auto root = parseYaml("items:\n  - name: a\n  - name: a\n  - name: B\n", issues, {});
  ASSERT_TRUE(root);
  std::vector<std::string> names;
  {
    YamlMapReader r(*root, "", issues);
    std::map<std::string, YamlMark> seen;
    EXPECT_TRUE(yamlForEachMapping(r, "items", 8, "items", [&](YamlMapReader& item) {
      std::string name;
      if (yamlReadUniqueName(
              item, "name", name, 8, seen, "name",
              [](std::string_view s) { return s == "a" || s == "b"; }, "a or b")) {
        names.push_back(name);
      }
    }));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a"}));
  const std::string text = issues.format();
  EXPECT_NE(text.find("items[1].name: duplicate name 'a' (first at line 2, column 11)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("items[2].name: expected a or b, got 'B'"), std::string::npos) << text;
}

TEST(YamlFields, ReadYamlFileRefusesWhatIsNotARegularFile) {
  auto missing = readYamlFile("/nonexistent/provbench.yaml", 1024);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io");
  auto dir = readYamlFile("/", 1024);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message, "/ is not a regular file");
}

}  // namespace
}  // namespace pb
