// SPDX-License-Identifier: Apache-2.0
// Platform-certificate checks: a throwaway OEM PKI (test_pki) issues certificates with
// PlatformCertBuilder; every check has its negative case and its own reason code.
#include "platcert/platform_cert_verify.hpp"

#include <ctime>

#include <gtest/gtest.h>

#include "core/files.hpp"
#include "core/reasons.hpp"
#include "platcert/platform_cert_builder.hpp"
#include "test_pki.hpp"

namespace pb::platcert {
namespace {

namespace pki = pb::attest::testing;

std::vector<std::string> codes(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.code);
  return out;
}

class PlatformCertVerify : public ::testing::Test {
 protected:
  PlatformCertVerify()
      : oemRoot_(pki::makeRootCa("OEM Root")),
        oemIssuing_(pki::makeIntermediateCa(oemRoot_, "OEM Platform Certificate Issuer")),
        tpmRoot_(pki::makeRootCa("TPM Root")),
        ekKey_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1")),
        otherEkKey_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1")),
        ek_(pki::issueEkCert(tpmRoot_, ekKey_.get())),
        otherEk_(pki::issueEkCert(tpmRoot_, otherEkKey_.get())),
        now_(std::time(nullptr)) {
    trust_.addRoot(oemRoot_.cert.get());
    trust_.addIntermediate(oemIssuing_.cert.get());
    device_.ekCertificate = ek_.get();
    device_.registerSerial = "SN-1001";
    device_.claimedSerial = "SN-1001";
    device_.claimedModel = "Bench Book 14";
    device_.componentsReported = true;
    device_.components = {component("Acme", "NVMe 1TB", "DISK-1"),
                          component("Acme", "DDR5 16GB", "DIMM-1")};
  }

  static Component component(std::string man, std::string model, std::string serial) {
    Component c;
    c.manufacturer = std::move(man);
    c.model = std::move(model);
    c.serial = std::move(serial);
    return c;
  }

  PlatformCertSpec spec() const {
    PlatformCertSpec s;
    s.holderEk = ek_.get();
    s.issuerCert = oemIssuing_.cert.get();
    s.issuerKey = oemIssuing_.key.get();
    s.serialNumber = 42;
    s.notBefore = now_ - 3600;
    s.notAfter = now_ + 365 * 86400;
    s.manufacturer = "Acme Computers";
    s.model = "Bench Book 14";
    s.version = "rev B";
    s.serial = "SN-1001";
    s.components = {component("Acme", "NVMe 1TB", "DISK-1"),
                    component("Acme", "DDR5 16GB", "DIMM-1")};
    return s;
  }

  std::vector<Finding> judge(const PlatformCertSpec& s,
                             PlatformCertMode mode = PlatformCertMode::VerifyIfPresent) {
    auto der = issuePlatformCertificate(s);
    EXPECT_TRUE(der.ok());
    return judgePlatformCertificate(mode, der ? *der : Bytes{}, trust_, device_, now_);
  }

  pki::TestCa oemRoot_;
  pki::TestCa oemIssuing_;
  pki::TestCa tpmRoot_;
  attest::EvpPkeyPtr ekKey_;
  attest::EvpPkeyPtr otherEkKey_;
  attest::X509Ptr ek_;
  attest::X509Ptr otherEk_;
  std::int64_t now_;
  OemTrustStore trust_;
  DeviceIdentity device_;
};

TEST_F(PlatformCertVerify, GoodCertificatePassesAndParsesBack) {
  auto der = issuePlatformCertificate(spec());
  ASSERT_TRUE(der.ok());
  auto pc = parsePlatformCertificate(*der);
  ASSERT_TRUE(pc.ok()) << pc.error().message;
  EXPECT_EQ(pc->platformConfigurationVersion, 2);
  EXPECT_EQ(pc->components.size(), 2U);
  EXPECT_EQ(pc->components[0].classRegistry, "2.23.133.18.3.1");
  EXPECT_TRUE(checkPlatformCertificate(*pc, trust_, device_, now_).empty());
}

TEST_F(PlatformCertVerify, ModeHandlesMissingAndIgnore) {
  EXPECT_EQ(codes(judgePlatformCertificate(PlatformCertMode::Require, {}, trust_, device_, now_)),
            std::vector<std::string>{std::string(reason::kPlatformCertMissing)});
  EXPECT_TRUE(judgePlatformCertificate(PlatformCertMode::VerifyIfPresent, {}, trust_, device_, now_)
                  .empty());
  EXPECT_TRUE(
      judgePlatformCertificate(PlatformCertMode::Ignore, Bytes{0x30, 0x00}, trust_, device_, now_)
          .empty());
  EXPECT_EQ(parsePlatformCertMode("verify_if_present"), PlatformCertMode::VerifyIfPresent);
  EXPECT_FALSE(parsePlatformCertMode("Require").has_value());
}

TEST_F(PlatformCertVerify, GarbageIsMalformed) {
  EXPECT_EQ(codes(judgePlatformCertificate(PlatformCertMode::VerifyIfPresent, Bytes{0x30, 0x01},
                                           trust_, device_, now_)),
            std::vector<std::string>{std::string(reason::kPlatformCertMalformed)});
}

TEST_F(PlatformCertVerify, UntrustedOemIsRefused) {
  auto rogue = pki::makeRootCa("OEM Platform Certificate Issuer");  // same name, other key
  auto s = spec();
  s.issuerCert = rogue.cert.get();
  s.issuerKey = rogue.key.get();
  EXPECT_EQ(codes(judge(s)), std::vector<std::string>{std::string(reason::kPlatformCertSignature)});
  auto stranger = pki::makeRootCa("Stranger OEM");
  s.issuerCert = stranger.cert.get();
  s.issuerKey = stranger.key.get();
  EXPECT_EQ(codes(judge(s)), std::vector<std::string>{std::string(reason::kPlatformCertUntrusted)});
}

TEST_F(PlatformCertVerify, IssuerThatDoesNotChainToARootIsUntrusted) {
  OemTrustStore onlyIntermediate;
  onlyIntermediate.addRoot(tpmRoot_.cert.get());
  onlyIntermediate.addIntermediate(oemIssuing_.cert.get());
  auto der = issuePlatformCertificate(spec());
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(codes(judgePlatformCertificate(PlatformCertMode::Require, *der, onlyIntermediate,
                                           device_, now_)),
            std::vector<std::string>{std::string(reason::kPlatformCertUntrusted)});
}

TEST_F(PlatformCertVerify, FlippedSignatureBitIsBadSignature) {
  auto der = issuePlatformCertificate(spec());
  ASSERT_TRUE(der.ok());
  (*der)[der->size() - 5] ^= 0x01;
  EXPECT_EQ(codes(judgePlatformCertificate(PlatformCertMode::Require, *der, trust_, device_, now_)),
            std::vector<std::string>{std::string(reason::kPlatformCertSignature)});
}

TEST_F(PlatformCertVerify, ExpiredAndNotYetValid) {
  auto s = spec();
  s.notBefore = now_ - 2 * 86400;
  s.notAfter = now_ - 86400;
  EXPECT_EQ(codes(judge(s)), std::vector<std::string>{std::string(reason::kPlatformCertExpired)});
  s.notBefore = now_ + 86400;
  s.notAfter = now_ + 2 * 86400;
  EXPECT_EQ(codes(judge(s)), std::vector<std::string>{std::string(reason::kPlatformCertExpired)});
}

TEST_F(PlatformCertVerify, WrongHolder) {
  auto s = spec();
  s.holderEk = otherEk_.get();  // same issuer, different serial
  EXPECT_EQ(codes(judge(s)),
            std::vector<std::string>{std::string(reason::kPlatformCertHolderMismatch)});
  device_.ekCertificate = nullptr;
  EXPECT_EQ(codes(judge(spec())),
            std::vector<std::string>{std::string(reason::kPlatformCertHolderMismatch)});
}

TEST_F(PlatformCertVerify, SerialDiffersFromRegisterOrClaim) {
  auto s = spec();
  s.serial = "SN-9999";
  EXPECT_EQ(codes(judge(s)),
            std::vector<std::string>{std::string(reason::kPlatformSerialMismatch)});
  device_.registerSerial = "";
  EXPECT_EQ(codes(judge(s)),
            std::vector<std::string>{std::string(reason::kPlatformSerialMismatch)});
  s.serial = "";
  EXPECT_EQ(codes(judge(s)),
            std::vector<std::string>{std::string(reason::kPlatformSerialMismatch)});
  // Surrounding whitespace in SMBIOS strings is not a mismatch.
  s.serial = "SN-1001";
  device_.claimedSerial = "  SN-1001 ";
  EXPECT_TRUE(judge(s).empty());
}

TEST_F(PlatformCertVerify, ModelMismatch) {
  device_.claimedModel = "Bench Book 15";
  EXPECT_EQ(codes(judge(spec())),
            std::vector<std::string>{std::string(reason::kPlatformModelMismatch)});
  device_.claimedModel = "bench book 14";
  EXPECT_TRUE(judge(spec()).empty());
}

TEST_F(PlatformCertVerify, SwappedAndMissingComponents) {
  device_.components[0].serial = "DISK-2";
  auto f = judge(spec());
  ASSERT_EQ(codes(f), std::vector<std::string>{std::string(reason::kPlatformComponentSwapped)});
  EXPECT_NE(f[0].detail.find("another serial"), std::string::npos);
  device_.components.pop_back();
  EXPECT_EQ(codes(judge(spec())).size(), 2U);
  // No component report from the agent: nothing to compare, the rest still passes.
  device_.componentsReported = false;
  EXPECT_TRUE(judge(spec()).empty());
}

TEST_F(PlatformCertVerify, RealSha1CertificateIsRefusedEvenWithItsSigner) {
  auto signer = readFileBounded(
      std::string(PB_PLATCERT_FIXTURES) + "/IntelSigningKey_20April2017.cer", 64 * 1024);
  auto der = readFileBounded(std::string(PB_PLATCERT_FIXTURES) + "/Intel_pc2.cer", 64 * 1024);
  ASSERT_TRUE(signer.ok() && der.ok());
  auto cert = attest::parseCertificateDer(Bytes(signer->begin(), signer->end()));
  ASSERT_TRUE(cert.ok());
  OemTrustStore intel;
  intel.addRoot(cert->get());
  auto pc = parsePlatformCertificate(Bytes(der->begin(), der->end()));
  ASSERT_TRUE(pc.ok());
  auto s = intel.verifySignature(*pc, 1500000000);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, reason::kPlatformCertSignature);
  EXPECT_NE(s.error().message.find("not accepted"), std::string::npos);
}

TEST_F(PlatformCertVerify, LoadRefusesEmptyRootsDirectory) {
  EXPECT_FALSE(OemTrustStore::load("", "").ok());
  EXPECT_FALSE(OemTrustStore::load("/nonexistent-oem-roots", "").ok());
}

}  // namespace
}  // namespace pb::platcert
