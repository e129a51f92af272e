// SPDX-License-Identifier: Apache-2.0
// The fleet file's `tpm:` switches.
#include <gtest/gtest.h>

#include "sim/fleet.hpp"

namespace pb {
namespace {

Result<Fleet> parse(const std::string& tpm) {
  return parseFleet("devices:\n  - name: d1\n    serial: S1\n    tpm: " + tpm + "\n", "f.yaml");
}

TEST(FleetTpm, AbsentMeansNoTpmStage) {
  auto f = parseFleet("devices:\n  - name: d1\n    serial: S1\n", "f.yaml");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->devices[0].tpm.has_value());
}

TEST(FleetTpm, EmptyMappingIsAHealthyTpm) {
  auto f = parse("{}");
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_TRUE(f->devices[0].tpm.has_value());
  const FleetTpm& t = *f->devices[0].tpm;
  EXPECT_EQ(t.ek, "ecc");
  EXPECT_EQ(t.ekCert, "trusted");
  EXPECT_FALSE(t.notReady || t.secureBootOff || t.goldenPcrWrong || t.eventLogTampered ||
               t.ekSwapped || t.tamperedAgent());
}

TEST(FleetTpm, EverySwitchParses) {
  auto f = parse(
      "{ek: rsa, ek_cert: untrusted, secure_boot: off, not_ready: true, golden_pcr: wrong, "
      "event_log: tampered, ek_swapped: true, replay_quote: true, wrong_nonce: true, "
      "ak: unrestricted, narrow_pcr_selection: true}");
  ASSERT_TRUE(f.ok()) << f.error().message;
  const FleetTpm& t = *f->devices[0].tpm;
  EXPECT_EQ(t.ek, "rsa");
  EXPECT_EQ(t.ekCert, "untrusted");
  EXPECT_TRUE(t.secureBootOff && t.notReady && t.goldenPcrWrong && t.eventLogTampered &&
              t.ekSwapped && t.replayQuote && t.wrongNonce && t.akUnrestricted &&
              t.narrowPcrSelection && t.tamperedAgent());
}

TEST(FleetTpm, UnknownKeysAndValuesAreErrorsWithPosition) {
  auto k = parse("{ek_certificate: none}");
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message.find("f.yaml:4:"), std::string::npos) << k.error().message;
  EXPECT_NE(k.error().message.find("unknown key"), std::string::npos);
  auto v = parse("{ek_cert: maybe}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("unknown value"), std::string::npos);
  auto b = parse("{not_ready: yes}");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("true or false"), std::string::npos);
  auto q = parse("{replay_quote: \"true\"}");
  EXPECT_FALSE(q.ok());
  auto m = parse("true");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("mapping"), std::string::npos);
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

TEST(FleetTpm, TheAttackFixtureFleetParses) {
  auto f = loadFleet(std::string(PB_SOURCE_DIR) + "/tests/fixtures/fleets/tpm-attacks.yaml");
  ASSERT_TRUE(f.ok()) << f.error().message;
  int tampered = 0;
  for (const auto& d : f->devices) {
    ASSERT_TRUE(d.tpm.has_value()) << d.name;
    tampered += d.tpm->tamperedAgent() ? 1 : 0;
  }
  EXPECT_EQ(f->devices.size(), 13u);
  EXPECT_EQ(tampered, 4);
}

}  // namespace
}  // namespace pb
