// SPDX-License-Identifier: Apache-2.0
// Event log: builder/parser/replay round trip, replay against a real swtpm, Secure Boot rules and
// the event-log attack classes (tampered type, EFI_SIGNATURE_LIST header injection, bounds).
#include "attest/event_log.hpp"

#include <gtest/gtest.h>

#include "attest/quote.hpp"
#include "attest/tool_formats.hpp"
#include "attest/tpm_types.hpp"
#include "core/reasons.hpp"
#include "swtpm_harness.hpp"

namespace pb::attest {
namespace {

struct Checked {
  Result<EventLog> log;
  ReplayOutcome replay;
};

// Parses b's log and replays it against b's own expected PCRs (as a quote would have proven them).
Checked parseAndReplay(EventLogBuilder& b) {
  auto log = parseEventLog(b.build());
  ReplayOutcome replay;
  if (log) replay = checkReplay(log.value(), alg::kSha256, b.expectedPcrs(alg::kSha256));
  return {std::move(log), replay};
}

TEST(EventLog, BuilderRoundTripReplaysAndShowsSecureBoot) {
  auto b = EventLogBuilder::typicalBoot(true);
  auto c = parseAndReplay(b);
  ASSERT_TRUE(c.log.ok()) << c.log.error().message;
  EXPECT_EQ(c.log->events.size(), b.eventCount() + 1);  // + StartupLocality
  EXPECT_TRUE(c.replay.ok) << c.replay.detail;
  EXPECT_EQ(c.replay.verifiedPcrs.size(), 8u);
  auto sb = extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  EXPECT_TRUE(sb->enabled);
  EXPECT_EQ(sb->dbEntries, 2u);
  EXPECT_EQ(sb->dbxSha256.size(), 2u);
  EXPECT_EQ(sb->authorityEvents, 1u);
}

TEST(EventLog, SecureBootOffIsReportedAsOff) {
  auto b = EventLogBuilder::typicalBoot(false);
  auto c = parseAndReplay(b);
  ASSERT_TRUE(c.log.ok());
  auto sb = extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  EXPECT_FALSE(sb->enabled);
}

TEST(EventLog, StartupLocalityAndHcrtmChangePcr0) {
  auto b0 = EventLogBuilder::typicalBoot(true);
  auto b3 = EventLogBuilder::typicalBoot(true);
  b3.startupLocality(3);
  EXPECT_NE(b0.expectedPcrs(alg::kSha256).at(0), b3.expectedPcrs(alg::kSha256).at(0));
  auto log = parseEventLog(b3.build());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->startupLocality, 3);
  EXPECT_EQ(replayLog(log.value(), alg::kSha256).at(0), b3.expectedPcrs(alg::kSha256).at(0));
  // Replaying a locality-3 log as if it started at locality 0 does not match.
  EXPECT_FALSE(checkReplay(log.value(), alg::kSha256, b0.expectedPcrs(alg::kSha256)).ok);
}

TEST(EventLog, TamperedDigestFailsReplay) {
  auto b = EventLogBuilder::typicalBoot(true);
  auto expected = b.expectedPcrs(alg::kSha256);
  b.events()[3].digests[0].second[0] ^= 1;
  auto log = parseEventLog(b.build());
  ASSERT_TRUE(log.ok());
  auto r = checkReplay(log.value(), alg::kSha256, expected);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.verifiedPcrs.empty());
}

// go-attestation event-log-disclosure: the event type is not covered by the digest. Changing the
// SecureBoot variable's event type keeps the replay valid but must not be interpreted as before.
TEST(EventLog, TamperedEventTypeIsNotInterpreted) {
  for (std::uint32_t forged : {ev::kEventTag, ev::kEfiVariableAuthority, ev::kEfiVariableBoot}) {
    auto b = EventLogBuilder::typicalBoot(true);
    for (auto& e : b.events()) {
      if (e.pcr == 7 && e.type == ev::kEfiVariableDriverConfig) {
        e.type = forged;
        break;
      }
    }
    auto c = parseAndReplay(b);
    ASSERT_TRUE(c.log.ok());
    EXPECT_TRUE(c.replay.ok);  // the PCR still matches …
    auto sb = extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs);
    ASSERT_FALSE(sb.ok()) << forged;  // … but Secure Boot cannot be established from it
    EXPECT_EQ(sb.error().code, std::string(reason::kSecureBootUnknown));
  }
}

TEST(EventLog, EventDataNotMatchingDigestIsNotInterpreted) {
  auto b = EventLogBuilder::typicalBoot(false);
  auto expected = b.expectedPcrs(alg::kSha256);
  // Claim Secure Boot on in the data while the digest still says off.
  for (auto& e : b.events()) {
    if (e.pcr == 7 && e.type == ev::kEfiVariableDriverConfig) {
      e.data.back() = 1;
      break;
    }
  }
  auto log = parseEventLog(b.build());
  ASSERT_TRUE(log.ok());
  auto r = checkReplay(log.value(), alg::kSha256, expected);
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(extractSecureBoot(log.value(), alg::kSha256, r.verifiedPcrs).ok());
}

TEST(EventLog, Pcr7NotVerifiedMeansUnknown) {
  auto b = EventLogBuilder::typicalBoot(true);
  auto log = parseEventLog(b.build());
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE(extractSecureBoot(log.value(), alg::kSha256, {0, 1, 2, 3, 4, 5, 6}).ok());
}

TEST(EventLog, DuplicateVariableAndVariableAfterSeparatorAreRejected) {
  {
    EventLogBuilder b({alg::kSha256});
    b.secureBootVariables(true);
    b.efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "SecureBoot", Bytes{1});
    auto c = parseAndReplay(b);
    ASSERT_TRUE(c.log.ok());
    EXPECT_FALSE(extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs).ok());
  }
  {
    EventLogBuilder b({alg::kSha256});
    b.efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "SecureBoot", Bytes{0});
    b.separator(7);
    b.efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "PK", Bytes{});
    auto c = parseAndReplay(b);
    ASSERT_TRUE(c.log.ok());
    EXPECT_FALSE(extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs).ok());
  }
  {
    EventLogBuilder b({alg::kSha256});
    b.secureBootVariables(true);
    b.separator(7);  // two separators
    auto c = parseAndReplay(b);
    EXPECT_FALSE(extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs).ok());
  }
}

TEST(EventLog, UefiDebugModeIsAFailure) {
  EventLogBuilder b({alg::kSha256});
  b.event(7, ev::kEfiAction, toBytes("UEFI Debug Mode"));
  b.secureBootVariables(true);
  auto c = parseAndReplay(b);
  EXPECT_FALSE(extractSecureBoot(c.log.value(), alg::kSha256, c.replay.verifiedPcrs).ok());
}

// go-attestation GHSA-9r4w-jg96-92mv: SignatureHeaderSize must be skipped, not read as entries.
TEST(SignatureList, HeaderIsSkippedNotInjected) {
  Guid owner{};
  Bytes injected = sha256("attacker-hash");
  Bytes list = encodeSha256SignatureList(owner, {sha256("real")}, 48);
  // Put an attacker-chosen "entry" inside the header.
  std::copy(injected.begin(), injected.end(), list.begin() + 28 + 16);
  auto entries = parseSignatureLists(list);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->at(0).data, sha256("real"));
}

TEST(SignatureList, MalformedListsAreRejected) {
  Guid owner{};
  Bytes list = encodeSha256SignatureList(owner, {sha256("a"), sha256("b")});
  Bytes truncated(list.begin(), list.end() - 1);
  EXPECT_FALSE(parseSignatureLists(truncated).ok());
  Bytes badSize = list;
  badSize[16] = 0xFF;  // SignatureListSize beyond the data
  EXPECT_FALSE(parseSignatureLists(badSize).ok());
  Bytes oddBody = list;
  oddBody[24] = 47;  // SignatureSize not dividing the body / wrong for SHA-256
  EXPECT_FALSE(parseSignatureLists(oddBody).ok());
  Bytes hugeHeader = list;
  hugeHeader[20] = 0xFF;
  hugeHeader[21] = 0xFF;
  hugeHeader[22] = 0xFF;
  hugeHeader[23] = 0xFF;
  EXPECT_FALSE(parseSignatureLists(hugeHeader).ok());
  EXPECT_TRUE(parseSignatureLists({}).ok());  // empty variable: no entries
}

TEST(EventLogParser, RejectsMalformedLogs) {
  Bytes good = EventLogBuilder::typicalBoot(true).build();
  EXPECT_FALSE(parseEventLog({}).ok());
  EXPECT_FALSE(parseEventLog(Bytes(good.begin(), good.end() - 1)).ok());
  // A Spec ID event outside PCR 0 (any other first event means the SHA-1 layout).
  Bytes misplaced = good;
  misplaced[0] = 1;
  EXPECT_FALSE(parseEventLog(misplaced).ok());
  // Out-of-range PCR index in the first real event (tpm2-tools GHSA-qp88-8f4j-wv7q).
  auto b = EventLogBuilder::typicalBoot(true);
  b.events()[0].pcr = 24;
  auto r = parseEventLog(b.build());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, std::string(reason::kEventLogInvalid));
  // A huge event size field.
  EventLogBuilder one({alg::kSha256});
  one.event(1, ev::kAction, toBytes("x"));
  Bytes huge = one.build();
  huge[huge.size() - 5] = 0xFF;
  huge[huge.size() - 4] = 0xFF;
  huge[huge.size() - 3] = 0xFF;
  huge[huge.size() - 2] = 0x7F;
  EXPECT_FALSE(parseEventLog(huge).ok());
}

TEST(EventLogParser, LogsLargerThan64KiBParse) {
  auto b = EventLogBuilder::typicalBoot(true, 1500);
  Bytes log = b.build();
  EXPECT_GT(log.size(), 65536u);
  auto c = parseAndReplay(b);
  ASSERT_TRUE(c.log.ok());
  EXPECT_TRUE(c.replay.ok);
}

TEST(EventLogParser, MultiBankLog) {
  EventLogBuilder b({alg::kSha1, alg::kSha256});
  b.secureBootVariables(true);
  auto log = parseEventLog(b.build());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(replayLog(log.value(), alg::kSha1).at(7), b.expectedPcrs(alg::kSha1).at(7));
  EXPECT_EQ(replayLog(log.value(), alg::kSha256).at(7), b.expectedPcrs(alg::kSha256).at(7));
}

// The builder's extends, performed on a real TPM, give PCRs that a tpm2_quote proves and that the
// log replays to.
TEST(EventLogSwtpm, ExtendedLogReplaysAgainstQuotedPcrs) {
  testing::TempDir dir;
  testing::TempDir state;
  testing::Swtpm tpm(state.path());
  ASSERT_TRUE(tpm.running());
  auto b = EventLogBuilder::typicalBoot(true, 4);
  std::string cmd;
  for (const auto& e : b.extends()) {
    cmd += "tpm2_pcrextend " + std::to_string(e.pcr) + ":sha256=" + toHex(e.digest) + " && ";
  }
  cmd += "true";
  ASSERT_EQ(tpm.run(cmd), 0);
  std::string flush = "; tpm2_flushcontext -t; tpm2_flushcontext -s";
  ASSERT_EQ(tpm.run("tpm2_createek -c " + dir.file("ek.ctx") + " -G ecc -u " + dir.file("ek.pub") +
                    flush),
            0);
  ASSERT_EQ(tpm.run("tpm2_createak -C " + dir.file("ek.ctx") + " -c " + dir.file("ak.ctx") +
                    " -G ecc -g sha256 -s ecdsa -u " + dir.file("ak.pub") + flush),
            0);
  Bytes nonce = randomBytes(32);
  ASSERT_EQ(tpm.run("tpm2_quote -c " + dir.file("ak.ctx") + " -l sha256:0,1,2,3,4,5,6,7 -q " +
                    toHex(nonce) + " -m " + dir.file("msg") + " -s " + dir.file("sig") + " -o " +
                    dir.file("pcrs") + " -g sha256" + flush),
            0);
  auto ak = parseAkFile(testing::readFile(dir.file("ak.pub")));
  ASSERT_TRUE(ak.ok());
  auto sel = parsePcrListSpec("sha256:0,1,2,3,4,5,6,7").value();
  QuoteInput in;
  in.ak = &ak->pub;
  in.akKey = ak->key.get();
  in.attest = testing::readFile(dir.file("msg"));
  in.signature = testing::readFile(dir.file("sig"));
  in.expectedNonce = nonce;
  in.requested = sel;
  in.pcrValues = parsePcrValuesFile(testing::readFile(dir.file("pcrs")), sel).value();
  auto q = verifyQuote(in);
  ASSERT_TRUE(q.ok()) << q.message;
  std::map<std::uint32_t, Bytes> quoted;
  for (const auto& p : q.verified) quoted[p.index] = p.value;
  auto log = parseEventLog(b.build());
  ASSERT_TRUE(log.ok());
  auto r = checkReplay(log.value(), alg::kSha256, quoted);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.verifiedPcrs.size(), 8u);
  EXPECT_TRUE(extractSecureBoot(log.value(), alg::kSha256, r.verifiedPcrs)->enabled);
}

}  // namespace
}  // namespace pb::attest
