// SPDX-License-Identifier: Apache-2.0
// AMTHI codec: golden bytes from amt.md §6 and every malformed-response shape.
#include "amt/amthi.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

using namespace amthi;

Bytes hex(std::string_view h) {
  std::string s;
  for (char c : h) {
    if (c != ' ') s.push_back(c);
  }
  return *fromHex(s);
}

TEST(AmthiGolden, GetProvisioningStateRequestAndResponse) {
  EXPECT_EQ(buildRequest(Command::GetProvisioningState), hex("01010000 11000004 00000000"));
  const Bytes resp = hex("01010000 11008004 08000000 00000000 02000000");
  auto payload = parseResponse(Command::GetProvisioningState, resp);
  ASSERT_TRUE(payload.ok()) << payload.error().message;
  auto state = parseProvisioningState(*payload);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, ProvisioningState::Post);
  // The simulator's encoder produces exactly the reference's response.
  EXPECT_EQ(buildResponse(0x04000011, 0, encodeU32(2)), resp);
}

TEST(AmthiGolden, GetCertificateHashEntryForHandle5) {
  EXPECT_EQ(buildGetCertificateHashEntry(5), hex("01010000 2D000004 04000000 05000000"));
}

TEST(AmthiGolden, NoPayloadRequests) {
  EXPECT_EQ(buildRequest(Command::GetCodeVersions), hex("01010000 1A000004 00000000"));
  EXPECT_EQ(buildRequest(Command::EnumerateHashHandles), hex("01010000 2C000004 00000000"));
  EXPECT_EQ(buildRequest(Command::GetZeroTouchEnabled), hex("01010000 30000004 00000000"));
  EXPECT_EQ(buildRequest(Command::GetDnsSuffix), hex("01010000 36000004 00000000"));
  EXPECT_EQ(buildRequest(Command::GetUuid), hex("01010000 5C000004 00000000"));
  EXPECT_EQ(buildRequest(Command::GetControlMode), hex("01010000 6B000004 00000000"));
}

TEST(AmthiGolden, LocalSystemAccountIsNotInTheCodec) {
  EXPECT_FALSE(commandFromCode(0x04000067).has_value());
  EXPECT_FALSE(commandFromName("GetLocalSystemAccount").has_value());
}

TEST(AmthiGolden, UuidPrintsFirstThreeFieldsSwapped) {
  const Uuid u = {0x4B, 0x52, 0x9B, 0x93, 0xD4, 0x13, 0x18, 0x1D,
                  0xE4, 0x87, 0x1C, 0x69, 0x7A, 0x6B, 0x7A, 0x2B};
  EXPECT_EQ(formatUuid(u), "939b524b-13d4-1d18-e487-1c697a6b7a2b");
  EXPECT_EQ(parseUuidText("939B524B-13D4-1D18-E487-1C697A6B7A2B"), u);
  EXPECT_FALSE(parseUuidText("939b524b13d41d18e4871c697a6b7a2b").has_value());
  EXPECT_FALSE(parseUuidText("939b524b-13d4-1d18-e487-1c697a6b7a2g").has_value());
}

const Bytes kGood = hex("01010000 11008004 08000000 00000000 02000000");

TEST(AmthiMalformed, ZeroLengthIsEmpty) {
  auto r = parseResponse(Command::GetProvisioningState, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, error::kEmpty);
}

TEST(AmthiMalformed, ShortIsShort) {
  auto r = parseResponse(Command::GetProvisioningState, Bytes(kGood.begin(), kGood.begin() + 15));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, error::kShort);
}

TEST(AmthiMalformed, LengthMismatchIsBadLength) {
  Bytes b = kGood;
  b[8] = 9;
  auto r = parseResponse(Command::GetProvisioningState, b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, error::kBadLength);
  Bytes cut(kGood.begin(), kGood.end() - 2);  // truncated on the wire
  EXPECT_EQ(parseResponse(Command::GetProvisioningState, cut).error().code, error::kBadLength);
}

TEST(AmthiMalformed, WrongEcho) {
  // Response bit missing, and another command's response.
  Bytes noBit = kGood;
  noBit[6] = 0x00;
  EXPECT_EQ(parseResponse(Command::GetProvisioningState, noBit).error().code, error::kWrongCommand);
  EXPECT_EQ(parseResponse(Command::GetControlMode, kGood).error().code, error::kWrongCommand);
}

TEST(AmthiMalformed, VersionAndReserved) {
  Bytes v = kGood;
  v[0] = 2;
  EXPECT_EQ(parseResponse(Command::GetProvisioningState, v).error().code, error::kBadHeader);
  Bytes minor = kGood;
  minor[1] = 0;
  EXPECT_EQ(parseResponse(Command::GetProvisioningState, minor).error().code, error::kBadHeader);
  Bytes rsvd = kGood;
  rsvd[3] = 1;
  EXPECT_EQ(parseResponse(Command::GetProvisioningState, rsvd).error().code, error::kBadHeader);
  Bytes newerMinor = kGood;
  newerMinor[1] = 2;  // Minor >= 1 is accepted
  EXPECT_TRUE(parseResponse(Command::GetProvisioningState, newerMinor).ok());
}

TEST(AmthiMalformed, ErrorStatusNamed) {
  auto r = parseResponse(Command::GetProvisioningState, buildResponse(0x04000011, 3, {}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, error::kStatus);
  EXPECT_NE(r.error().message.find("INVALID_AMT_MODE"), std::string::npos);
}

TEST(AmthiMalformed, LongPayloadIsTrailingAndShortPayloadTruncated) {
  Bytes longer = buildResponse(0x04000011, 0, hex("02000000 00"));
  auto p = parseResponse(Command::GetProvisioningState, longer);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(parseProvisioningState(*p).error().code, error::kTrailing);
  EXPECT_EQ(parseProvisioningState(hex("0200")).error().code, error::kTruncated);
  EXPECT_EQ(parseUuid(Bytes(17, 0)).error().code, error::kTrailing);
  EXPECT_EQ(parseLanSettings(Bytes(19, 0)).error().code, error::kTruncated);
  EXPECT_EQ(parseSecurityParameters(Bytes(72, 0)).error().code, error::kTrailing);
}

TEST(AmthiPayload, OutOfRangeValues) {
  EXPECT_EQ(parseProvisioningState(encodeU32(3)).error().code, error::kBadValue);
  EXPECT_EQ(parseControlMode(encodeU32(4)).error().code, error::kBadValue);
  EXPECT_EQ(parseZeroTouchEnabled(encodeU32(2)).error().code, error::kBadValue);
  EXPECT_EQ(parseRedirectionState(encodeU32(8)).error().code, error::kBadValue);
  EXPECT_EQ(parseHashHandles(encodeU32(34)).error().code, error::kBadValue);
}

TEST(AmthiPayload, CodeVersionsRoundTripAndBounds) {
  CodeVersions v;
  v.biosVersion = "M1AKT52A";
  v.versions = {{"AMT", "16.1.25"}, {"Build Number", "2124"}, {"Sku", "16392"}};
  Bytes p = encodeCodeVersions(v);
  EXPECT_EQ(p.size(), 65u + 4u + 3u * 44u);
  auto back = parseCodeVersions(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->biosVersion, "M1AKT52A");
  EXPECT_EQ(back->find("AMT"), "16.1.25");
  EXPECT_EQ(back->find("Build Number"), "2124");
  EXPECT_EQ(back->find("absent"), "");
  Bytes cut(p.begin(), p.end() - 1);
  EXPECT_EQ(parseCodeVersions(cut).error().code, error::kTruncated);
  Bytes extra = p;
  extra.push_back(0);
  EXPECT_EQ(parseCodeVersions(extra).error().code, error::kTrailing);
  Bytes badLen = p;
  badLen[69] = 21;  // DescLen over 20
  EXPECT_EQ(parseCodeVersions(badLen).error().code, error::kBadValue);
  Bytes ctrl = p;
  ctrl[71] = 0x07;  // a control character in "AMT"
  EXPECT_EQ(parseCodeVersions(ctrl).error().code, error::kBadValue);
}

TEST(AmthiPayload, CertHashEntryLayoutAndAlgorithms) {
  CertHashEntry e{true, false, 2, Bytes(32, 0xAB), "Go Daddy Class 2 CA"};
  Bytes p = encodeCertHashEntry(e);
  EXPECT_EQ(p.size(), 75u + e.name.size());
  EXPECT_EQ(p[72], 2);  // algorithm at offset 72, name length at 73
  EXPECT_EQ(p[73], e.name.size());
  auto back = parseCertHashEntry(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->isDefault);
  EXPECT_FALSE(back->isActive);
  EXPECT_EQ(back->hash, Bytes(32, 0xAB));
  EXPECT_EQ(back->name, "Go Daddy Class 2 CA");
  // Algorithm 3 is SHA-384 from AMT 6, SHA-512 on AMT <= 5 (amt.md §7).
  Bytes p3 = p;
  p3[72] = 3;
  EXPECT_EQ(parseCertHashEntry(p3, 16)->hash.size(), 48u);
  EXPECT_EQ(parseCertHashEntry(p3, 5)->hash.size(), 64u);
  EXPECT_EQ(hashAlgorithmName(3, 16), "sha384");
  Bytes p9 = p;
  p9[72] = 9;
  EXPECT_EQ(parseCertHashEntry(p9).error().code, error::kBadValue);
  Bytes longName = p;
  longName.push_back('x');
  EXPECT_EQ(parseCertHashEntry(longName).error().code, error::kTrailing);
}

TEST(AmthiPayload, ConfigServerAndDnsSuffix) {
  ConfigServer s{9971, "192.168.10.5", "ProvisionServer.acme.example"};
  Bytes p = encodeConfigServer(s);
  EXPECT_EQ(p.size(), 2u + 46u + 2u + s.fqdn.size());
  auto back = parseConfigServer(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->port, 9971);
  EXPECT_EQ(back->address, "192.168.10.5");
  EXPECT_EQ(back->fqdn, "ProvisionServer.acme.example");
  EXPECT_EQ(*parseDnsSuffix(encodeDnsSuffix("amt.acme.example")), "amt.acme.example");
  Bytes d = encodeDnsSuffix("x");
  d[0] = 5;  // length runs past the payload
  EXPECT_EQ(parseDnsSuffix(d).error().code, error::kTruncated);
}

TEST(AmthiPayload, LanSettingsLayout) {
  LanSettings l;
  l.enabled = true;
  l.ipv4 = 0x01020304;
  l.dhcpEnabled = true;
  l.dhcpIpMode = 2;
  l.linkStatus = 1;
  l.mac = {1, 2, 3, 4, 5, 6};
  Bytes p = encodeLanSettings(l);
  EXPECT_EQ(p, hex("01000000 04030201 01000000 02 01 010203040506"));
  auto back = parseLanSettings(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ipv4, 0x01020304u);
  EXPECT_EQ(back->mac, l.mac);
}

TEST(AmthiRequest, SimulatorSideValidation) {
  EXPECT_TRUE(parseRequest(buildGetCertificateHashEntry(1)).ok());
  Bytes bad = buildRequest(Command::GetUuid);
  bad[8] = 1;  // Length says 1, nothing follows
  EXPECT_EQ(parseRequest(bad).error().code, error::kBadRequest);
  Bytes resp = buildRequest(Command::GetUuid);
  resp[6] = 0x80;
  EXPECT_EQ(parseRequest(resp).error().code, error::kBadRequest);
  EXPECT_EQ(parseRequest(Bytes(11, 1)).error().code, error::kBadRequest);
}

}  // namespace
}  // namespace pb
