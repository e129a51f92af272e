// SPDX-License-Identifier: Apache-2.0
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "yaml/utf8.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {
namespace {

std::optional<YamlNode> parse(const std::string& text, YamlIssues& issues,
                              const YamlLimits& limits = {}) {
  return parseYaml(text, issues, limits);
}

TEST(YamlIssues, FormatsOneBasedPositionsSortedOnePerLine) {
  YamlIssues issues("f.yaml");
  issues.add(YamlMark{3, 2}, "a.b", "second");
  issues.add(YamlMark{1, 5}, "", "first");
  EXPECT_EQ(issues.format(), "f.yaml:1:5: first\nf.yaml:3:2: a.b: second");
  EXPECT_EQ(issues.toError("x").code, "x");
}

TEST(YamlIssues, BoundedAndCounted) {
  YamlIssues issues("f.yaml", 2);
  for (int i = 0; i < 5; ++i) issues.add(YamlMark{i + 1, 1}, "", "m");
  EXPECT_EQ(issues.size(), 5u);
  EXPECT_TRUE(issues.full());
  EXPECT_EQ(issues.sorted().size(), 2u);
  EXPECT_NE(issues.format().find("3 more issue(s) not shown"), std::string::npos);
}

TEST(YamlQuote, EscapesControlBytesAndCutsLongText) {
  EXPECT_EQ(yamlQuote("a\nb"), "'a\\x0ab'");
  EXPECT_EQ(yamlQuote(std::string(100, 'x'), 4), "'xxxx...'");
  EXPECT_EQ(yamlQuote("\xc3\xa9t\xc3\xa9", 2), "'\xc3\xa9t...'");  // whole characters only
  EXPECT_EQ(yamlQuote("\xff"), "'\\xff'");
  EXPECT_TRUE(isValidUtf8(yamlQuote("\xe2\x82\xac\xe2\x82", 10)));
}

TEST(Utf8, AcceptsValidRejectsOverlongSurrogateAndTruncated) {
  EXPECT_TRUE(isValidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));          // truncated
}

TEST(YamlParse, BuildsTreeWithOneBasedMarksAndQuoting) {
  YamlIssues issues("f.yaml");
  auto root = parse("a: 1\nb: \"2\"\nc:\n  - x\n  - {k: v}\n", issues);
  ASSERT_TRUE(root);
  EXPECT_TRUE(issues.empty()) << issues.format();
  ASSERT_EQ(root->kind, YamlKind::Mapping);
  ASSERT_EQ(root->entries.size(), 3u);
  EXPECT_EQ(root->entries[0].key, "a");
  EXPECT_EQ(root->entries[0].value.mark.line, 1);
  EXPECT_EQ(root->entries[0].value.mark.column, 4);
  EXPECT_FALSE(root->entries[0].value.quoted);
  EXPECT_TRUE(root->find("b")->value.quoted);
  const YamlNode& c = root->find("c")->value;
  ASSERT_EQ(c.kind, YamlKind::Sequence);
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[1].kind, YamlKind::Mapping);
  EXPECT_EQ(c.items[1].mark.line, 5);
  EXPECT_EQ(root->find("missing"), nullptr);
}

TEST(YamlParse, EmptyInputIsNullDocument) {
  YamlIssues issues("f.yaml");
  auto root = parse("# only a comment\n", issues);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->kind, YamlKind::Null);
  EXPECT_TRUE(issues.empty());
}

TEST(YamlParse, EmptyValuePointsAtItsKey) {
  YamlIssues issues("f.yaml");
  auto root = parse("a:\nb: 1\n", issues);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->find("a")->value.kind, YamlKind::Null);
  EXPECT_EQ(root->find("a")->value.mark.line, 1);
}

TEST(YamlParse, DuplicateKeyReportedAtSecondKeepsFirst) {
  YamlIssues issues("f.yaml");
  auto root = parse("x: 1\ny: 2\nx: 3\n", issues);
  ASSERT_TRUE(root);
  EXPECT_EQ(issues.format(), "f.yaml:3:1: duplicate key 'x' (first at line 1, column 1)");
  EXPECT_EQ(root->find("x")->value.scalar, "1");
  EXPECT_EQ(root->entries.size(), 2u);
}

TEST(YamlParse, DuplicateKeyInNestedFlowMapping) {
  YamlIssues issues("f.yaml");
  auto root = parse("a: {k: 1, k: 2}\n", issues);
  ASSERT_TRUE(root);
  EXPECT_EQ(issues.format(), "f.yaml:1:11: duplicate key 'k' (first at line 1, column 5)");
}

TEST(YamlParse, SyntaxErrorBecomesIssueWithOneBasedMark) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(parse("a: 1\n  b: 2\n", issues));
  EXPECT_EQ(issues.format(), "f.yaml:2:4: YAML syntax error: illegal map value");
}

TEST(YamlParse, UnclosedFlowSequenceIsSyntaxError) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(parse("a: [1, 2\nb: 3\n", issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues.format().find("YAML syntax error"), std::string::npos);
}

TEST(YamlParse, RejectsOversizeInput) {
  YamlIssues issues("f.yaml");
  YamlLimits limits;
  limits.maxBytes = 8;
  EXPECT_FALSE(parse("a: 123456789\n", issues, limits));
  EXPECT_EQ(issues.format(), "f.yaml:1:1: the file is larger than 8 bytes");
}

TEST(YamlParse, RejectsDeepNesting) {
  YamlIssues issues("f.yaml");
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_FALSE(parse(deep, issues));
  EXPECT_NE(issues.format().find("nested deeper than 32 levels"), std::string::npos);
  // A depth-bomb of block sequences stops early as well.
  YamlIssues issues2("f.yaml");
  std::string dashes;
  for (int i = 0; i < 100000; ++i) dashes += "- ";
  EXPECT_FALSE(parse(dashes + "x\n", issues2));
  EXPECT_NE(issues2.format().find("nested deeper"), std::string::npos);
}

TEST(YamlParse, RejectsTooManyNodes) {
  YamlIssues issues("f.yaml");
  YamlLimits limits;
  limits.maxNodes = 10;
  EXPECT_FALSE(parse("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", issues, limits));
  EXPECT_NE(issues.format().find("more than 10 nodes"), std::string::npos);
}

TEST(YamlParse, RejectsSecondDocument) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(parse("a: 1\n---\nb: 2\n", issues));
  EXPECT_EQ(issues.format(), "f.yaml:2:1: only one YAML document is allowed");
}

TEST(YamlParse, RejectsInvalidUtf8AndControlCharacters) {
  YamlIssues issues("f.yaml");
  EXPECT_FALSE(parse("a: ok\nb: \xff\n", issues));
  EXPECT_EQ(issues.format(), "f.yaml:2:4: the file is not valid UTF-8");
  YamlIssues nul("f.yaml");
  EXPECT_FALSE(parse(std::string("a: x\0y\n", 7), nul));
  EXPECT_NE(nul.format().find("f.yaml:1:5: control character"), std::string::npos);
  YamlIssues escaped("f.yaml");  // escapes can smuggle what the text check cannot see
  auto root = parse("a: \"x\\0y\"\n", escaped);
  EXPECT_NE(escaped.format().find("NUL"), std::string::npos);
}

TEST(YamlParse, ReportsAnchorsAliasesTagsAndComplexKeys) {
  YamlIssues issues("f.yaml");
  auto root = parse("a: &x 1\nb: *x\nc: !!str 3\n? [k]\n: v\n", issues);
  ASSERT_TRUE(root);
  const std::string f = issues.format();
  EXPECT_NE(f.find("f.yaml:1:4: anchors"), std::string::npos) << f;
  EXPECT_NE(f.find("f.yaml:2:4: aliases"), std::string::npos) << f;
  EXPECT_NE(f.find("f.yaml:3:4: explicit tags"), std::string::npos) << f;
  EXPECT_NE(f.find("mapping keys must be strings"), std::string::npos) << f;
  EXPECT_EQ(issues.size(), 4u) << f;
}

TEST(YamlParse, AliasBombDoesNotExpand) {
  // Each level references the previous twice; walked naively this would be 2^20 nodes.
  std::string text = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 20; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  YamlIssues issues("f.yaml");
  auto root = parse(text, issues);
  ASSERT_TRUE(root);
  EXPECT_FALSE(issues.empty());
}

struct Settings {
  std::string name = "default";
  bool flag = false;
  std::uint16_t port = 1;
  std::uint32_t big = 7;
  std::vector<std::string> list;
};

std::string readSettings(const std::string& text, Settings& s) {
  YamlIssues issues("f.yaml");
  auto root = parseYaml(text, issues);
  if (!root) return issues.format();
  {
    YamlMapReader r(*root, "", issues);
    r.readString("name", s.name, Presence::Required, 16);
    r.readBool("flag", s.flag);
    if (const YamlNode* n = r.getMapping("net")) {
      YamlMapReader nr(*n, r.pathOf("net"), issues);
      nr.readUnsigned("port", s.port, 0, 65535);
      nr.readUnsigned("big", s.big, 1, 4294967295u);
    }
    r.readStringList("list", s.list, 3);
  }
  return issues.format();
}

TEST(YamlMapReader, ReadsValidValuesAndKeepsDefaults) {
  Settings s;
  EXPECT_EQ(readSettings("name: n\nflag: true\nnet:\n  port: 0\nlist: [a, \"b\"]\n", s), "");
  EXPECT_EQ(s.name, "n");
  EXPECT_TRUE(s.flag);
  EXPECT_EQ(s.port, 0);
  EXPECT_EQ(s.big, 7u);  // absent: default kept
  EXPECT_EQ(s.list, (std::vector<std::string>{"a", "b"}));
}

TEST(YamlMapReader, UnknownKeyWithSuggestion) {
  Settings s;
  EXPECT_EQ(readSettings("name: n\nnet:\n  prot: 1\nflga: true\nzzzzzz: 1\n", s),
            "f.yaml:3:3: net.prot: unknown key (did you mean 'port'?)\n"
            "f.yaml:4:1: flga: unknown key (did you mean 'flag'?)\n"
            "f.yaml:5:1: zzzzzz: unknown key");
}

TEST(YamlMapReader, MissingRequiredReportedAtMapping) {
  Settings s;
  EXPECT_EQ(readSettings("flag: false\n", s), "f.yaml:1:1: name: required key is missing");
}

TEST(YamlMapReader, WrongTypesAndRanges) {
  Settings s;
  EXPECT_EQ(readSettings("name: [x]\n"
                         "flag: yes\n"
                         "net:\n"
                         "  port: \"80\"\n"
                         "  big: 4294967296\n"
                         "list: a\n",
                         s),
            "f.yaml:1:7: name: expected a string, got a sequence\n"
            "f.yaml:2:7: flag: expected true or false, got 'yes'\n"
            "f.yaml:4:9: net.port: expected an integer in 0..65535, got the quoted string '80'\n"
            "f.yaml:5:8: net.big: must be in 1..4294967295, got '4294967296'\n"
            "f.yaml:6:7: list: expected a sequence, got a string");
}

TEST(YamlMapReader, IntegerSpellingsAndOverflow) {
  for (const char* bad : {"-1", "+1", "0x10", "1_000", "1.0", "99999999999999999999999", "~"}) {
    Settings s;
    const std::string out = readSettings(std::string("name: n\nnet: {port: ") + bad + "}\n", s);
    EXPECT_NE(out.find("net.port"), std::string::npos) << bad;
    EXPECT_EQ(s.port, 1) << bad;
  }
}

TEST(YamlMapReader, StringLimitsEmptyAndControlCharacters) {
  Settings s;
  EXPECT_EQ(readSettings("name: \"\"\n", s), "f.yaml:1:7: name: must not be empty");
  EXPECT_EQ(readSettings("name: 01234567890123456\n", s), "f.yaml:1:7: name: longer than 16 bytes");
  EXPECT_EQ(readSettings("name: \"a\\tb\"\n", s),
            "f.yaml:1:7: name: contains a control character (tab, newline, ...)");
  EXPECT_EQ(readSettings("name:\n", s), "f.yaml:1:1: name: expected a string, got null");
}

TEST(YamlMapReader, ListBoundsAndItemPaths) {
  Settings s;
  EXPECT_EQ(readSettings("name: n\nlist: [a, b, c, d]\n", s),
            "f.yaml:2:7: list: more than 3 items");
  EXPECT_EQ(readSettings("name: n\nlist:\n  - a\n  - {x: 1}\n", s),
            "f.yaml:4:5: list[1]: expected a string, got a mapping");
}

TEST(YamlMapReader, NonMappingReportedOnceWithoutMissingNoise) {
  Settings s;
  EXPECT_EQ(readSettings("- a\n- b\n", s), "f.yaml:1:1: expected a mapping, got a sequence");
  EXPECT_EQ(readSettings("", s), "f.yaml:1:1: expected a mapping, got null");
  EXPECT_EQ(readSettings("name: n\nnet: 5\n", s),
            "f.yaml:2:6: net: expected a mapping, got a string");
}

TEST(YamlMapReader, AllErrorsInOneRun) {
  Settings s;
  const std::string out =
      readSettings("flag: maybe\nnet: {port: 70000, bigg: 1}\nlist: [[1]]\nextra: 1\n", s);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n') + 1, 6) << out;
}

TEST(YamlMapReader, FinishIsIdempotentAndRangeMisuseThrows) {
  YamlIssues issues("f.yaml");
  auto root = parseYaml("x: 1\n", issues);
  ASSERT_TRUE(root);
  YamlMapReader r(*root, "", issues);
  r.finish();
  r.finish();
  EXPECT_EQ(issues.size(), 1u);
  std::uint8_t small = 0;
  EXPECT_THROW(r.readUnsigned("x", small, 0, 1000), std::logic_error);
}

}  // namespace
}  // namespace pb
