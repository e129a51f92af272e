// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "core/clock.hpp"
#include "core/device_state.hpp"
#include "core/reasons.hpp"
#include "core/text.hpp"

namespace pb {
namespace {

TEST(Hex, RoundTripsAndRejectsMalformed) {
  Bytes b{0x00, 0xab, 0xff};
  EXPECT_EQ(toHex(b), "00abff");
  EXPECT_EQ(fromHex("00ABff"), b);
  EXPECT_FALSE(fromHex("abc").has_value());
  EXPECT_FALSE(fromHex("zz").has_value());
}

TEST(Crypto, Sha256KnownAnswer) {
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacSha256Rfc4231Case2) {
  auto mac = hmacSha256(toBytes("Jefe"), "what do ya want for nothing?");
  ASSERT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(toHex(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// The failure path: an error, never an empty or dummy-key MAC that a caller could seal.
TEST(Crypto, HmacSha256WithoutAKeyIsAnError) {
  auto mac = hmacSha256(Bytes{}, "data");
  ASSERT_FALSE(mac.ok());
  EXPECT_EQ(mac.error().code, "crypto");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(constantTimeEqual({1, 2}, {1, 2}));
  EXPECT_FALSE(constantTimeEqual({1, 2}, {1, 3}));
  EXPECT_FALSE(constantTimeEqual({1, 2}, {1, 2, 3}));
}

TEST(Crypto, RandomBytesDiffer) {
  EXPECT_NE(randomBytes(32), randomBytes(32));
}

TEST(Clock, ParsesAndFormatsUtc) {
  std::int64_t t = 0;
  ASSERT_TRUE(parseUtc("2026-11-22T12:30:00Z", t));
  EXPECT_EQ(formatUtc(t), "2026-11-22T12:30:00Z");
  ASSERT_TRUE(parseUtc("2026-11-22", t));
  EXPECT_EQ(formatUtc(t), "2026-11-22T00:00:00Z");
  ASSERT_TRUE(parseUtc("2026-11-22 12:30:00", t));
  EXPECT_EQ(formatUtc(t), "2026-11-22T12:30:00Z");
  EXPECT_FALSE(parseUtc("2026-02-30", t));
  EXPECT_FALSE(parseUtc("2026-1x-22", t));
  EXPECT_FALSE(parseUtc("2026-11-22T25:00:00Z", t));
  EXPECT_FALSE(parseUtc("2026-11-22T12:30:00X", t));
  EXPECT_FALSE(parseUtc("2026-11-22T12:30:00+01:00", t));
  EXPECT_FALSE(parseUtc("yesterday", t));
  EXPECT_FALSE(parseUtc("", t));
}

TEST(DeviceState, StringsRoundTrip) {
  for (auto s : {DeviceState::Discovered, DeviceState::HandedOff, DeviceState::NotAttestable}) {
    EXPECT_EQ(deviceStateFromString(toString(s)), s);
  }
  EXPECT_FALSE(deviceStateFromString("admitted").has_value());
}

TEST(Reasons, CodesAreUniqueSortedAndComplete) {
  std::string_view prev;
  for (const auto& r : allReasons()) {
    EXPECT_LT(prev, r.code);
    EXPECT_FALSE(r.explanation.empty()) << r.code;
    EXPECT_FALSE(r.remediation.empty()) << r.code;
    prev = r.code;
  }
  EXPECT_NE(findReason(reason::kNotRegistered), nullptr);
  EXPECT_EQ(findReason("PB-0000"), nullptr);
}

TEST(Text, LowerAsciiMapsOnlyAToZ) {
  EXPECT_EQ(lowerAscii("AbC-09_z"), "abc-09_z");
  EXPECT_EQ(lowerAscii("\xc3\x89"), "\xc3\x89");  // UTF-8 bytes pass unchanged
  EXPECT_EQ(lowerAscii(""), "");
}

TEST(Text, LowerSlugAlphabetFirstCharacterAndLength) {
  EXPECT_TRUE(isLowerSlug("bench-01"));
  EXPECT_TRUE(isLowerSlug("0a"));
  EXPECT_TRUE(isLowerSlug(std::string(32, 'a')));
  EXPECT_FALSE(isLowerSlug(std::string(33, 'a')));
  EXPECT_FALSE(isLowerSlug("abc", 2));
  EXPECT_FALSE(isLowerSlug(""));
  EXPECT_FALSE(isLowerSlug("-a"));
  EXPECT_FALSE(isLowerSlug("Bench"));
  EXPECT_FALSE(isLowerSlug("a_b"));
  EXPECT_FALSE(isLowerSlug("a b"));
}

}  // namespace
}  // namespace pb
