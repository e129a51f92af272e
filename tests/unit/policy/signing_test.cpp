// SPDX-License-Identifier: Apache-2.0
// Signed bundles: missing, wrong key, tampered file, tampered signature, malformed inputs.
#include "policy/signing.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

const std::string kPolicy = "name: p\ntenant: {id: t}\n";

class Signing : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = generateSigningKey();
    auto b = generateSigningKey();
    ASSERT_TRUE(a.ok() && b.ok());
    alice_ = std::move(*a);
    mallory_ = std::move(*b);
    auto signer = parseTrustedSigner(alice_.publicPem, "alice.pem");
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    trust_.signers = {*signer};
  }
  SigningKeyPair alice_, mallory_;
  PolicyTrust trust_;
};

TEST_F(Signing, KeysAreEd25519Pem) {
  EXPECT_EQ(alice_.privatePem.text().rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(alice_.publicPem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  EXPECT_EQ(alice_.fingerprint.size(), 64u);
  EXPECT_NE(alice_.fingerprint, mallory_.fingerprint);
  EXPECT_EQ(trust_.signers[0].fingerprint, alice_.fingerprint);
  EXPECT_EQ(*privateKeyFingerprint(alice_.privatePem.text()), alice_.fingerprint);
}

TEST_F(Signing, SignatureIsOneBase64Line) {
  auto sig = signPolicyBytes(kPolicy, alice_.privatePem.text());
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 89u);
  EXPECT_EQ(sig->back(), '\n');
}

TEST_F(Signing, GoodSignatureIsAccepted) {
  auto sig = signPolicyBytes(kPolicy, alice_.privatePem.text());
  auto r = acceptPolicy(kPolicy, "p.yaml", *sig, trust_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->signer, alice_.fingerprint);
  EXPECT_FALSE(r->isUnsigned);
  EXPECT_EQ(r->hash, policyHash(r->policy));
  // Without the trailing newline too (copy-paste).
  EXPECT_TRUE(acceptPolicy(kPolicy, "p.yaml", sig->substr(0, 88), trust_).ok());
}

TEST_F(Signing, MissingSignatureIsRefusedUnlessDevelopmentMode) {
  auto r = acceptPolicy(kPolicy, "p.yaml", std::nullopt, trust_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "signature");
  EXPECT_NE(r.error().message.find("not signed"), std::string::npos);
  trust_.allowUnsigned = true;
  auto dev = acceptPolicy(kPolicy, "p.yaml", std::nullopt, trust_);
  ASSERT_TRUE(dev.ok());
  EXPECT_TRUE(dev->isUnsigned);
  EXPECT_EQ(dev->signer, "");
}

TEST_F(Signing, WrongKeyIsRefusedEvenInDevelopmentMode) {
  trust_.allowUnsigned = true;
  auto sig = signPolicyBytes(kPolicy, mallory_.privatePem.text());
  auto r = acceptPolicy(kPolicy, "p.yaml", *sig, trust_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "signature");
  EXPECT_NE(r.error().message.find("does not verify"), std::string::npos) << r.error().message;
}

TEST_F(Signing, TamperedFileIsRefused) {
  auto sig = signPolicyBytes(kPolicy, alice_.privatePem.text());
  // A change that means the same policy still breaks the signature: it covers the bytes.
  auto r = acceptPolicy(kPolicy + "# comment\n", "p.yaml", *sig, trust_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "signature");
}

TEST_F(Signing, TamperedSignatureIsRefused) {
  auto sig = signPolicyBytes(kPolicy, alice_.privatePem.text());
  std::string bad = *sig;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  auto r = acceptPolicy(kPolicy, "p.yaml", bad, trust_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "signature");
}

TEST_F(Signing, MalformedSignaturesAreRefused) {
  for (const std::string& bad : {std::string(), std::string("not base64!"), std::string(88, 'A'),
                                 std::string(5000, 'A'), std::string(64, '\0')}) {
    auto r = verifyPolicySignature(kPolicy, bad, trust_.signers);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "signature");
  }
}

TEST_F(Signing, InvalidPolicyReportsPolicyErrorsFirst) {
  auto r = acceptPolicy("name: p\n", "p.yaml", std::nullopt, trust_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "policy");
}

TEST_F(Signing, NoTrustedSignersMeansNothingVerifies) {
  auto sig = signPolicyBytes(kPolicy, alice_.privatePem.text());
  auto r = acceptPolicy(kPolicy, "p.yaml", *sig, PolicyTrust{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no trusted policy signers"), std::string::npos);
}

TEST_F(Signing, KeyParsingRejectsOtherKeys) {
  EXPECT_FALSE(parseTrustedSigner("garbage", "x.pem").ok());
  EXPECT_FALSE(parseTrustedSigner(alice_.privatePem.text(), "x.pem").ok());
  // An RSA public key is not an Ed25519 key.
  const std::string rsa =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n"
      "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n"
      "-----END PUBLIC KEY-----\n";
  auto r = parseTrustedSigner(rsa, "rsa.pem");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "rsa.pem: not an Ed25519 public key");
  EXPECT_FALSE(signPolicyBytes(kPolicy, "garbage").ok());
}

}  // namespace
}  // namespace pb
