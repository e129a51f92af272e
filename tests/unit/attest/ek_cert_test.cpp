// SPDX-License-Identifier: Apache-2.0
// EK certificate path validation: TCG quirks tolerated, unknown critical extensions and untrusted
// or expired chains rejected, certificate key bound to the EK public (swtpm EK and software EKs).
#include "attest/ek_cert.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/reasons.hpp"
#include "forge.hpp"
#include "swtpm_harness.hpp"
#include "test_pki.hpp"

namespace pb::attest {
namespace {

const std::string kUntrusted(reason::kEkUntrusted);
const std::string kMismatch(reason::kEkCertKeyMismatch);

class EkCert : public ::testing::Test {
 protected:
  EkCert()
      : root_(testing::makeRootCa("Test TPM Root")),
        inter_(testing::makeIntermediateCa(root_, "Test TPM EK CA")),
        ek_(testing::makeSoftKey(attr::kFixedTpm | attr::kFixedParent | attr::kSensitiveDataOrigin |
                                     attr::kRestricted | attr::kDecrypt,
                                 false)) {
    store_.addRoot(root_.cert.get());
    store_.addIntermediate(inter_.cert.get());
  }
  std::int64_t now() const { return static_cast<std::int64_t>(std::time(nullptr)); }

  testing::TestCa root_;
  testing::TestCa inter_;
  testing::SoftKey ek_;
  EkTrustStore store_;
};

TEST_F(EkCert, TcgProfileCertificateVerifies) {
  auto cert = testing::issueEkCert(inter_, ek_.priv.get());
  auto parsed = parseCertificateDer(testing::toDer(cert.get()));
  ASSERT_TRUE(parsed.ok());
  auto s = store_.verify(parsed->get(), ek_.pub, now());
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_F(EkCert, CriticalSubjectDirectoryAttributesTolerated) {
  testing::CertOptions o;
  o.criticalSubjectDirectoryAttributes = true;
  auto cert = testing::issueEkCert(inter_, ek_.priv.get(), o);
  EXPECT_TRUE(store_.verify(cert.get(), ek_.pub, now()).ok());
}

TEST_F(EkCert, UnknownCriticalExtensionRejected) {
  testing::CertOptions o;
  o.unknownCriticalExtension = true;
  auto cert = testing::issueEkCert(inter_, ek_.priv.get(), o);
  auto s = store_.verify(cert.get(), ek_.pub, now());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kUntrusted);
}

TEST_F(EkCert, UntrustedRootRejected) {
  auto other = testing::makeRootCa("Rogue Root");
  auto cert = testing::issueEkCert(other, ek_.priv.get());
  auto s = store_.verify(cert.get(), ek_.pub, now());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kUntrusted);
}

TEST_F(EkCert, MissingIntermediateRejected) {
  EkTrustStore rootsOnly;
  rootsOnly.addRoot(root_.cert.get());
  auto cert = testing::issueEkCert(inter_, ek_.priv.get());
  EXPECT_FALSE(rootsOnly.verify(cert.get(), ek_.pub, now()).ok());
}

TEST_F(EkCert, ExpiredRejected) {
  testing::CertOptions o;
  o.notBeforeOffset = -7200;
  o.notAfterOffset = -3600;
  auto cert = testing::issueEkCert(inter_, ek_.priv.get(), o);
  EXPECT_FALSE(store_.verify(cert.get(), ek_.pub, now()).ok());
}

TEST_F(EkCert, CertificateForAnotherKeyRejected) {
  auto other = testing::makeSoftKey();
  auto cert = testing::issueEkCert(inter_, other.priv.get());
  auto s = store_.verify(cert.get(), ek_.pub, now());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kMismatch);
}

TEST_F(EkCert, EmptyStoreTrustsNothing) {
  EkTrustStore empty;
  auto cert = testing::issueEkCert(inter_, ek_.priv.get());
  EXPECT_FALSE(empty.verify(cert.get(), ek_.pub, now()).ok());
}

TEST_F(EkCert, LoadFromPemDirectories) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.file("roots"));
  std::filesystem::create_directory(dir.file("inter"));
  std::ofstream(dir.file("roots/root.pem")) << testing::toPem(root_.cert.get());
  std::ofstream(dir.file("inter/ca.pem")) << testing::toPem(inter_.cert.get());
  auto store = EkTrustStore::load(dir.file("roots"), dir.file("inter"));
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto cert = testing::issueEkCert(inter_, ek_.priv.get());
  EXPECT_TRUE(store->verify(cert.get(), ek_.pub, now()).ok());
  EXPECT_FALSE(EkTrustStore::load(dir.file("inter/none"), "").ok());
  std::filesystem::create_directory(dir.file("empty"));
  EXPECT_FALSE(EkTrustStore::load(dir.file("empty"), "").ok());
}

TEST(EkCertParse, RejectsGarbageTrailingAndOversize) {
  auto root = testing::makeRootCa("r");
  Bytes der = testing::toDer(root.cert.get());
  EXPECT_TRUE(parseCertificateDer(der).ok());
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(parseCertificateDer(trailing).ok());
  EXPECT_FALSE(parseCertificateDer(Bytes(10, 0x30)).ok());
  EXPECT_FALSE(parseCertificateDer(Bytes(kMaxCertBytes + 1, 0x30)).ok());
}

// A certificate for the EK a real TPM recreates from the TCG template.
TEST(EkCertSwtpm, CertificateMatchesSwtpmEk) {
  testing::TempDir dir;
  testing::TempDir state;
  testing::Swtpm tpm(state.path());
  ASSERT_TRUE(tpm.running());
  ASSERT_EQ(tpm.run("tpm2_createek -c " + dir.file("ek.ctx") + " -G rsa -u " + dir.file("ek.pub") +
                    "; tpm2_flushcontext -t"),
            0);
  auto ek = parseTpm2bPublic(testing::readFile(dir.file("ek.pub")));
  ASSERT_TRUE(ek.ok());
  auto key = toEvpKey(ek.value());
  ASSERT_TRUE(key.ok());
  auto root = testing::makeRootCa("Sim TPM Root");
  auto cert = testing::issueEkCert(root, key->get());
  EkTrustStore store;
  store.addRoot(root.cert.get());
  EXPECT_TRUE(
      store.verify(cert.get(), ek.value(), static_cast<std::int64_t>(std::time(nullptr))).ok());
}

}  // namespace
}  // namespace pb::attest
