// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tss2/tss2_mu.h>
#include <unistd.h>

#include "core/bytes.hpp"
#include "swtpm_fixture.hpp"

namespace pb::test {
namespace {

Bytes readAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void writeAll(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::uint16_t closedPort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

TPMT_PUBLIC parsePublic(const Bytes& tpm2b) {
  TPM2B_PUBLIC p{};
  size_t off = 0;
  EXPECT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b.data(), tpm2b.size(), &off, &p), 0u);
  EXPECT_EQ(off, tpm2b.size());
  return p.publicArea;
}

TPMS_ATTEST parseAttest(const Bytes& tpm2b) {
  TPM2B_ATTEST a{};
  size_t off = 0;
  EXPECT_EQ(Tss2_MU_TPM2B_ATTEST_Unmarshal(tpm2b.data(), tpm2b.size(), &off, &a), 0u);
  TPMS_ATTEST out{};
  off = 0;
  EXPECT_EQ(Tss2_MU_TPMS_ATTEST_Unmarshal(a.attestationData, a.size, &off, &out), 0u);
  EXPECT_EQ(off, a.size);
  return out;
}

class TpmDeviceTest : public SwtpmTest {
 protected:
  // Runs a tpm2-tools command against this test's swtpm.
  int tools(const std::string& cmd) {
    const std::string full =
        "TPM2TOOLS_TCTI='" + swtpm->tcti() + "' " + cmd + " >" + dir.path() + "/tools.out 2>&1";
    return std::system(full.c_str());
  }
};

TEST(TpmDeviceOpen, RefusesImplicitAndUnknownTctis) {
  for (const char* tcti : {"", "device", "device:", "cmd:tpm2_send", "tabrmd:", "libtpms:"}) {
    auto t = TpmDevice::open(tcti);
    ASSERT_FALSE(t.ok()) << tcti;
    EXPECT_EQ(t.error().code, "tpm_absent");
  }
}

TEST(TpmDeviceOpen, NoTpmBehindTheTctiIsAbsent) {
  auto t = TpmDevice::open("swtpm:host=127.0.0.1,port=" + std::to_string(closedPort()));
  if (t.ok()) {
    // Some TCTIs connect lazily; then the first command fails.
    EXPECT_EQ((*t)->info().readiness, TpmReadiness::Absent);
  } else {
    EXPECT_EQ(t.error().code, "tpm_absent");
  }
  auto d = TpmDevice::open("device:/nonexistent/tpmrm0");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "tpm_absent");
}

TEST_F(TpmDeviceTest, InfoReportsReadyWithManufacturer) {
  TpmInfo i = tpm->info();
  EXPECT_EQ(i.readiness, TpmReadiness::Ready) << i.detail;
  EXPECT_EQ(readinessName(i.readiness), "ready");
  EXPECT_EQ(i.manufacturer, "IBM");
  EXPECT_FALSE(i.firmware.empty());
  EXPECT_GT(i.nvBufferMax, 0u);
  EXPECT_GT(tpm->tpmTime().count(), 0);
  expectNoHandles();
}

TEST_F(TpmDeviceTest, InfoReportsNotReadyWithoutStartup) {
  startTpm(false);
  TpmInfo i = tpm->info();
  EXPECT_EQ(i.readiness, TpmReadiness::NotReady) << i.detail;
  EXPECT_NE(i.detail.find("not ready"), std::string::npos);
}

TEST_F(TpmDeviceTest, InfoReportsDisabledEndorsementHierarchy) {
  tpm.reset();  // swtpm serves one connection at a time
  ASSERT_EQ(tools("tpm2_hierarchycontrol -C p ehEnable clear"), 0);
  auto t = TpmDevice::open(swtpm->tcti());
  ASSERT_TRUE(t.ok());
  tpm = std::move(*t);
  TpmInfo i = tpm->info();
  EXPECT_EQ(i.readiness, TpmReadiness::Disabled);
  EXPECT_NE(i.detail.find("endorsement"), std::string::npos);
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_FALSE(ek.ok());
  EXPECT_EQ(ek.error().code, "tpm_disabled");
  expectNoHandles();
}

TEST_F(TpmDeviceTest, ReadNvOfAbsentIndexIsEmpty) {
  auto r = tpm->readNv(ek_nv::kEccCert);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST_F(TpmDeviceTest, PlatformNvRoundTripsInChunksAndCannotBeRedefined) {
  Bytes data = randomBytes(1500);  // larger than one NV buffer on swtpm
  ASSERT_TRUE(tpm->writePlatformNv(ek_nv::kEccCert, data, true).ok());
  auto r = tpm->readNv(ek_nv::kEccCert);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ(**r, data);
  EXPECT_FALSE(tpm->writePlatformNv(ek_nv::kEccCert, data, true).ok());
  auto small = tpm->readNv(ek_nv::kEccCert, 100);
  EXPECT_FALSE(small.ok());  // bounded: larger than the caller allows
  expectNoHandles();
}

TEST_F(TpmDeviceTest, EccEkMatchesTpm2ToolsDefaultTemplate) {
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  EXPECT_EQ(ek->algorithm, KeyAlgorithm::EccP256);
  EXPECT_FALSE(ek->certificate.has_value());
  EXPECT_FALSE(ek->templateFromNv);
  expectNoHandles();
  tpm.reset();
  ASSERT_EQ(tools("tpm2_createek -c " + dir.path() + "/ek.ctx -G ecc -u " + dir.path() + "/ek.pub"),
            0);
  EXPECT_EQ(toHex(readAll(dir.path() + "/ek.pub")), toHex(ek->publicArea));
}

TEST_F(TpmDeviceTest, RsaEkMatchesTpm2ToolsDefaultTemplate) {
  auto ek = tpm->loadEk(KeyAlgorithm::Rsa2048);
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  EXPECT_EQ(parsePublic(ek->publicArea).type, TPM2_ALG_RSA);
  tpm.reset();
  ASSERT_EQ(tools("tpm2_createek -c " + dir.path() + "/ek.ctx -G rsa -u " + dir.path() + "/ek.pub"),
            0);
  EXPECT_EQ(toHex(readAll(dir.path() + "/ek.pub")), toHex(ek->publicArea));
}

TEST_F(TpmDeviceTest, EkFollowsTheCertificateThatExists) {
  Bytes cert = randomBytes(700);
  ASSERT_TRUE(tpm->writePlatformNv(ek_nv::kRsaCert, cert, true).ok());
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  EXPECT_EQ(ek->algorithm, KeyAlgorithm::Rsa2048);
  ASSERT_TRUE(ek->certificate.has_value());
  EXPECT_EQ(ek->certificate->index, ek_nv::kRsaCert);
  EXPECT_EQ(ek->certificate->der, cert);
  expectNoHandles();
}

TEST_F(TpmDeviceTest, EkHonoursTheNonceIndex) {
  auto plain = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(plain.ok());
  Bytes nonce = randomBytes(16);
  ASSERT_TRUE(tpm->writePlatformNv(ek_nv::kEccNonce, nonce, true).ok());
  auto ek = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  EXPECT_TRUE(ek->nonceFromNv);
  EXPECT_NE(ek->publicArea, plain->publicArea);  // a different key, as the certificate expects
  expectNoHandles();
}

TEST_F(TpmDeviceTest, EkHonoursTheTemplateIndexAndRejectsAMalformedOne) {
  ASSERT_TRUE(tpm->writePlatformNv(ek_nv::kEccTemplate, Bytes{0x00, 0x23, 0x00}, true).ok());
  auto bad = tpm->loadEk(KeyAlgorithm::EccP256);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("template"), std::string::npos);
  expectNoHandles();
}

class AkTest : public TpmDeviceTest, public ::testing::WithParamInterface<KeyAlgorithm> {};

TEST_P(AkTest, AkIsARestrictedSigningKeyNamedByItsPublicArea) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  auto ak = tpm->createAk({GetParam(), true});
  ASSERT_TRUE(ak.ok()) << ak.error().message;
  TPMT_PUBLIC p = parsePublic(ak->publicArea);
  EXPECT_EQ(p.type, GetParam() == KeyAlgorithm::EccP256 ? TPM2_ALG_ECC : TPM2_ALG_RSA);
  const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
                           TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                           TPMA_OBJECT_SENSITIVEDATAORIGIN;
  EXPECT_EQ(p.objectAttributes & need, need);
  EXPECT_EQ(p.objectAttributes & TPMA_OBJECT_DECRYPT, 0u);
  Bytes tpmt(ak->publicArea.begin() + 2, ak->publicArea.end());
  Bytes name = {0x00, 0x0B};
  Bytes h = sha256(tpmt);
  name.insert(name.end(), h.begin(), h.end());
  EXPECT_EQ(ak->name, name);
  expectNoHandles();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, AkTest,
                         ::testing::Values(KeyAlgorithm::EccP256, KeyAlgorithm::Rsa2048));

TEST_F(TpmDeviceTest, AkNeedsAnEk) {
  auto ak = tpm->createAk({});
  EXPECT_FALSE(ak.ok());
  EXPECT_FALSE(tpm->quote(randomBytes(32), {0}).ok());
  EXPECT_FALSE(tpm->signChallenge(randomBytes(32)).ok());
  expectNoHandles();
}

TEST_F(TpmDeviceTest, UnrestrictedAkOnlyWhenAskedFor) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  auto ak = tpm->createAk({KeyAlgorithm::EccP256, false});
  ASSERT_TRUE(ak.ok());
  EXPECT_EQ(parsePublic(ak->publicArea).objectAttributes & TPMA_OBJECT_RESTRICTED, 0u);
}

// Credential made by tpm2_makecredential in software (-T none) for our EK and AK name.
struct ToolsCredential {
  Bytes blob, secret;
};

class ActivateTest : public TpmDeviceTest, public ::testing::WithParamInterface<KeyAlgorithm> {
 protected:
  ToolsCredential makeCredential(const Bytes& ekPub, const Bytes& akName, const Bytes& secret) {
    writeAll(dir.path() + "/ek.pub", ekPub);
    writeAll(dir.path() + "/secret", secret);
    const std::string cmd = "tpm2_makecredential -T none -u " + dir.path() + "/ek.pub -s " +
                            dir.path() + "/secret -n " + toHex(akName) + " -o " + dir.path() +
                            "/cred.out";
    EXPECT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
    Bytes f = readAll(dir.path() + "/cred.out");
    // magic 0xBADCC0DE, version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET
    EXPECT_GT(f.size(), 12u);
    std::size_t idLen = 2 + (std::size_t{f[8]} << 8 | f[9]);
    ToolsCredential c;
    c.blob.assign(f.begin() + 8, f.begin() + 8 + static_cast<std::ptrdiff_t>(idLen));
    c.secret.assign(f.begin() + 8 + static_cast<std::ptrdiff_t>(idLen), f.end());
    return c;
  }
};

TEST_P(ActivateTest, ActivatesACredentialMadeInSoftware) {
  auto ek = tpm->loadEk(GetParam());
  ASSERT_TRUE(ek.ok()) << ek.error().message;
  auto ak = tpm->createAk({KeyAlgorithm::EccP256, true});
  ASSERT_TRUE(ak.ok()) << ak.error().message;
  Bytes secret = randomBytes(32);
  ToolsCredential c = makeCredential(ek->publicArea, ak->name, secret);
  auto got = tpm->activateCredential(c.blob, c.secret);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, secret);
  expectNoHandles();
}

TEST_P(ActivateTest, RefusesACredentialForAnotherKeyOrTampered) {
  ASSERT_TRUE(tpm->loadEk(GetParam()).ok());
  auto ak = tpm->createAk({KeyAlgorithm::EccP256, true});
  ASSERT_TRUE(ak.ok());
  auto ek = tpm->loadEk(GetParam());  // resets the AK: the credential names a stale key
  ASSERT_TRUE(ek.ok());
  auto ak2 = tpm->createAk({KeyAlgorithm::EccP256, true});
  ASSERT_TRUE(ak2.ok());
  ToolsCredential wrongName = makeCredential(ek->publicArea, ak->name, randomBytes(32));
  EXPECT_FALSE(tpm->activateCredential(wrongName.blob, wrongName.secret).ok());
  ToolsCredential c = makeCredential(ek->publicArea, ak2->name, randomBytes(32));
  Bytes tampered = c.blob;
  tampered[tampered.size() - 1] ^= 0x01;
  EXPECT_FALSE(tpm->activateCredential(tampered, c.secret).ok());
  Bytes truncated(c.blob.begin(), c.blob.end() - 1);
  auto t = tpm->activateCredential(truncated, c.secret);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "tpm_input");
  Bytes trailing = c.secret;
  trailing.push_back(0);
  EXPECT_FALSE(tpm->activateCredential(c.blob, trailing).ok());
  expectNoHandles();
}

INSTANTIATE_TEST_SUITE_P(EkAlgorithms, ActivateTest,
                         ::testing::Values(KeyAlgorithm::EccP256, KeyAlgorithm::Rsa2048));

TEST_F(TpmDeviceTest, ExtendChangesThePcrAsTheSpecSays) {
  auto before = tpm->readPcrs({4});
  ASSERT_TRUE(before.ok());
  Bytes digest = sha256("event");
  ASSERT_TRUE(tpm->extendPcr({4, digest}).ok());
  auto after = tpm->readPcrs({4});
  ASSERT_TRUE(after.ok());
  Bytes concat = before->at(4);
  concat.insert(concat.end(), digest.begin(), digest.end());
  EXPECT_EQ(after->at(4), sha256(concat));
  EXPECT_FALSE(tpm->extendPcr({4, Bytes(20)}).ok());
  EXPECT_FALSE(tpm->extendPcr({24, digest}).ok());
}

TEST_F(TpmDeviceTest, QuoteCarriesTheNonceAndAgreesWithThePcrs) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  ASSERT_TRUE(tpm->createAk({}).ok());
  ASSERT_TRUE(tpm->extendPcr({7, sha256("secure boot")}).ok());
  std::vector<unsigned> pcrs;
  for (unsigned i = 0; i < 24; ++i) pcrs.push_back(i);  // more than one PCR_Read returns
  Bytes nonce = randomBytes(32);
  auto q = tpm->quote(nonce, pcrs);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->attempts, 1);
  ASSERT_EQ(q->pcrValues.size(), 24u);
  TPMS_ATTEST a = parseAttest(q->attest);
  EXPECT_EQ(a.magic, TPM2_GENERATED_VALUE);
  EXPECT_EQ(a.type, TPM2_ST_ATTEST_QUOTE);
  EXPECT_EQ(Bytes(a.extraData.buffer, a.extraData.buffer + a.extraData.size), nonce);
  Bytes concat;
  for (const auto& [i, v] : q->pcrValues) concat.insert(concat.end(), v.begin(), v.end());
  const TPM2B_DIGEST& d = a.attested.quote.pcrDigest;
  EXPECT_EQ(Bytes(d.buffer, d.buffer + d.size), sha256(concat));
  TPMT_SIGNATURE sig{};
  size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPMT_SIGNATURE_Unmarshal(q->signature.data(), q->signature.size(), &off, &sig),
            0u);
  EXPECT_EQ(sig.sigAlg, TPM2_ALG_ECDSA);
  EXPECT_FALSE(tpm->quote(randomBytes(80), pcrs).ok());  // nonce too long
  EXPECT_FALSE(tpm->quote(nonce, {}).ok());
  EXPECT_FALSE(tpm->quote(nonce, {24}).ok());
  expectNoHandles();
}

TEST_F(TpmDeviceTest, QuoteIsRetriedWhenAPcrMovesBetweenReadAndQuote) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  ASSERT_TRUE(tpm->createAk({}).ok());
  Bytes nonce = randomBytes(32);
  auto q = tpm->quote(nonce, {0, 7}, 4, [&](int attempt) {
    if (attempt == 1) {
      ASSERT_TRUE(tpm->extendPcr({7, sha256("late event")}).ok());
    }
  });
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->attempts, 2);
  // The values returned are the ones the quote covers, i.e. after the late event.
  auto now = tpm->readPcrs({7});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(q->pcrValues.at(7), now->at(7));
  TPMS_ATTEST a = parseAttest(q->attest);
  Bytes concat = q->pcrValues.at(0);
  concat.insert(concat.end(), q->pcrValues.at(7).begin(), q->pcrValues.at(7).end());
  const TPM2B_DIGEST& d = a.attested.quote.pcrDigest;
  EXPECT_EQ(Bytes(d.buffer, d.buffer + d.size), sha256(concat));
  expectNoHandles();
}

TEST_F(TpmDeviceTest, QuoteGivesUpWhenPcrsNeverSettle) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  ASSERT_TRUE(tpm->createAk({}).ok());
  auto q = tpm->quote(randomBytes(32), {7}, 3, [&](int) {
    ASSERT_TRUE(tpm->extendPcr({7, sha256("busy")}).ok());
  });
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("3 attempts"), std::string::npos);
  expectNoHandles();
}

TEST_F(TpmDeviceTest, QuoteVerifiesWithTpm2Checkquote) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  auto ak = tpm->createAk({KeyAlgorithm::Rsa2048, true});
  ASSERT_TRUE(ak.ok());
  Bytes nonce = randomBytes(32);
  auto q = tpm->quote(nonce, {0, 1, 2, 3, 4, 5, 6, 7});
  ASSERT_TRUE(q.ok()) << q.error().message;
  expectNoHandles();
  // tpm2_checkquote wants the TPMS_ATTEST without the TPM2B size.
  writeAll(dir.path() + "/ak.pub", ak->publicArea);
  writeAll(dir.path() + "/msg", Bytes(q->attest.begin() + 2, q->attest.end()));
  writeAll(dir.path() + "/sig", q->signature);
  const std::string cmd = "tpm2_checkquote -u " + dir.path() + "/ak.pub -m " + dir.path() +
                          "/msg -s " + dir.path() + "/sig -q " + toHex(nonce) + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  writeAll(dir.path() + "/msg2", Bytes(q->attest.begin() + 2, q->attest.end()));
  const std::string wrong = "tpm2_checkquote -u " + dir.path() + "/ak.pub -m " + dir.path() +
                            "/msg -s " + dir.path() + "/sig -q " + toHex(randomBytes(32)) +
                            " >/dev/null 2>&1";
  EXPECT_NE(std::system(wrong.c_str()), 0);
}

TEST_F(TpmDeviceTest, KeySignTestSignsTheChallengeDigest) {
  ASSERT_TRUE(tpm->loadEk(KeyAlgorithm::EccP256).ok());
  ASSERT_TRUE(tpm->createAk({}).ok());
  auto sig = tpm->signChallenge(randomBytes(32));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  TPMT_SIGNATURE s{};
  size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig->data(), sig->size(), &off, &s), 0u);
  EXPECT_EQ(off, sig->size());
  EXPECT_EQ(s.sigAlg, TPM2_ALG_ECDSA);
  // A challenge shaped like a TPM-generated structure gets no hash ticket, and a restricted
  // key refuses to sign it: exactly the property the KeySignTest relies on.
  Bytes forged = {0xFF, 0x54, 0x43, 0x47};
  Bytes rest = randomBytes(28);
  forged.insert(forged.end(), rest.begin(), rest.end());
  EXPECT_FALSE(tpm->signChallenge(forged).ok());
  EXPECT_FALSE(tpm->signChallenge({}).ok());
  expectNoHandles();
}

}  // namespace
}  // namespace pb::test
