// SPDX-License-Identifier: Apache-2.0
// The offline tools behind `benchctl quote verify` and `benchctl eventlog show`.
#include "attest/offline.hpp"

#include <gtest/gtest.h>

#include "attest/event_log.hpp"
#include "attest/quote.hpp"
#include "core/reasons.hpp"
#include "forge.hpp"

namespace pb::attest {
namespace {

QuoteVerifyFiles forgedFiles(const testing::SoftKey& key, const Bytes& nonce) {
  testing::AttestFields f;
  f.extraData = nonce;
  f.selection = {makeSelection(alg::kSha256, {0, 7})};
  Bytes v0(32, 0);
  Bytes v7 = sha256("seven");
  f.pcrDigest = testing::pcrDigestOf({v0, v7});
  QuoteVerifyFiles files;
  Bytes pub;
  putTpm2b(pub, key.pub.bytes);
  files.akPub = pub;
  files.msg = testing::marshalAttest(f);
  files.sig = testing::signTpm(key, files.msg);
  files.pcrs = v0;
  files.pcrs.insert(files.pcrs.end(), v7.begin(), v7.end());
  files.nonceHex = toHex(nonce);
  files.pcrList = "sha256:0,7";
  return files;
}

TEST(QuoteVerifyTool, ValidQuotePassesAndEveryCheckIsListed) {
  auto key = testing::makeSoftKey();
  bool passed = false;
  auto report = quoteVerifyJson(forgedFiles(key, randomBytes(32)), passed);
  EXPECT_TRUE(passed) << report.dump();
  EXPECT_EQ(report["verdict"], "pass");
  EXPECT_GE(report["checks"].size(), 9u);
  EXPECT_EQ(report["verified_pcrs"]["sha256"].size(), 2u);
}

TEST(QuoteVerifyTool, FailuresCarryTheirCode) {
  auto key = testing::makeSoftKey();
  bool passed = true;
  auto files = forgedFiles(key, randomBytes(32));
  files.nonceHex = toHex(randomBytes(32));
  auto report = quoteVerifyJson(files, passed);
  EXPECT_FALSE(passed);
  EXPECT_EQ(report["code"], std::string(reason::kQuoteNonce));
  files = forgedFiles(key, randomBytes(32));
  files.pcrList = "sha256:0,1,7";
  EXPECT_EQ(quoteVerifyJson(files, passed)["code"],
            std::string(reason::kQuotePcrDigest));  // file too short
  files = forgedFiles(key, randomBytes(32));
  files.nonceHex = "xyz";
  EXPECT_FALSE(quoteVerifyJson(files, passed)["verdict"] == "pass");
  auto unrestricted = testing::makeSoftKey(testing::kAkAttributes & ~attr::kRestricted);
  EXPECT_EQ(quoteVerifyJson(forgedFiles(unrestricted, randomBytes(32)), passed)["code"],
            std::string(reason::kAkAttributes));
  EXPECT_FALSE(passed);
}

TEST(EventLogTool, ShowsEventsReplayAndClaimedSecureBoot) {
  bool ok = false;
  auto report = eventLogJson(EventLogBuilder::typicalBoot(true, 3).build(), ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(report["secure_boot_unverified"]["enabled"], true);
  EXPECT_EQ(report["replayed_pcrs"]["sha256"].size(), 8u);
  std::string text = eventLogText(report);
  EXPECT_NE(text.find("EV_EFI_VARIABLE_DRIVER_CONFIG"), std::string::npos);
  EXPECT_NE(text.find("Secure Boot (claimed by the log, not verified by a quote): on"),
            std::string::npos);
  auto bad = eventLogJson(Bytes{1, 2, 3}, ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(bad["code"], std::string(reason::kEventLogInvalid));
}

}  // namespace
}  // namespace pb::attest
