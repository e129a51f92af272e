// SPDX-License-Identifier: Apache-2.0
#include "protocol/messages.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"

namespace pb {
namespace {

using nlohmann::json;

Hello sampleHello() {
  Hello h;
  h.versions = {1};
  h.agent = "bench-agent/0.1.0";
  h.identity = IdentityFacts{"SN123",
                             "4c4c4544-0042-3510-8052-b4c04f4d4e31",
                             "OptiPlex 7090",
                             "Dell Inc.",
                             "/B4C0MN1/CNFCW0012",
                             {"aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"}};
  return h;
}

// Returns the error message after checking the error is a malformed-frame error naming `field`.
void expectFieldError(const Error& e, const std::string& field) {
  EXPECT_EQ(e.code, reason::kMalformedFrame);
  EXPECT_EQ(e.message.rfind(field + ":", 0), 0U) << e.message;
}

TEST(Hello, RoundTrip) {
  Hello h = sampleHello();
  h.resumeSession = "s-1";
  auto r = Hello::fromJson(h.toJson());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->versions, h.versions);
  EXPECT_EQ(r->agent, h.agent);
  EXPECT_EQ(r->identity.serial, "SN123");
  EXPECT_EQ(r->identity.smbiosUuid, h.identity.smbiosUuid);
  EXPECT_EQ(r->identity.model, h.identity.model);
  EXPECT_EQ(r->identity.vendor, h.identity.vendor);
  EXPECT_EQ(r->identity.boardSerial, h.identity.boardSerial);
  EXPECT_EQ(r->identity.macs, h.identity.macs);
  EXPECT_EQ(r->resumeSession, "s-1");
  EXPECT_EQ(h.toJson()["identity"]["smbios_uuid"], h.identity.smbiosUuid);
}

TEST(Hello, ResumeSessionIsOptionalAndExtraFieldsAreIgnored) {
  json j = sampleHello().toJson();
  EXPECT_FALSE(j.contains("resume_session"));
  j["future_field"] = {{"x", 1}};
  j["identity"]["future"] = true;
  auto r = Hello::fromJson(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->resumeSession.has_value());
}

TEST(Hello, MissingFieldsAreNamed) {
  for (const char* key : {"versions", "agent", "identity"}) {
    json j = sampleHello().toJson();
    j.erase(key);
    auto r = Hello::fromJson(j);
    ASSERT_FALSE(r.ok()) << key;
    expectFieldError(r.error(), std::string("hello.") + key);
  }
  for (const char* key : {"serial", "smbios_uuid", "model", "vendor", "board_serial", "macs"}) {
    json j = sampleHello().toJson();
    j["identity"].erase(key);
    auto r = Hello::fromJson(j);
    ASSERT_FALSE(r.ok()) << key;
    expectFieldError(r.error(), std::string("hello.identity.") + key);
  }
}

TEST(Hello, WrongTypesAreNamed) {
  json j = sampleHello().toJson();
  j["agent"] = 5;
  expectFieldError(Hello::fromJson(j).error(), "hello.agent");

  j = sampleHello().toJson();
  j["versions"] = "1";
  expectFieldError(Hello::fromJson(j).error(), "hello.versions");

  j = sampleHello().toJson();
  j["versions"] = {1, "2"};
  expectFieldError(Hello::fromJson(j).error(), "hello.versions[1]");

  j = sampleHello().toJson();
  j["versions"] = {1.5};
  expectFieldError(Hello::fromJson(j).error(), "hello.versions[0]");

  j = sampleHello().toJson();
  j["versions"] = {-1};
  expectFieldError(Hello::fromJson(j).error(), "hello.versions[0]");

  j = sampleHello().toJson();
  j["versions"] = {std::uint64_t{1} << 40};
  expectFieldError(Hello::fromJson(j).error(), "hello.versions[0]");

  j = sampleHello().toJson();
  j["identity"] = "SN123";
  expectFieldError(Hello::fromJson(j).error(), "hello.identity");

  j = sampleHello().toJson();
  j["identity"]["macs"] = {"aa:bb:cc:dd:ee:ff", 7};
  expectFieldError(Hello::fromJson(j).error(), "hello.identity.macs[1]");

  j = sampleHello().toJson();
  j["resume_session"] = 1;
  expectFieldError(Hello::fromJson(j).error(), "hello.resume_session");
}

TEST(Hello, BoundsAreEnforced) {
  json j = sampleHello().toJson();
  j["agent"] = std::string(kMaxFieldLength, 'a');
  EXPECT_TRUE(Hello::fromJson(j).ok());
  j["agent"] = std::string(kMaxFieldLength + 1, 'a');
  expectFieldError(Hello::fromJson(j).error(), "hello.agent");

  j = sampleHello().toJson();
  j["identity"]["serial"] = std::string(kMaxFieldLength + 1, 'S');
  expectFieldError(Hello::fromJson(j).error(), "hello.identity.serial");

  j = sampleHello().toJson();
  j["identity"]["macs"] = json::array();
  for (std::size_t i = 0; i < kMaxMacs; ++i) j["identity"]["macs"].push_back("aa:bb:cc:dd:ee:ff");
  EXPECT_TRUE(Hello::fromJson(j).ok());
  j["identity"]["macs"].push_back("aa:bb:cc:dd:ee:ff");
  expectFieldError(Hello::fromJson(j).error(), "hello.identity.macs");

  j = sampleHello().toJson();
  j["versions"] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_TRUE(Hello::fromJson(j).ok());
  j["versions"].push_back(9);
  expectFieldError(Hello::fromJson(j).error(), "hello.versions");

  j["versions"] = json::array();
  expectFieldError(Hello::fromJson(j).error(), "hello.versions");
}

TEST(Hello, WrongEnvelope) {
  EXPECT_EQ(Hello::fromJson(json::array()).error().code, reason::kMalformedFrame);
  json j = sampleHello().toJson();
  j["type"] = "welcome";
  EXPECT_EQ(Hello::fromJson(j).error().code, reason::kUnexpectedMessage);
  j.erase("type");
  EXPECT_EQ(Hello::fromJson(j).error().code, reason::kMalformedFrame);
}

TEST(Welcome, RoundTripAndNegatives) {
  Welcome w{1, "sess-abc", "bench-7"};
  auto r = Welcome::fromJson(w.toJson());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->sessionId, "sess-abc");
  EXPECT_EQ(r->benchId, "bench-7");

  json j = w.toJson();
  j.erase("bench_id");
  expectFieldError(Welcome::fromJson(j).error(), "welcome.bench_id");
  j = w.toJson();
  j["version"] = "1";
  expectFieldError(Welcome::fromJson(j).error(), "welcome.version");
  j = w.toJson();
  j["session_id"] = "";
  expectFieldError(Welcome::fromJson(j).error(), "welcome.session_id");
  j = w.toJson();
  j["type"] = "hello";
  EXPECT_EQ(Welcome::fromJson(j).error().code, reason::kUnexpectedMessage);
}

TEST(Verdict, RoundTripAndNegatives) {
  Verdict v{"blocked",    "PB-1002", "Block-listed.", "Remove it from the block list.", false,
            "dev-000001", true};
  auto r = Verdict::fromJson(v.toJson());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, "blocked");
  EXPECT_EQ(r->code, "PB-1002");
  EXPECT_EQ(r->message, v.message);
  EXPECT_EQ(r->remediation, v.remediation);
  EXPECT_FALSE(r->retryable);
  EXPECT_EQ(r->deviceId, "dev-000001");
  EXPECT_TRUE(r->isFinal);
  EXPECT_EQ(v.toJson()["final"], true);

  Verdict ready{"ready", "", "Provisioned.", "", false, "dev-000001", true};
  EXPECT_TRUE(Verdict::fromJson(ready.toJson()).ok());

  json j = v.toJson();
  j["retryable"] = "no";
  expectFieldError(Verdict::fromJson(j).error(), "verdict.retryable");
  j = v.toJson();
  j.erase("final");
  expectFieldError(Verdict::fromJson(j).error(), "verdict.final");
  j = v.toJson();
  j["code"] = "1002";
  expectFieldError(Verdict::fromJson(j).error(), "verdict.code");
  j = v.toJson();
  j["state"] = "";
  expectFieldError(Verdict::fromJson(j).error(), "verdict.state");
  j = v.toJson();
  j["message"] = std::string(kMaxFieldLength + 1, 'm');
  expectFieldError(Verdict::fromJson(j).error(), "verdict.message");
}

TEST(ErrorFrame, RoundTripAndNegatives) {
  ErrorFrame e{std::string(reason::kTooManySessions), "bench full"};
  auto r = ErrorFrame::fromJson(e.toJson());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->code, "PB-0007");
  EXPECT_EQ(r->message, "bench full");
  EXPECT_EQ(e.toJson()["type"], "error");

  for (const char* bad : {"", "PB-7", "PB-00a7", "XX-0007", "PB-00070"}) {
    json j = e.toJson();
    j["code"] = bad;
    expectFieldError(ErrorFrame::fromJson(j).error(), "error.code");
  }
  json j = e.toJson();
  j.erase("message");
  expectFieldError(ErrorFrame::fromJson(j).error(), "error.message");
}

TEST(MessageType, ReadsTypeSafely) {
  EXPECT_EQ(messageType(json{{"type", "hello"}}), "hello");
  EXPECT_EQ(messageType(json{{"type", 1}}), "");
  EXPECT_EQ(messageType(json::array()), "");
}

TEST(Negotiate, PicksOurVersion) {
  Hello h = sampleHello();
  h.versions = {3, 1, 2};
  EXPECT_EQ(negotiateVersion(h), kProtocolVersion);
}

TEST(Negotiate, NoCommonVersion) {
  Hello h = sampleHello();
  h.versions = {2, 3};
  EXPECT_FALSE(negotiateVersion(h).has_value());
  h.versions = {0};
  EXPECT_FALSE(negotiateVersion(h).has_value());
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

// A device's claims follow the asset register's text rule (core/printable_text.hpp): a bidi
// override, a NUL or another control character in any claimed string refuses the hello, naming
// the field; ordinary non-ASCII text (a vendor's name) is fine.
TEST(Hello, ClaimsWithControlOrBidiCharactersAreMalformed) {
  const std::string bad[] = {std::string("SN\xE2\x80\xAE"
                                         "321"),
                             std::string("SN\0"
                                         "1",
                                         4),
                             "SN\x1b[2J",
                             "SN\xE2\x81\xA6x",
                             "SN\xC2\x85",
                             "SN\x7f"};
  for (const std::string& value : bad) {
    for (const char* field : {"serial", "smbios_uuid", "model", "vendor", "board_serial"}) {
      json j = sampleHello().toJson();
      j["identity"][field] = value;
      auto r = Hello::fromJson(j);
      ASSERT_FALSE(r.ok()) << field;
      expectFieldError(r.error(), std::string("hello.identity.") + field);
    }
    json mac = sampleHello().toJson();
    mac["identity"]["macs"][1] = value;
    auto r = Hello::fromJson(mac);
    ASSERT_FALSE(r.ok());
    expectFieldError(r.error(), "hello.identity.macs[1]");
    json agent = sampleHello().toJson();
    agent["agent"] = value;
    auto ra = Hello::fromJson(agent);
    ASSERT_FALSE(ra.ok());
    expectFieldError(ra.error(), "hello.agent");
    json resume = sampleHello().toJson();
    resume["resume_session"] = value;
    auto rr = Hello::fromJson(resume);
    ASSERT_FALSE(rr.ok());
    expectFieldError(rr.error(), "hello.resume_session");
  }
  json fine = sampleHello().toJson();
  fine["identity"]["vendor"] = "Fujitsu Technology Solutions \xC3\x96sterreich";
  fine["identity"]["board_serial"] = "";
  EXPECT_TRUE(Hello::fromJson(fine).ok());
}

}  // namespace
}  // namespace pb
