// SPDX-License-Identifier: Apache-2.0
// Event-log layouts and firmware quirks seen in real captures (issue 17), each reproduced with
// EventLogBuilder. Which public capture each fixture mirrors is said at the fixture; see also
// tests/fixtures/eventlogs/README.md. Expected PCR values are computed here with OpenSSL directly
// (EVP_Digest), never with the replay code under test.
#include <algorithm>
#include <map>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "attest/event_log.hpp"
#include "attest/offline.hpp"
#include "attest/tpm_types.hpp"
#include "core/reasons.hpp"
#include "test_pki.hpp"

namespace pb::attest {
namespace {

Bytes digestOf(const EVP_MD* md, const Bytes& in) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(in.data(), in.size(), out.data(), &len, md, nullptr), 1);
  return out;
}

// Feeds the builder and, independently, folds each measurement into expected PCR values.
struct Fixture {
  Fixture(EventLogBuilder b, const EVP_MD* m) : builder(std::move(b)), md(m) {}
  EventLogBuilder builder;
  const EVP_MD* md;
  std::uint8_t locality = 0;
  std::map<std::uint32_t, Bytes> expected;

  void measure(std::uint32_t pcr, std::uint32_t type, const Bytes& data, const Bytes& measured) {
    builder.eventDigestOf(pcr, type, data, measured);
    extend(pcr, digestOf(md, measured));
  }
  void event(std::uint32_t pcr, std::uint32_t type, const Bytes& data) {
    measure(pcr, type, data, data);
  }
  void variable(std::uint32_t pcr, std::uint32_t type, const Guid& g, const std::string& name,
                const Bytes& value) {
    event(pcr, type, encodeUefiVariable(g, name, value));
  }
  void extend(std::uint32_t pcr, const Bytes& d) {
    auto [it, fresh] = expected.try_emplace(pcr, Bytes{});
    if (fresh) {
      it->second = Bytes(static_cast<std::size_t>(EVP_MD_get_size(md)), 0);
      if (pcr == 0) it->second.back() = locality;
    }
    Bytes buf = it->second;
    buf.insert(buf.end(), d.begin(), d.end());
    it->second = digestOf(md, buf);
  }
  // PCR 0-7 as firmware measures a Secure Boot machine (the variables' values are small but
  // well-formed signature lists).
  void typical(bool secureBootVariableEmpty = false) {
    const Guid owner{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    event(0, ev::kSCrtmVersion, Bytes{'1', 0, 0, 0});
    measure(0, ev::kEfiPlatformFirmwareBlob, Bytes(16, 0x11), toBytes("firmware-volume"));
    variable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "SecureBoot",
             secureBootVariableEmpty ? Bytes{} : Bytes{1});
    for (const char* name : {"PK", "KEK"}) {
      variable(
          7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, name,
          secureBootVariableEmpty ? Bytes{} : encodeSha256SignatureList(owner, {sha256(name)}));
    }
    for (const char* name : {"db", "dbx"}) {
      variable(
          7, ev::kEfiVariableDriverConfig, kEfiImageSecurityDbGuid, name,
          secureBootVariableEmpty ? Bytes{} : encodeSha256SignatureList(owner, {sha256(name)}));
    }
    for (std::uint32_t pcr = 0; pcr <= 7; ++pcr) event(pcr, ev::kSeparator, Bytes{0, 0, 0, 0});
    if (!secureBootVariableEmpty) {
      Bytes sig(owner.begin(), owner.end());
      Bytes h = sha256("bootloader");
      sig.insert(sig.end(), h.begin(), h.end());
      variable(7, ev::kEfiVariableAuthority, kEfiImageSecurityDbGuid, "db", sig);
    }
    measure(4, ev::kEfiBootServicesApplication, Bytes(32, 0x42), toBytes("bootx64.efi"));
  }
};

std::vector<std::uint32_t> pcrsOf(const std::map<std::uint32_t, Bytes>& m) {
  std::vector<std::uint32_t> out;
  for (const auto& [pcr, v] : m) out.push_back(pcr);
  return out;
}

// Mirrors go-attestation attest/testdata/ebs_event_missing_eventlog, option_rom_eventlog and the
// log in windows_gcp_shielded_vm.json: TPM 2.0 machines whose firmware writes the TCG 1.2 / PC
// Client SHA-1 layout (no Spec ID event; the first event is EV_S_CRTM_VERSION in PCR 0).
TEST(RealLogLayouts, Sha1LayoutParsesAndReplaysAgainstTheSha1Bank) {
  Fixture f{EventLogBuilder::sha1Legacy(), EVP_sha1()};
  f.typical();
  Bytes bytes = f.builder.build();
  EXPECT_EQ(bytes[4], ev::kSCrtmVersion);  // event 0 is a measurement, not a Spec ID event
  auto log = parseEventLog(bytes);
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->format, EventLogFormat::Sha1Legacy);
  EXPECT_TRUE(sha1Only(log.value()));
  EXPECT_EQ(preferredBank(log.value()), alg::kSha1);
  EXPECT_EQ(log->events.size(), f.builder.eventCount());
  EXPECT_EQ(replayLog(log.value(), alg::kSha1), f.expected);
  auto replay = checkReplay(log.value(), alg::kSha1, f.expected);
  EXPECT_TRUE(replay.ok) << replay.detail;
  EXPECT_EQ(replay.verifiedPcrs.size(), 8u);
  // No SHA-256 digests: replay against a SHA-256 quote cannot verify anything.
  EXPECT_FALSE(checkReplay(log.value(), alg::kSha256, f.expected).ok);
  auto sb = extractSecureBoot(log.value(), alg::kSha1, replay.verifiedPcrs);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  EXPECT_TRUE(sb->enabled);
  // A PCR that does not replay is still a replay failure in this layout.
  auto wrong = f.expected;
  wrong[4][0] ^= 1;
  EXPECT_FALSE(checkReplay(log.value(), alg::kSha1, wrong).ok);
  // Truncated SHA-1 layout logs are malformed (PB-3050), as in the crypto-agile layout.
  auto cut = parseEventLog(Bytes(bytes.begin(), bytes.end() - 3));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, std::string(reason::kEventLogInvalid));
}

// Mirrors go-attestation attest/testdata/short_no_action_eventlog (49 bytes): a SHA-1 layout log
// whose first event is a short EV_NO_ACTION "StartupLocality\0" + locality 3 in PCR 0 (TXT /
// locality-3 startup), which sets PCR 0's initial value to 00..03.
TEST(RealLogLayouts, ShortStartupLocalityFirstEventInSha1Layout) {
  Bytes lone = EventLogBuilder::sha1Legacy().startupLocality(3).build();
  EXPECT_EQ(lone.size(), 49u);  // the capture's exact size: 32-byte header + 17-byte event
  auto only = parseEventLog(lone);
  ASSERT_TRUE(only.ok()) << only.error().message;
  EXPECT_EQ(only->startupLocality, 3);
  EXPECT_TRUE(replayLog(only.value(), alg::kSha1).empty());  // EV_NO_ACTION extends nothing

  Fixture f{EventLogBuilder::sha1Legacy(), EVP_sha1()};
  f.builder.startupLocality(3);
  f.locality = 3;
  f.typical();
  auto log = parseEventLog(f.builder.build());
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->events.front().type, ev::kNoAction);
  EXPECT_EQ(log->startupLocality, 3);
  EXPECT_TRUE(checkReplay(log.value(), alg::kSha1, f.expected).ok);
  // Replayed from 00..00 instead, PCR 0 would not match.
  Fixture zero{EventLogBuilder::sha1Legacy(), EVP_sha1()};
  zero.typical();
  EXPECT_NE(zero.expected[0], f.expected[0]);
}

TEST(RealLogLayouts, StartupLocalityInCryptoAgileLogAndOnlyBeforePcr0Measurements) {
  Fixture f{EventLogBuilder({alg::kSha256}), EVP_sha256()};
  f.builder.startupLocality(3);
  f.locality = 3;
  f.typical();
  auto log = parseEventLog(f.builder.build());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->format, EventLogFormat::CryptoAgile);
  EXPECT_FALSE(sha1Only(log.value()));
  EXPECT_TRUE(checkReplay(log.value(), alg::kSha256, f.expected).ok);

  // A StartupLocality event after PCR 0 was measured cannot change its initial value.
  Fixture late{EventLogBuilder({alg::kSha256}), EVP_sha256()};
  late.typical();
  Bytes loc(kStartupLocalitySignature, kStartupLocalitySignature + 16);
  loc.push_back(3);
  late.builder.eventDigestOf(0, ev::kNoAction, loc, Bytes{});
  auto lateLog = parseEventLog(late.builder.build());
  ASSERT_TRUE(lateLog.ok());
  EXPECT_EQ(lateLog->startupLocality, 0);
  EXPECT_TRUE(checkReplay(lateLog.value(), alg::kSha256, late.expected).ok);
}

// Mirrors go-attestation attest/testdata/option_rom_eventlog: a SHA-1 layout log from Windows with
// an informational EV_NO_ACTION event in "PCR -1" (index 0xFFFFFFFF). Never extended, so allowed;
// any measured event there is still out of range.
TEST(RealLogLayouts, WindowsNoActionEventInPcrMinusOne) {
  Fixture f{EventLogBuilder::sha1Legacy(), EVP_sha1()};
  f.typical();
  f.builder.eventDigestOf(kNoPcrIndex, ev::kNoAction, toBytes("Windows AIK"), Bytes{});
  auto log = parseEventLog(f.builder.build());
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_TRUE(checkReplay(log.value(), alg::kSha1, f.expected).ok);
  auto measured = EventLogBuilder::sha1Legacy();
  measured.event(kNoPcrIndex, ev::kAction, toBytes("x"));
  auto bad = parseEventLog(measured.build());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, std::string(reason::kEventLogInvalid));
}

// A crypto-agile log whose Spec ID event lists SHA-1 only is "SHA-1 only" too.
TEST(RealLogLayouts, CryptoAgileSha1OnlyLogIsSha1Only) {
  Fixture f{EventLogBuilder({alg::kSha1}), EVP_sha1()};
  f.typical();
  auto log = parseEventLog(f.builder.build());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->format, EventLogFormat::CryptoAgile);
  EXPECT_TRUE(sha1Only(log.value()));
  EXPECT_TRUE(checkReplay(log.value(), alg::kSha1, f.expected).ok);
}

// Mirrors go-attestation attest/testdata/sb_cert_eventlog (issue #157): shim before
// rhboot/shim@8a27a48 logged two EV_EFI_VARIABLE_AUTHORITY events for its built-in certificate,
// {shim-lock GUID, "Shim", bare DER certificate with no owner GUID}, 1126 bytes logged of which the
// digest covers the first 1125 (UEFI_VARIABLE_DATA, 5 zero bytes, then an uncovered 0xAF).
class ShimQuirk : public ::testing::Test {
 protected:
  Bytes cert = testing::toDer(testing::makeRootCa("Shim built-in CA").cert.get());
  Fixture f{EventLogBuilder({alg::kSha1, alg::kSha256}), EVP_sha256()};

  void addQuirkEvents() {
    for (int i = 0; i < 2; ++i) {
      f.builder.shimAuthorityQuirk(cert);
      Bytes covered = encodeUefiVariable(kShimLockGuid, "Shim", cert);
      covered.insert(covered.end(), 5, 0);
      f.extend(7, digestOf(f.md, covered));
    }
  }
  Result<SecureBootState> extract(const Bytes& bytes) {
    auto log = parseEventLog(bytes);
    EXPECT_TRUE(log.ok());
    auto replay = checkReplay(log.value(), alg::kSha256, f.expected);
    EXPECT_TRUE(replay.ok) << replay.detail;
    return extractSecureBoot(log.value(), alg::kSha256, replay.verifiedPcrs);
  }
};

TEST_F(ShimQuirk, AuthorityWithUncoveredLastByteIsAccepted) {
  f.typical();
  addQuirkEvents();
  auto& ev7 = f.builder.events().back();
  EXPECT_EQ(ev7.data.size(), encodeUefiVariable(kShimLockGuid, "Shim", cert).size() + 6);
  auto sb = extract(f.builder.build());
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  EXPECT_TRUE(sb->enabled);
  EXPECT_EQ(sb->authorityEvents, 3u);
  EXPECT_EQ(sb->shimQuirkAuthorityEvents, 2u);
}

TEST_F(ShimQuirk, AnythingElseNotMatchingItsDigestIsStillRefused) {
  f.typical();
  // Digest over something else entirely: not the quirk.
  Bytes logged = encodeUefiVariable(kShimLockGuid, "Shim", cert);
  logged.push_back(0xAF);
  f.measure(7, ev::kEfiVariableAuthority, logged, toBytes("other"));
  auto sb = extract(f.builder.build());
  ASSERT_FALSE(sb.ok());
  EXPECT_EQ(sb.error().code, std::string(reason::kSecureBootUnknown));
}

TEST_F(ShimQuirk, NonZeroPaddingNonCertificateOrOtherEventTypeIsRefused) {
  struct Case {
    const char* what;
    Bytes covered;
    std::uint32_t type;
  };
  Bytes varPadded = encodeUefiVariable(kShimLockGuid, "Shim", cert);
  Bytes nonZero = varPadded;
  nonZero.insert(nonZero.end(), {0, 0, 1, 0, 0});
  Bytes notCert = encodeUefiVariable(kShimLockGuid, "Shim", Bytes(64, 0x30));
  Bytes tooMuch = varPadded;
  tooMuch.insert(tooMuch.end(), 8, 0);
  Bytes ok = varPadded;
  ok.insert(ok.end(), 5, 0);
  for (const Case& c : {Case{"non-zero padding", nonZero, ev::kEfiVariableAuthority},
                        Case{"not a certificate", notCert, ev::kEfiVariableAuthority},
                        Case{"8 padding bytes", tooMuch, ev::kEfiVariableAuthority},
                        Case{"driver-config event", ok, ev::kEfiVariableDriverConfig}}) {
    Fixture g{EventLogBuilder({alg::kSha256}), EVP_sha256()};
    g.typical();
    Bytes logged = c.covered;
    logged.push_back(0xAF);
    g.measure(7, c.type, logged, c.covered);
    auto log = parseEventLog(g.builder.build());
    ASSERT_TRUE(log.ok());
    auto replay = checkReplay(log.value(), alg::kSha256, g.expected);
    ASSERT_TRUE(replay.ok);
    auto sb = extractSecureBoot(log.value(), alg::kSha256, replay.verifiedPcrs);
    EXPECT_FALSE(sb.ok()) << c.what;
  }
}

// Mirrors go-attestation attest/testdata/crypto_agile_eventlog: Secure Boot never configured, the
// SecureBoot variable (and PK/KEK/db/dbx) measured with zero-length data.
TEST(RealLogLayouts, ZeroLengthSecureBootVariableMeansSecureBootOff) {
  Fixture f{EventLogBuilder({alg::kSha1, alg::kSha256}), EVP_sha256()};
  f.typical(/*secureBootVariableEmpty=*/true);
  auto log = parseEventLog(f.builder.build());
  ASSERT_TRUE(log.ok());
  auto replay = checkReplay(log.value(), alg::kSha256, f.expected);
  ASSERT_TRUE(replay.ok) << replay.detail;
  auto sb = extractSecureBoot(log.value(), alg::kSha256, replay.verifiedPcrs);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  EXPECT_FALSE(sb->enabled);
  EXPECT_TRUE(sb->variableEmpty);
  EXPECT_EQ(sb->pkEntries, 0u);

  // Two bytes is still not a SecureBoot value: no verdict (PB-3061).
  Fixture two{EventLogBuilder({alg::kSha256}), EVP_sha256()};
  two.variable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "SecureBoot", Bytes{1, 1});
  two.event(7, ev::kSeparator, Bytes{0, 0, 0, 0});
  auto twoLog = parseEventLog(two.builder.build());
  ASSERT_TRUE(twoLog.ok());
  auto twoSb = extractSecureBoot(twoLog.value(), alg::kSha256, pcrsOf(two.expected));
  ASSERT_FALSE(twoSb.ok());
  EXPECT_EQ(twoSb.error().code, std::string(reason::kSecureBootUnknown));
}

TEST(RealLogLayouts, EventlogShowListsPcrsInNumericOrder) {
  Fixture f{EventLogBuilder::sha1Legacy(), EVP_sha1()};
  for (std::uint32_t pcr : {14U, 2U, 10U, 0U, 1U}) f.event(pcr, ev::kAction, toBytes("x"));
  bool ok = false;
  auto report = eventLogJson(f.builder.build(), ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(report["format"], "sha1_legacy");
  EXPECT_EQ(report["sha1_only"], true);
  const std::string text = eventLogText(report);
  std::vector<std::size_t> at;
  for (const char* p : {"sha1:0 ", "sha1:1 ", "sha1:2 ", "sha1:10 ", "sha1:14 "}) {
    at.push_back(text.find(p));
    ASSERT_NE(at.back(), std::string::npos) << p << "\n" << text;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << text;
  EXPECT_EQ(report["replayed_pcrs"]["sha1"]["14"], toHex(f.expected[14]));
}

}  // namespace
}  // namespace pb::attest
