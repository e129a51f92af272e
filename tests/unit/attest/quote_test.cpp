// SPDX-License-Identifier: Apache-2.0
// Quote verification: real tpm2_quote output from swtpm verifies; one negative test per attack
// class of tpm-attestation.md §10 (structures forged with a software key so exactly one property
// is broken each time).
#include "attest/quote.hpp"

#include <gtest/gtest.h>

#include "attest/tool_formats.hpp"
#include "core/reasons.hpp"
#include "forge.hpp"
#include "swtpm_harness.hpp"

namespace pb::attest {
namespace {

using testing::AttestFields;
using testing::SoftKey;

const std::string kSignatureCode(reason::kQuoteSignature);
const std::string kStructureCode(reason::kQuoteStructure);
const std::string kNonceCode(reason::kQuoteNonce);
const std::string kSelectionCode(reason::kQuotePcrSelection);
const std::string kDigestCode(reason::kQuotePcrDigest);

class ForgedQuote : public ::testing::Test {
 protected:
  ForgedQuote() : key_(testing::makeSoftKey()), nonce_(randomBytes(32)) {
    for (std::uint32_t i = 0; i < 8; ++i) values_.push_back(sha256("pcr" + std::to_string(i)));
    fields_.extraData = nonce_;
    fields_.selection = {makeSelection(alg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7})};
    fields_.pcrDigest = testing::pcrDigestOf(values_);
  }

  QuoteReport verify(const AttestFields& f, const SoftKey* signer = nullptr) {
    QuoteInput in = input();
    in.attest = testing::marshalAttest(f);
    in.signature = testing::signTpm(signer ? *signer : key_, in.attest);
    return verifyQuote(in);
  }

  QuoteInput input() {
    key_evp_ = toEvpKey(key_.pub).value();
    QuoteInput in;
    in.ak = &key_.pub;
    in.akKey = key_evp_.get();
    in.expectedNonce = nonce_;
    in.requested = {makeSelection(alg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7})};
    for (std::uint32_t i = 0; i < 8; ++i) in.pcrValues[alg::kSha256][i] = values_[i];
    return in;
  }

  SoftKey key_;
  EvpPkeyPtr key_evp_;
  Bytes nonce_;
  std::vector<Bytes> values_;
  AttestFields fields_;
};

TEST_F(ForgedQuote, ValidQuotePassesEveryCheck) {
  auto r = verify(fields_);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.verified.size(), 8u);
  for (const auto& c : r.checks) EXPECT_EQ(c.state, CheckState::Pass) << c.name;
}

TEST_F(ForgedQuote, SafeZeroIsRecordedNotFatal) {
  fields_.safe = false;
  auto r = verify(fields_);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.attest.clockInfo.safe);
}

// tpm2-tools CVE-2024-29038, tpm2-tss CVE-2024-29040, CHARRA #90.
TEST_F(ForgedQuote, BadMagicIsRejected) {
  fields_.magic = 0xFF544346;
  auto r = verify(fields_);
  EXPECT_EQ(r.code, kStructureCode);
}

// tpm2-tools GHSA-gwfg-w3jr-xh66, tpm2-tss GHSA-x5j2-26fc-hhc3: NV_Certify attest as a quote.
TEST_F(ForgedQuote, NvCertifyAttestIsNotAQuote) {
  fields_.type = kStAttestNv;
  auto r = verify(fields_);
  EXPECT_EQ(r.code, kStructureCode);
  EXPECT_FALSE(r.ok());
}

// tpm2-tools CVE-2024-29039: signed selection differs from the requested one.
TEST_F(ForgedQuote, NarrowerSelectionIsRejected) {
  fields_.selection = {makeSelection(alg::kSha256, {0, 1, 2})};
  fields_.pcrDigest = testing::pcrDigestOf({values_[0], values_[1], values_[2]});
  auto r = verify(fields_);
  EXPECT_EQ(r.code, kSelectionCode);
}

// go-attestation CVE-2022-0317: a quote over no PCRs.
TEST_F(ForgedQuote, EmptySelectionIsRejected) {
  fields_.selection = {};
  fields_.pcrDigest = testing::pcrDigestOf({});
  EXPECT_EQ(verify(fields_).code, kSelectionCode);
  fields_.selection = {PcrSelection{alg::kSha256, {}}};
  EXPECT_EQ(verify(fields_).code, kSelectionCode);
}

TEST_F(ForgedQuote, DuplicateBankIsRejected) {
  fields_.selection = {makeSelection(alg::kSha256, {0, 1, 2, 3}),
                       makeSelection(alg::kSha256, {4, 5, 6, 7})};
  EXPECT_EQ(verify(fields_).code, kSelectionCode);
}

// Keylime CVE-2026-6420 / Veraison #427: the nonce must be the issued one.
TEST_F(ForgedQuote, WrongNonceIsRejected) {
  fields_.extraData = randomBytes(32);
  EXPECT_EQ(verify(fields_).code, kNonceCode);
}

TEST_F(ForgedQuote, ReEncodedOrTruncatedNonceIsRejected) {
  fields_.extraData = Bytes(nonce_.begin(), nonce_.begin() + 16);
  EXPECT_EQ(verify(fields_).code, kNonceCode);
}

// Keylime CVE-2021-3406: the quote must be signed by the key that was accepted and activated.
TEST_F(ForgedQuote, SignatureByAnotherKeyIsRejected) {
  SoftKey other = testing::makeSoftKey();
  EXPECT_EQ(verify(fields_, &other).code, kSignatureCode);
}

TEST_F(ForgedQuote, WrongSignatureHashIsRejected) {
  QuoteInput in = input();
  in.attest = testing::marshalAttest(fields_);
  in.signature = testing::signTpm(key_, in.attest, alg::kSha384);
  EXPECT_EQ(verifyQuote(in).code, kSignatureCode);  // the AK pins ECDSA-SHA256
}

TEST_F(ForgedQuote, TrailingBytesAreRejected) {
  QuoteInput in = input();
  in.attest = testing::marshalAttest(fields_);
  in.signature = testing::signTpm(key_, in.attest);
  in.attest.push_back(0);
  EXPECT_EQ(verifyQuote(in).code, kStructureCode);
  in.attest.pop_back();
  in.signature.push_back(0);
  EXPECT_EQ(verifyQuote(in).code, kSignatureCode);
}

TEST_F(ForgedQuote, TamperedPcrValueIsRejected) {
  QuoteInput in = input();
  in.attest = testing::marshalAttest(fields_);
  in.signature = testing::signTpm(key_, in.attest);
  in.pcrValues[alg::kSha256][7][0] ^= 1;
  EXPECT_EQ(verifyQuote(in).code, kDigestCode);
}

// Agent metadata that disagrees with the signed selection: an extra unquoted value.
TEST_F(ForgedQuote, UnquotedPcrValueIsRejected) {
  QuoteInput in = input();
  in.attest = testing::marshalAttest(fields_);
  in.signature = testing::signTpm(key_, in.attest);
  in.pcrValues[alg::kSha256][9] = Bytes(32, 0);
  EXPECT_EQ(verifyQuote(in).code, kDigestCode);
  in.pcrValues[alg::kSha256].erase(9);
  in.pcrValues[alg::kSha256].erase(3);
  EXPECT_EQ(verifyQuote(in).code, kDigestCode);
}

// RSA AKs: RSASSA, and RSAPSS with the maximum salt length (salt auto-detected).
TEST(RsaQuote, RsassaAndPssVerify) {
  for (bool pss : {false, true}) {
    SoftKey key = testing::makeSoftKey(testing::kAkAttributes, true, pss);
    EXPECT_TRUE(checkAk(key.pub, {"rsa2048"}).ok());
    auto evp = toEvpKey(key.pub).value();
    Bytes nonce = randomBytes(32);
    AttestFields f;
    f.extraData = nonce;
    f.selection = {makeSelection(alg::kSha256, {0})};
    f.pcrDigest = testing::pcrDigestOf({Bytes(32, 0)});
    QuoteInput in;
    in.ak = &key.pub;
    in.akKey = evp.get();
    in.attest = testing::marshalAttest(f);
    in.signature = testing::signTpm(key, in.attest, alg::kSha256, pss);
    in.expectedNonce = nonce;
    in.requested = f.selection;
    in.pcrValues[alg::kSha256][0] = Bytes(32, 0);
    auto r = verifyQuote(in);
    EXPECT_TRUE(r.ok()) << pss << " " << r.message;
    // The other padding does not pass for a key pinned to one scheme.
    in.signature = testing::signTpm(key, in.attest, alg::kSha256, !pss);
    EXPECT_EQ(verifyQuote(in).code, kSignatureCode);
  }
}

TEST(AkAcceptance, TcgAkTemplatePasses) {
  auto k = testing::makeSoftKey();
  EXPECT_TRUE(checkAk(k.pub, {"ecc_nist_p256"}).ok());
}

// Infineon remote-attestation-optiga-tpm PR #2: an unrestricted key can sign forged attests.
TEST(AkAcceptance, UnrestrictedKeyIsRejected) {
  auto k = testing::makeSoftKey(testing::kAkAttributes & ~attr::kRestricted);
  auto s = checkAk(k.pub, {"ecc_nist_p256"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, std::string(reason::kAkAttributes));
}

TEST(AkAcceptance, EachMissingAttributeIsRejected) {
  for (std::uint32_t bit :
       {attr::kSign, attr::kFixedTpm, attr::kFixedParent, attr::kSensitiveDataOrigin}) {
    auto k = testing::makeSoftKey(testing::kAkAttributes & ~bit);
    EXPECT_FALSE(checkAk(k.pub, {"ecc_nist_p256"}).ok()) << bit;
  }
  auto dec = testing::makeSoftKey(testing::kAkAttributes | attr::kDecrypt);
  EXPECT_FALSE(checkAk(dec.pub, {"ecc_nist_p256"}).ok());
}

TEST(AkAcceptance, AlgorithmNotInPolicyIsRejected) {
  auto k = testing::makeSoftKey();
  auto s = checkAk(k.pub, {"rsa2048"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, std::string(reason::kAkNotAllowed));
}

TEST(NonceStore, SingleUseAndExpiring) {
  FixedClock clock(1'000'000);
  NonceStore store(clock, 60);
  Bytes n = store.issue();
  EXPECT_EQ(n.size(), 32u);
  EXPECT_TRUE(store.consume(n, n).ok());
  EXPECT_FALSE(store.consume(n, n).ok());  // reused
  Bytes stale = store.issue();
  clock.advance(61);
  auto s = store.consume(stale, stale);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, std::string(reason::kQuoteNonce));
  EXPECT_EQ(s.error().message.find(toHex(stale)), std::string::npos);  // never echoed
  Bytes burnt = store.issue();
  EXPECT_FALSE(store.consume(burnt, randomBytes(32)).ok());  // wrong one burns it
  EXPECT_FALSE(store.consume(burnt, burnt).ok());
  EXPECT_FALSE(store.consume(randomBytes(32), randomBytes(32)).ok());  // never issued
}

TEST(NonceStore, Bounded) {
  FixedClock clock(0);
  NonceStore store(clock, 600);
  for (std::size_t i = 0; i < NonceStore::kMaxOutstanding + 10; ++i) store.issue();
  EXPECT_EQ(store.outstanding(), NonceStore::kMaxOutstanding);
}

TEST(ToolFormats, PcrListSpec) {
  auto s = parsePcrListSpec("sha256:7,0,1+sha1:0");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0], makeSelection(alg::kSha256, {0, 1, 7}));
  EXPECT_FALSE(parsePcrListSpec("sha256:24").ok());
  EXPECT_FALSE(parsePcrListSpec("sha256:").ok());
  EXPECT_FALSE(parsePcrListSpec("md5:1").ok());
  EXPECT_FALSE(parsePcrListSpec("sha256:1+sha256:2").ok());
  EXPECT_FALSE(parsePcrListSpec("sha256:1x").ok());
}

// Real quotes made by tpm2_quote on swtpm, for ECDSA, RSASSA and RSAPSS AKs.
class SwtpmQuote : public ::testing::TestWithParam<const char*> {};

TEST_P(SwtpmQuote, Tpm2QuoteOutputVerifies) {
  testing::TempDir dir;
  testing::TempDir state;
  testing::Swtpm tpm(state.path());
  ASSERT_TRUE(tpm.running());
  std::string flush = "; tpm2_flushcontext -t; tpm2_flushcontext -s";
  ASSERT_EQ(tpm.run("tpm2_createek -c " + dir.file("ek.ctx") + " -G rsa -u " + dir.file("ek.pub") +
                    flush),
            0);
  ASSERT_EQ(
      tpm.run("tpm2_createak -C " + dir.file("ek.ctx") + " -c " + dir.file("ak.ctx") + " " +
              GetParam() + " -u " + dir.file("ak.pub") + " -n " + dir.file("ak.name") + flush),
      0);
  ASSERT_EQ(tpm.run("tpm2_pcrextend 3:sha256=" + toHex(sha256("boot"))), 0);
  Bytes nonce = randomBytes(32);
  ASSERT_EQ(tpm.run("tpm2_quote -c " + dir.file("ak.ctx") + " -l sha256:0,1,2,3,4,5,6,7 -q " +
                    toHex(nonce) + " -m " + dir.file("msg") + " -s " + dir.file("sig") + " -o " +
                    dir.file("pcrs") + " -g sha256" + flush),
            0);
  auto ak = parseAkFile(testing::readFile(dir.file("ak.pub")));
  ASSERT_TRUE(ak.ok()) << ak.error().message;
  EXPECT_TRUE(checkAk(ak->pub, {"ecc_nist_p256", "rsa2048"}).ok());
  auto sel = parsePcrListSpec("sha256:0,1,2,3,4,5,6,7");
  auto values = parsePcrValuesFile(testing::readFile(dir.file("pcrs")), sel.value());
  ASSERT_TRUE(values.ok()) << values.error().message;
  QuoteInput in;
  in.ak = &ak->pub;
  in.akKey = ak->key.get();
  in.attest = testing::readFile(dir.file("msg"));
  in.signature = testing::readFile(dir.file("sig"));
  in.expectedNonce = nonce;
  in.requested = sel.value();
  in.pcrValues = values.value();
  auto r = verifyQuote(in);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.verified.size(), 8u);
  in.expectedNonce = randomBytes(32);
  EXPECT_EQ(verifyQuote(in).code, kNonceCode);
}

INSTANTIATE_TEST_SUITE_P(AkSchemes, SwtpmQuote,
                         ::testing::Values("-G ecc -g sha256 -s ecdsa",
                                           "-G rsa -g sha256 -s rsassa"));

}  // namespace
}  // namespace pb::attest
