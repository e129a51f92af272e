// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"
#include "protocol/device_facts_json.hpp"
#include "support/temp_dir.hpp"
#include "test_facts.hpp"

namespace pb {
namespace {

using nlohmann::json;

using test::TempDir;

std::string errorOf(const json& j, FactsMode mode = FactsMode::Wire) {
  auto r = deviceFactsFromJson(j, mode);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, reason::kFactsMalformed);
  return r.error().message;
}

TEST(FactsJson, RoundTripsEveryField) {
  DeviceFacts f = test::goodFacts();
  TpmFacts t;
  t.present = true;
  t.readiness = "ready";
  t.hardwareBacked = true;
  t.ekAlgorithm = "rsa2048";
  t.akAlgorithm = "ecc_nist_p256";
  t.ekSha256 = std::string(64, 'a');
  t.pcrBank = "sha256";
  t.quotedPcrs = {{0, std::string(64, 'b')}, {7, std::string(64, 'c')}};
  t.secureBootFromLog = true;
  f.tpm = t;
  json j = toJson(f);
  auto back = deviceFactsFromJson(j, FactsMode::File);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(toJson(*back), j);
  EXPECT_EQ(back->amt->hashes.size(), 3U);
  EXPECT_TRUE(back->amt->hashes[2].isActive);
  EXPECT_EQ(back->amt->configServerPort, 9972);
  EXPECT_EQ(back->firmware->firmwareAttributes.at(0).second, "Enable");
  EXPECT_EQ(back->tpm->quotedPcrs.at(1).first, 7U);
}

TEST(FactsJson, AbsentGroupsAndNullsStayUnknown) {
  auto r = deviceFactsFromJson(json::object());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->firmware.has_value());
  EXPECT_FALSE(r->amt.has_value());
  EXPECT_FALSE(r->tpm.has_value());

  json j = {{"firmware", {{"secure_boot", nullptr}}}, {"amt", {{"access", "busy"}}}};
  auto r2 = deviceFactsFromJson(j);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_FALSE(r2->firmware->secureBoot.has_value());
  EXPECT_EQ(r2->amt->access, AmtAccess::Busy);
  EXPECT_FALSE(r2->amt->remoteConfigurationEnabled.has_value());
}

TEST(FactsJson, WireIgnoresUnknownKeysFileRejectsThem) {
  json j = toJson(test::goodFacts());
  j["amt"]["future_field"] = 1;
  j["new_group"] = json::object();
  EXPECT_TRUE(deviceFactsFromJson(j, FactsMode::Wire).ok());
  EXPECT_NE(errorOf(j, FactsMode::File).find("unknown key"), std::string::npos);

  json k = toJson(test::goodFacts());
  k["amt"]["hashes"][0]["colour"] = "blue";
  EXPECT_EQ(errorOf(k, FactsMode::File), "facts.amt.hashes[0]: unknown key \"colour\"");
}

TEST(FactsJson, RejectsWrongTypesAndValues) {
  json base = toJson(test::goodFacts());
  auto with = [&](const json::json_pointer& ptr, json v) {
    json j = base;
    j[ptr] = std::move(v);
    return errorOf(j);
  };
  EXPECT_EQ(with(json::json_pointer("/amt/access"), "sleepy"), "facts.amt.access: unknown value");
  EXPECT_EQ(with(json::json_pointer("/amt/provisioning_state"), "done"),
            "facts.amt.provisioning_state: unknown value");
  EXPECT_EQ(with(json::json_pointer("/amt/control_mode"), 2),
            "facts.amt.control_mode: not a string");
  EXPECT_EQ(with(json::json_pointer("/amt/config_server_port"), 70000),
            "facts.amt.config_server_port: out of range");
  EXPECT_EQ(with(json::json_pointer("/amt/config_server_port"), -1),
            "facts.amt.config_server_port: out of range");
  EXPECT_EQ(with(json::json_pointer("/firmware/secure_boot"), "yes"),
            "facts.firmware.secure_boot: not a boolean");
  EXPECT_EQ(with(json::json_pointer("/amt/hashes/0/algorithm"), "md5"),
            "facts.amt.hashes[0].algorithm: unknown value");
  EXPECT_EQ(with(json::json_pointer("/amt/hashes/0/hash"), std::string(64, 'G')),
            "facts.amt.hashes[0].hash: not 64 lower-case hex digits");
  EXPECT_EQ(with(json::json_pointer("/amt/hashes/0/hash"), "abcd"),
            "facts.amt.hashes[0].hash: not 64 lower-case hex digits");
  EXPECT_EQ(with(json::json_pointer("/amt"), json::array()), "facts.amt: not an object");
  EXPECT_EQ(errorOf(json::array()), "facts: not an object");
  json noAccess = base;
  noAccess["amt"].erase("access");
  EXPECT_EQ(errorOf(noAccess), "facts.amt.access: missing");
}

TEST(FactsJson, EnforcesBounds) {
  json j = toJson(test::goodFacts());
  j["identity"]["serial"] = std::string(kMaxFactString + 1, 'x');
  EXPECT_EQ(errorOf(j), "facts.identity.serial: longer than 256 bytes");

  json h = toJson(test::goodFacts());
  json entry = h["amt"]["hashes"][0];
  h["amt"]["hashes"] = json::array();
  for (std::size_t i = 0; i <= kMaxAmtHashes; ++i) h["amt"]["hashes"].push_back(entry);
  EXPECT_EQ(errorOf(h), "facts.amt.hashes: more than 64 entries");

  json m = toJson(test::goodFacts());
  m["identity"]["macs"] = json::array();
  for (std::size_t i = 0; i <= kMaxFactMacs; ++i) m["identity"]["macs"].push_back("aa");
  EXPECT_EQ(errorOf(m), "facts.identity.macs: more than 16 entries");
}

TEST(FactsText, AcceptsBareObjectAndWholeFrame) {
  const std::string bare = toJson(test::goodFacts()).dump();
  auto a = parseFactsText(bare);
  ASSERT_TRUE(a.ok()) << a.error().message;
  json frame = {{"type", "facts"}, {"facts", toJson(test::goodFacts())}};
  auto b = parseFactsText(frame.dump());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(toJson(*a), toJson(*b));
}

TEST(FactsText, RejectsMalformedDeepOversizeAndWrongFrames) {
  EXPECT_FALSE(parseFactsText("{").ok());
  EXPECT_FALSE(parseFactsText("[]").ok());
  EXPECT_FALSE(parseFactsText(std::string(40, '[') + std::string(40, ']')).ok());
  EXPECT_FALSE(parseFactsText(std::string(kMaxFactsFileBytes + 1, ' ')).ok());
  EXPECT_FALSE(parseFactsText(R"({"type":"hello","facts":{}})").ok());
  EXPECT_FALSE(parseFactsText(R"({"type":"facts"})").ok());
  EXPECT_FALSE(parseFactsText(R"({"type":"facts","facts":{},"extra":1})").ok());
}

TEST(FactsFile, LoadsAndRefusesNonRegularOrMissing) {
  TempDir dir;
  const std::string good = dir.file("good.json", toJson(test::goodFacts()).dump(2));
  auto r = loadFactsFile(good);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->amt->dnsSuffix, "prov.corp.example");

  EXPECT_FALSE(loadFactsFile(dir.path()).ok());
  EXPECT_FALSE(loadFactsFile(dir.path() + "/absent.json").ok());
  const std::string bad = dir.file("bad.json", R"({"amt":{"access":"ok","typo_key":true}})");
  auto e = loadFactsFile(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("bad.json: facts.amt: unknown key"), std::string::npos);
}

}  // namespace
}  // namespace pb
