// SPDX-License-Identifier: Apache-2.0
#include "core/strict_json.hpp"

#include <string>

#include <gtest/gtest.h>

namespace pb {
namespace {

using nlohmann::json;

TEST(StrictJson, ParsesAValidDocument) {
  auto r = parseJsonRejectingDuplicateKeys(R"({"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["b"]["a"], 2);
  EXPECT_EQ((*r)["c"][1]["a"], 4);  // the same key in sibling objects is not a duplicate
}

TEST(StrictJson, RejectsADuplicateTopLevelKey) {
  auto r = parseJsonRejectingDuplicateKeys(R"({"type":"hello","type":"quote"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "parse");
  EXPECT_EQ(r.error().message, "duplicate key \"type\"");
}

TEST(StrictJson, RejectsADuplicateKeyInANestedObjectAndInsideArrays) {
  for (const char* bad : {R"({"a":{"x":1,"y":2,"x":3}})", R"([{"k":1},{"k":1,"k":2}])",
                          R"({"a":[[{"z":{"q":1,"q":1}}]]})"}) {
    auto r = parseJsonRejectingDuplicateKeys(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("duplicate key"), std::string::npos) << bad;
  }
}

TEST(StrictJson, KeysEqualAfterEscapeDecodingAreDuplicates) {
  // "\u0061" is "a": the comparison is on the decoded key, as the consumer will see it.
  EXPECT_FALSE(parseJsonRejectingDuplicateKeys(R"({"a":1,"\u0061":2})").ok());
}

TEST(StrictJson, TheReportedKeyIsBoundedAndHasNoControlCharacters) {
  std::string key = "k\\u001b[31m" + std::string(500, 'x');
  auto r = parseJsonRejectingDuplicateKeys("{\"" + key + "\":1,\"" + key + "\":2}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
  EXPECT_LT(r.error().message.size(), 100u);
}

TEST(StrictJson, RejectsInvalidJson) {
  for (const char* bad : {"", "{", R"({"a":1,})", R"({"a":1} x)", "\xff"}) {
    auto r = parseJsonRejectingDuplicateKeys(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, "not valid JSON") << bad;
  }
}

TEST(StrictJson, ScalarsAndEmptyContainersParse) {
  EXPECT_EQ(*parseJsonRejectingDuplicateKeys("42"), json(42));
  EXPECT_EQ(*parseJsonRejectingDuplicateKeys("{}"), json::object());
  EXPECT_EQ(*parseJsonRejectingDuplicateKeys("[]"), json::array());
}

}  // namespace
}  // namespace pb
