// SPDX-License-Identifier: Apache-2.0
// The one reader for untrusted JSON: every failure names the JSON path of the offending value and
// carries the schema's error code; bounds, hex, enums and unknown keys are enforced.
#include "core/json_reader.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "core/strict_json.hpp"

namespace pb {
namespace {

using nlohmann::json;

JsonReadRules strict() {
  return JsonReadRules{
      .errorCode = "PB-TEST", .maxString = 8, .absentIsError = true, .allowUnknownKeys = false};
}

std::string errorOf(JsonObjectReader& r) {
  auto e = r.finish();
  if (!e) return "ok";
  EXPECT_EQ(e->code, "PB-TEST");
  return e->message;
}

TEST(JsonReader, ReadsEveryTypeOfAWellFormedObject) {
  json j = json::parse(R"({"name":"bench","n":7,"on":true,"hex":"00ff","alg":"sha256",
                           "list":[1,2],"sub":{"k":"v"}})");
  JsonObjectReader r(j, "$", strict());
  static constexpr std::array<std::string_view, 2> kAlgs{"sha1", "sha256"};
  EXPECT_EQ(r.string("name"), "bench");
  EXPECT_EQ(r.integer("n", 0, 10), 7);
  EXPECT_TRUE(r.boolean("on"));
  EXPECT_EQ(r.hex("hex", 2), (Bytes{0x00, 0xff}));
  EXPECT_EQ(r.enumerated("alg", kAlgs), "sha256");
  ASSERT_NE(r.array("list", 2), nullptr);
  const json* sub = r.objectValue("sub");
  ASSERT_NE(sub, nullptr);
  JsonObjectReader s = r.child(*sub, r.path("sub"));
  EXPECT_EQ(s.string("k"), "v");
  EXPECT_EQ(s.finish(), std::nullopt);
  EXPECT_EQ(errorOf(r), "ok");
}

TEST(JsonReader, ErrorsNameTheFullPathOfTheBadValue) {
  json j = json::parse(R"({"facts":{"amt":{"hashes":[{},{},{},{"sha256":"xyz"}]}}})");
  JsonObjectReader r(j, "$", strict());
  const json* facts = r.objectValue("facts");
  ASSERT_NE(facts, nullptr);
  JsonObjectReader f = r.child(*facts, r.path("facts"));
  JsonObjectReader a = f.child(*f.objectValue("amt"), f.path("amt"));
  const json* hashes = a.array("hashes", 8);
  ASSERT_NE(hashes, nullptr);
  JsonObjectReader h = a.child((*hashes)[3], jsonIndexPath(a.path("hashes"), 3));
  (void)h.hex("sha256", 32);
  // The nested reader shares the top reader's error slot: one finish() reports it.
  EXPECT_EQ(errorOf(r), "$.facts.amt.hashes[3].sha256: not hex");
}

TEST(JsonReader, RefusesWrongTypesWithTheirNames) {
  json j = json::parse(R"({"s":1,"b":"yes","i":1.5,"a":{},"o":[]})");
  auto first = [&](auto read) {
    JsonObjectReader r(j, "$", strict());
    read(r);
    return r.error() ? r.error()->message : std::string("ok");
  };
  EXPECT_EQ(first([](auto& r) { r.string("s"); }), "$.s: not a string");
  EXPECT_EQ(first([](auto& r) { r.boolean("b"); }), "$.b: not a boolean");
  EXPECT_EQ(first([](auto& r) { r.integer("i", 0, 9); }), "$.i: not an integer");
  EXPECT_EQ(first([](auto& r) { r.array("a", 9); }), "$.a: not an array");
  EXPECT_EQ(first([](auto& r) { r.objectValue("o"); }), "$.o: not an object");
  EXPECT_EQ(first([](auto& r) { r.string("absent"); }), "$.absent: missing");
}

TEST(JsonReader, EnforcesLengthArrayAndRangeCaps) {
  json j = json::parse(R"({"s":"123456789","a":[1,2,3],"n":11,"neg":-1,"big":18446744073709551615,
                           "h":"000000"})");
  auto first = [&](auto read) {
    JsonObjectReader r(j, "$", strict());
    read(r);
    return r.error() ? r.error()->message : std::string("ok");
  };
  EXPECT_EQ(first([](auto& r) { r.string("s"); }), "$.s: longer than 8 bytes");
  EXPECT_EQ(first([](auto& r) { r.array("a", 2); }), "$.a: more than 2 entries");
  EXPECT_EQ(first([](auto& r) { r.integer("n", 0, 10); }), "$.n: out of range");
  EXPECT_EQ(first([](auto& r) { r.integer("neg", 0, 10); }), "$.neg: out of range");
  EXPECT_EQ(first([](auto& r) { r.integer("big", 0, 10); }), "$.big: out of range");
  EXPECT_EQ(first([](auto& r) { r.hex("h", 2); }), "$.h: longer than 2 bytes");
  EXPECT_EQ(first([](auto& r) { r.integer("n", 0, 11); }), "ok");
}

TEST(JsonReader, RefusesValuesOutsideAnEnum) {
  json j = json::parse(R"({"alg":"md5"})");
  static constexpr std::array<std::string_view, 1> kAlgs{"sha256"};
  JsonObjectReader r(j, "$", strict());
  EXPECT_EQ(r.enumerated("alg", kAlgs), "");
  EXPECT_EQ(errorOf(r), "$.alg: unknown value");
}

TEST(JsonReader, RefusesUnknownKeysOnlyWhenTheRulesSaySo) {
  json j = json::parse(R"({"known":"x","colour":"red"})");
  JsonObjectReader strictReader(j, "$", strict());
  (void)strictReader.string("known");
  EXPECT_EQ(errorOf(strictReader), "$: unknown key \"colour\"");

  JsonReadRules lenient = strict();
  lenient.allowUnknownKeys = true;
  JsonObjectReader lenientReader(j, "$", lenient);
  (void)lenientReader.string("known");
  EXPECT_EQ(lenientReader.finish(), std::nullopt);
}

TEST(JsonReader, AnUnknownKeyIsShownShortAndWithoutControlCharacters) {
  json j = json::object();
  j[std::string("\x1b[31m") + std::string(100, 'k')] = 1;
  JsonObjectReader r(j, "$", strict());
  std::string e = errorOf(r);
  EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
  EXPECT_LT(e.size(), 60u) << e;
}

TEST(JsonReader, AbsentFieldsReadAsEmptyWhenTheSchemaMakesThemOptional) {
  JsonReadRules optional = strict();
  optional.absentIsError = false;
  json j = json::parse(R"({"n":null})");
  JsonObjectReader r(j, "$", optional);
  EXPECT_EQ(r.string("s"), "");
  EXPECT_FALSE(r.boolean("b"));
  EXPECT_EQ(r.optionalBool("n"), std::nullopt);
  EXPECT_EQ(r.optionalInteger("n", 0, 1), std::nullopt);
  EXPECT_EQ(r.array("a", 1), nullptr);
  EXPECT_EQ(errorOf(r), "ok");
}

TEST(JsonReader, AValueThatIsNotAnObjectIsRefusedAtItsPath) {
  json j = json::array();
  JsonObjectReader r(j, "$.x", strict());
  EXPECT_EQ(r.string("a"), "");
  EXPECT_EQ(errorOf(r), "$.x: not an object");
}

TEST(JsonReader, OnlyTheFirstErrorCounts) {
  json j = json::parse(R"({"a":1,"b":2})");
  JsonObjectReader r(j, "$", strict());
  (void)r.string("a");
  (void)r.string("b");
  EXPECT_EQ(errorOf(r), "$.a: not a string");
}

TEST(BoundedJson, RefusesDeepNestingAndDuplicateKeys) {
  EXPECT_TRUE(parseBoundedJson(R"({"a":[[1]]})", 3).ok());
  auto deep = parseBoundedJson(R"({"a":[[[1]]]})", 3);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, "JSON nested deeper than 3 levels");
  auto dup = parseBoundedJson(R"({"a":1,"a":2})", 3);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message, "duplicate key \"a\"");
  EXPECT_EQ(jsonNestingDepth(R"(["[[[", {"]": 1}])", 10), 2);
}

}  // namespace
}  // namespace pb
