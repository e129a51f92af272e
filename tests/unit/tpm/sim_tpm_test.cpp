// SPDX-License-Identifier: Apache-2.0
// The simulator's TPM provisioning: manufacturer CA, TCG-shaped EK certificates in NV, boot
// events in the PCRs.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/files.hpp"
#include "swtpm_fixture.hpp"

namespace pb::test {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr fromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return X509Ptr(x);
}

X509Ptr fromDer(const Bytes& der) {
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// Full path validation: trusted root, intermediate as untrusted chain material.
bool chainVerifies(const ManufacturerCa& ca, X509* leaf) {
  X509Ptr root = fromPem(ca.rootPem());
  X509Ptr inter = fromPem(ca.intermediatePem());
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root.get());
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, inter.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, chain);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
  return ok;
}

class SimTpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = ManufacturerCa::create("test TPM manufacturer");
    auto u = ManufacturerCa::create("rogue TPM manufacturer");
    ASSERT_TRUE(t.ok() && u.ok());
    trusted = std::move(*t);
    untrusted = std::move(*u);
  }
  std::unique_ptr<TpmDevice> connect(const SimTpm& sim) {
    auto t = TpmDevice::open(sim.process->tcti());
    EXPECT_TRUE(t.ok());
    return t.ok() ? std::move(*t) : nullptr;
  }
  TempDir dir;
  std::unique_ptr<ManufacturerCa> trusted, untrusted;
};

TEST_F(SimTpmTest, EkCertificateHasTheTcgShapeAndChainsToTheRoot) {
  SimTpmSpec spec;
  auto sim = provisionSimTpm(dir.path(), spec, *trusted, *untrusted);
  ASSERT_TRUE(sim.ok()) << sim.error().message;
  ASSERT_FALSE(sim->ekCertificate.empty());
  EXPECT_EQ(sim->ekCertIndex, ek_nv::kEccCert);
  X509Ptr cert = fromDer(sim->ekCertificate);
  ASSERT_TRUE(cert);
  EXPECT_TRUE(chainVerifies(*trusted, cert.get()));
  EXPECT_FALSE(chainVerifies(*untrusted, cert.get()));
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(cert.get())), 0);

  int crit = -1;
  auto* san = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, &crit, nullptr));
  ASSERT_NE(san, nullptr);
  EXPECT_EQ(crit, 1);
  ASSERT_EQ(sk_GENERAL_NAME_num(san), 1);
  const GENERAL_NAME* gn = sk_GENERAL_NAME_value(san, 0);
  ASSERT_EQ(gn->type, GEN_DIRNAME);
  EXPECT_EQ(X509_NAME_entry_count(gn->d.directoryName), 3);
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid,
              X509_NAME_ENTRY_get_object(X509_NAME_get_entry(gn->d.directoryName, 0)), 1);
  EXPECT_STREQ(oid, "2.23.133.2.1");
  const ASN1_STRING* manu = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(gn->d.directoryName, 0));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(manu)),
                        static_cast<std::size_t>(ASN1_STRING_length(manu))),
            "id:49424D00");  // "IBM"
  GENERAL_NAMES_free(san);

  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  ASSERT_NE(eku, nullptr);
  ASSERT_EQ(sk_ASN1_OBJECT_num(eku), 1);
  OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, 0), 1);
  EXPECT_STREQ(oid, "2.23.133.8.1");
  EXTENDED_KEY_USAGE_free(eku);

  // The certificate's key is the EK the agent recreates.
  auto spki = ekPublicToSpki(sim->ekPublic);
  ASSERT_TRUE(spki.ok());
  unsigned char* certSpki = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &certSpki);
  EXPECT_EQ(Bytes(certSpki, certSpki + len), *spki);
  OPENSSL_free(certSpki);

  auto tpm = connect(*sim);
  ASSERT_TRUE(tpm);
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  EXPECT_EQ(ek->publicArea, sim->ekPublic);
  ASSERT_TRUE(ek->certificate.has_value());
  EXPECT_EQ(ek->certificate->der, sim->ekCertificate);
}

TEST_F(SimTpmTest, RsaEkAndUntrustedIssuer) {
  SimTpmSpec spec;
  spec.ekAlgorithm = KeyAlgorithm::Rsa2048;
  spec.ekCert = EkCertMode::Untrusted;
  auto sim = provisionSimTpm(dir.path(), spec, *trusted, *untrusted);
  ASSERT_TRUE(sim.ok()) << sim.error().message;
  EXPECT_EQ(sim->ekCertIndex, ek_nv::kRsaCert);
  X509Ptr cert = fromDer(sim->ekCertificate);
  ASSERT_TRUE(cert);
  EXPECT_FALSE(chainVerifies(*trusted, cert.get()));
  EXPECT_TRUE(chainVerifies(*untrusted, cert.get()));
  auto tpm = connect(*sim);
  ASSERT_TRUE(tpm);
  // The agent asks for ECC but follows the certificate that exists.
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok());
  EXPECT_EQ(ek->algorithm, KeyAlgorithm::Rsa2048);
  EXPECT_EQ(ek->publicArea, sim->ekPublic);
}

TEST_F(SimTpmTest, NoCertificateLeavesNvEmpty) {
  SimTpmSpec spec;
  spec.ekCert = EkCertMode::None;
  auto sim = provisionSimTpm(dir.path(), spec, *trusted, *untrusted);
  ASSERT_TRUE(sim.ok());
  EXPECT_TRUE(sim->ekCertificate.empty());
  auto tpm = connect(*sim);
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok());
  EXPECT_FALSE(ek->certificate.has_value());
}

TEST_F(SimTpmTest, BootEventsAreExtendedBeforeTheAgentRuns) {
  SimTpmSpec spec;
  spec.extends = {{0, sha256("crtm")}, {7, sha256("secure boot")}, {0, sha256("bios")}};
  auto sim = provisionSimTpm(dir.path(), spec, *trusted, *untrusted);
  ASSERT_TRUE(sim.ok());
  auto tpm = connect(*sim);
  auto pcrs = tpm->readPcrs({0, 7});
  ASSERT_TRUE(pcrs.ok());
  auto extend = [](Bytes pcr, const Bytes& d) {
    pcr.insert(pcr.end(), d.begin(), d.end());
    return sha256(pcr);
  };
  Bytes zero(32, 0);
  EXPECT_EQ(pcrs->at(0), extend(extend(zero, sha256("crtm")), sha256("bios")));
  EXPECT_EQ(pcrs->at(7), extend(zero, sha256("secure boot")));
}

TEST_F(SimTpmTest, BadBootEventIsAnError) {
  SimTpmSpec spec;
  spec.extends = {{0, Bytes(5)}};
  EXPECT_FALSE(provisionSimTpm(dir.path(), spec, *trusted, *untrusted).ok());
}

TEST_F(SimTpmTest, NotReadyTpmIsPresentButNotStarted) {
  SimTpmSpec spec;
  spec.notReady = true;
  auto sim = provisionSimTpm(dir.path(), spec, *trusted, *untrusted);
  ASSERT_TRUE(sim.ok()) << sim.error().message;
  EXPECT_TRUE(sim->ekPublic.empty());
  auto tpm = connect(*sim);
  EXPECT_EQ(tpm->info().readiness, TpmReadiness::NotReady);
}

TEST_F(SimTpmTest, PemsAreWrittenForThePolicy) {
  ASSERT_TRUE(trusted->writePems(dir.path() + "/roots").ok());
  auto rootPem = readFileBounded(dir.path() + "/roots/root.pem", 1 << 16);
  ASSERT_TRUE(rootPem.ok());
  EXPECT_EQ(*rootPem, trusted->rootPem());
  EXPECT_TRUE(fromPem(*rootPem));
  EXPECT_FALSE(ekPublicToSpki(Bytes{0x00, 0x01, 0x02}).ok());
}

}  // namespace
}  // namespace pb::test
