// SPDX-License-Identifier: Apache-2.0
#include "net/tls_identity.hpp"

#include <cstdio>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "core/files.hpp"
#include "net/tls_context.hpp"
#include "net_test_support.hpp"

namespace pb::test {
namespace {

using IdentityTest = NetTest;

X509* loadCert(const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return cert;
}

unsigned fileMode(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST_F(IdentityTest, KeyFileIs0600AndCertIs0644) {
  EXPECT_EQ(fileMode(path("tls.key")), 0600U);
  EXPECT_EQ(fileMode(path("tls.crt")), 0644U);
}

TEST_F(IdentityTest, CertificateHasTheRequiredShape) {
  X509* cert = loadCert(path("tls.crt"));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);

  EVP_PKEY* pub = X509_get0_pubkey(cert);
  ASSERT_NE(pub, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(pub, "EC"));
  char group[64] = {};
  std::size_t groupLen = 0;
  ASSERT_EQ(EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof group, &groupLen), 1);
  EXPECT_STREQ(group, "prime256v1");

  // Self-signed: the certificate verifies under its own key.
  EXPECT_EQ(X509_verify(cert, pub), 1);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  EXPECT_GE(serial->length, 8);  // 128 random bits; leading zero bytes are possible, 8 are not
  EXPECT_LE(serial->length, 17);
  EXPECT_EQ(serial->type, V_ASN1_INTEGER);  // positive

  int days = 0;
  int secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)), 1);
  EXPECT_NEAR(days, 3650, 1);
  std::time_t now = std::time(nullptr);
  EXPECT_LE(X509_cmp_time(X509_get0_notBefore(cert), &now), 0);

  EXPECT_EQ(X509_check_ca(cert), 0);
  EXPECT_TRUE(X509_get_extension_flags(cert) & EXFLAG_BCONS);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  X509_free(cert);
}

TEST_F(IdentityTest, PinIsSha256OfSpkiDer) {
  X509* cert = loadCert(path("tls.crt"));
  ASSERT_NE(cert, nullptr);
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  ASSERT_GT(n, 0);
  EXPECT_EQ(pinHex_, toHex(sha256(der, static_cast<std::size_t>(n))));
  EXPECT_EQ(spkiPin(cert), pinHex_);
  EXPECT_EQ(pinHex_.size(), 64U);
  OPENSSL_free(der);
  X509_free(cert);
}

TEST_F(IdentityTest, FreshIdentitiesDiffer) {
  ASSERT_TRUE(generateSelfSignedIdentity(path("b.key"), path("b.crt"), "other").ok());
  auto other = spkiPinForCertFile(path("b.crt"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, pinHex_);
}

TEST_F(IdentityTest, GenerationFailsIntoMissingDirectory) {
  EXPECT_FALSE(generateSelfSignedIdentity(path("no/such/k"), path("no/such/c"), "x").ok());
}

TEST_F(IdentityTest, PinForBadCertFiles) {
  EXPECT_FALSE(spkiPinForCertFile(path("missing.crt")).ok());
  ASSERT_TRUE(writeFileAtomic(path("junk.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n", 0644).ok());
  EXPECT_FALSE(spkiPinForCertFile(path("junk.crt")).ok());
  // The key is not a certificate.
  EXPECT_FALSE(spkiPinForCertFile(path("tls.key")).ok());
}

TEST_F(IdentityTest, PinFileRoundTrip) {
  ASSERT_TRUE(writeFileAtomic(path("pin"), formatPinLine(pinHex_), 0644).ok());
  auto pin = readPinFile(path("pin"));
  ASSERT_TRUE(pin.ok()) << pin.error().message;
  EXPECT_EQ(toHex(*pin), pinHex_);
  // Without the trailing newline is fine too.
  EXPECT_TRUE(parsePinLine("sha256:" + pinHex_).ok());
}

TEST_F(IdentityTest, MalformedPinFilesAreRejected) {
  const std::string hex(64, 'a');
  const std::string upper(64, 'A');
  for (const std::string& bad :
       {std::string(), std::string("\n"), hex + "\n", "sha256:" + upper + "\n",
        "sha256:" + hex.substr(1) + "\n", "sha256:" + hex + "a\n", "sha256:" + hex + "\n\n",
        "sha256:" + hex + "\r\n", "sha256:" + hex + " \n", " sha256:" + hex + "\n",
        "SHA256:" + hex + "\n", "sha1:" + hex.substr(0, 40) + "\n",
        "sha256:" + hex.substr(0, 63) + "g\n", "sha256:" + hex + "\nsha256:" + hex + "\n"}) {
    EXPECT_FALSE(parsePinLine(bad).ok()) << bad;
  }
  ASSERT_TRUE(
      writeFileAtomic(path("pin"), "sha256:" + hex + "\n" + std::string(200, '#'), 0644).ok());
  EXPECT_FALSE(readPinFile(path("pin")).ok());  // oversize
  EXPECT_FALSE(readPinFile(path("absent")).ok());
}

TEST_F(IdentityTest, ContextConstructionFailures) {
  EXPECT_FALSE(makeServerContext(path("missing.crt"), path("tls.key")).ok());
  EXPECT_FALSE(makeServerContext(path("tls.crt"), path("missing.key")).ok());
  ASSERT_TRUE(generateSelfSignedIdentity(path("b.key"), path("b.crt"), "other").ok());
  EXPECT_FALSE(makeServerContext(path("tls.crt"), path("b.key")).ok());
  EXPECT_FALSE(makeClientContext(Bytes(31, 0)).ok());
  EXPECT_FALSE(makeClientContext({}).ok());
}

}  // namespace
}  // namespace pb::test
