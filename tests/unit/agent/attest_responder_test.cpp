// SPDX-License-Identifier: Apache-2.0
// The agent side of the attestation exchange, driven with scripted appliance frames against a
// real swtpm provisioned like a simulated device.
#include "agent/attest_responder.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <tss2/tss2_mu.h>

#include "core/files.hpp"
#include "core/reasons.hpp"
#include "swtpm_fixture.hpp"

namespace pb::test {
namespace {

using nlohmann::json;

Bytes readAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void writeAll(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes hexOf(const json& j, const char* key) {
  auto b = fromHex(j.at(key).get<std::string>());
  EXPECT_TRUE(b.has_value()) << key;
  return b.value_or(Bytes{});
}

json startFrame(const std::string& alg = "ecc_nist_p256") {
  return {{"type", "attest_start"},
          {"ak_algorithm", alg},
          {"pcr_bank", "sha256"},
          {"pcrs", {0, 1, 2, 3, 4, 5, 6, 7}}};
}

json quoteFrame(const Bytes& nonce, const Bytes& challenge) {
  return {{"type", "quote_request"},
          {"nonce", toHex(nonce)},
          {"pcr_bank", "sha256"},
          {"pcrs", {0, 1, 2, 3, 4, 5, 6, 7}},
          {"sign_challenge", toHex(challenge)}};
}

class AttestResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = ManufacturerCa::create("test TPM manufacturer");
    auto u = ManufacturerCa::create("rogue");
    ASSERT_TRUE(t.ok() && u.ok());
    trusted = std::move(*t);
    untrusted = std::move(*u);
    logPath = dir.path() + "/binary_bios_measurements";
  }

  void provision(const SimTpmSpec& spec) {
    const std::string state = dir.path() + "/tpm";
    ASSERT_TRUE(makeDirs(state, 0700).ok());
    auto s = provisionSimTpm(state, spec, *trusted, *untrusted);
    ASSERT_TRUE(s.ok()) << s.error().message;
    sim = std::move(*s);
    AttestResponderOptions o;
    o.tcti = sim.process->tcti();
    o.eventLogPath = logPath;
    responder = std::make_unique<AttestResponder>(o);
  }

  // Software MakeCredential (tpm2-tools, no TPM) for the EK and AK the agent reported.
  json challengeFor(const json& keys, const Bytes& secret) {
    Bytes ak = hexOf(keys, "ak_pub");
    TPM2B_PUBLIC pub{};
    size_t off = 0;
    EXPECT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ak.data(), ak.size(), &off, &pub), 0u);
    Bytes name = {0x00, 0x0B};
    Bytes h = sha256(Bytes(ak.begin() + 2, ak.end()));
    name.insert(name.end(), h.begin(), h.end());
    writeAll(dir.path() + "/ek.pub", hexOf(keys, "ek_pub"));
    writeAll(dir.path() + "/secret", secret);
    const std::string cmd = "tpm2_makecredential -T none -u " + dir.path() + "/ek.pub -s " +
                            dir.path() + "/secret -n " + toHex(name) + " -o " + dir.path() +
                            "/cred >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    Bytes f = readAll(dir.path() + "/cred");
    const std::size_t idLen = 2 + (std::size_t{f[8]} << 8 | f[9]);
    Bytes blob(f.begin() + 8, f.begin() + 8 + static_cast<std::ptrdiff_t>(idLen));
    Bytes enc(f.begin() + 8 + static_cast<std::ptrdiff_t>(idLen), f.end());
    return {{"type", "attest_challenge"},
            {"credential_blob", toHex(blob)},
            {"encrypted_secret", toHex(enc)}};
  }

  void expectNoHandlesLeft() {
    responder.reset();  // swtpm serves one connection at a time
    auto t = TpmDevice::open(sim.process->tcti());
    ASSERT_TRUE(t.ok());
    auto c = (*t)->handleCounts();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->transient, 0u);
    EXPECT_EQ(c->sessions, 0u);
  }

  TempDir dir;
  std::string logPath;
  std::unique_ptr<ManufacturerCa> trusted, untrusted;
  SimTpm sim;
  std::unique_ptr<AttestResponder> responder;
};

TEST_F(AttestResponderTest, FullExchangeOnAProvisionedTpm) {
  SimTpmSpec spec;
  spec.extends = {{0, sha256("crtm")}, {7, sha256("sb")}};
  provision(spec);
  Bytes log = randomBytes(3000);
  writeAll(logPath, log);

  auto keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok()) << keys.error().message;
  EXPECT_EQ((*keys)["type"], "attest_keys");
  EXPECT_EQ((*keys)["tpm"]["present"], true);
  EXPECT_EQ((*keys)["tpm"]["readiness"], "ready");
  EXPECT_EQ((*keys)["tpm"]["manufacturer"], "IBM");
  EXPECT_EQ(hexOf(*keys, "ek_cert"), sim.ekCertificate);
  EXPECT_EQ(hexOf(*keys, "ek_pub"), sim.ekPublic);
  EXPECT_GT((*keys)["tpm_ms"].get<double>(), 0.0);

  Bytes secret = randomBytes(32);
  auto activated = responder->respond(challengeFor(*keys, secret));
  ASSERT_TRUE(activated.ok()) << activated.error().message;
  EXPECT_EQ((*activated)["type"], "attest_activated");
  EXPECT_EQ(hexOf(*activated, "secret"), secret);

  Bytes nonce = randomBytes(32);
  auto quote = responder->respond(quoteFrame(nonce, randomBytes(32)));
  ASSERT_TRUE(quote.ok()) << quote.error().message;
  EXPECT_EQ((*quote)["type"], "quote");
  Bytes attest = hexOf(*quote, "quoted");
  TPM2B_ATTEST a{};
  size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_ATTEST_Unmarshal(attest.data(), attest.size(), &off, &a), 0u);
  TPMS_ATTEST s{};
  off = 0;
  ASSERT_EQ(Tss2_MU_TPMS_ATTEST_Unmarshal(a.attestationData, a.size, &off, &s), 0u);
  EXPECT_EQ(Bytes(s.extraData.buffer, s.extraData.buffer + s.extraData.size), nonce);
  EXPECT_FALSE(hexOf(*quote, "signature").empty());
  EXPECT_FALSE(hexOf(*quote, "challenge_signature").empty());
  EXPECT_EQ((*quote)["pcr_values"]["sha256"].size(), 8u);
  Bytes pcr7 = fromHex((*quote)["pcr_values"]["sha256"]["7"].get<std::string>()).value();
  Bytes ext(32, 0);
  Bytes d = sha256("sb");
  ext.insert(ext.end(), d.begin(), d.end());
  EXPECT_EQ(pcr7, sha256(ext));
  EXPECT_EQ(hexOf(*quote, "event_log"), log);
  EXPECT_GT(responder->tpmTime().count(), 0);

  // PROTOCOL.md step 5b: a second quote_request for the SHA-1 bank (SHA-1-only event log).
  json sha1Frame = quoteFrame(nonce, randomBytes(32));
  sha1Frame["pcr_bank"] = "sha1";
  auto sha1Quote = responder->respond(sha1Frame);
  ASSERT_TRUE(sha1Quote.ok()) << sha1Quote.error().message;
  EXPECT_FALSE((*sha1Quote)["pcr_values"].contains("sha256"));
  ASSERT_EQ((*sha1Quote)["pcr_values"]["sha1"].size(), 8u);
  EXPECT_EQ((*sha1Quote)["pcr_values"]["sha1"]["0"].get<std::string>().size(), 40u);
  Bytes attest1 = hexOf(*sha1Quote, "quoted");
  off = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_ATTEST_Unmarshal(attest1.data(), attest1.size(), &off, &a), 0u);
  off = 0;
  ASSERT_EQ(Tss2_MU_TPMS_ATTEST_Unmarshal(a.attestationData, a.size, &off, &s), 0u);
  EXPECT_EQ(s.attested.quote.pcrSelect.pcrSelections[0].hash, TPM2_ALG_SHA1);
  json sha384Frame = quoteFrame(nonce, randomBytes(32));
  sha384Frame["pcr_bank"] = "sha384";
  EXPECT_FALSE(responder->respond(sha384Frame).ok());
  expectNoHandlesLeft();
}

TEST_F(AttestResponderTest, RsaAkAndNoCertificate) {
  SimTpmSpec spec;
  spec.ekCert = EkCertMode::None;
  provision(spec);
  auto keys = responder->respond(startFrame("rsa2048"));
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE((*keys)["ek_cert"].is_null());
  Bytes ak = hexOf(*keys, "ak_pub");
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ak.data(), ak.size(), &off, &pub), 0u);
  EXPECT_EQ(pub.publicArea.type, TPM2_ALG_RSA);
  EXPECT_NE(pub.publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED, 0u);
}

TEST_F(AttestResponderTest, NotReadyTpmIsReportedWithoutKeys) {
  SimTpmSpec spec;
  spec.notReady = true;
  provision(spec);
  auto keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)["tpm"]["readiness"], "not_ready");
  EXPECT_EQ((*keys)["tpm"]["present"], true);
  EXPECT_FALSE(keys->contains("ek_pub"));
  EXPECT_FALSE(keys->contains("ak_pub"));
  // No keys, so nothing to activate.
  auto c = responder->respond(
      {{"type", "attest_challenge"}, {"credential_blob", "0000"}, {"encrypted_secret", "0000"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, reason::kUnexpectedMessage);
}

TEST_F(AttestResponderTest, NoTpmIsAbsent) {
  AttestResponderOptions o;
  o.tcti = "device:/nonexistent/tpmrm0";
  AttestResponder r(o);
  auto keys = r.respond(startFrame());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)["tpm"]["readiness"], "absent");
  EXPECT_EQ((*keys)["tpm"]["present"], false);
  EXPECT_FALSE(keys->contains("ek_pub"));
}

TEST_F(AttestResponderTest, MalformedFramesAreRejectedWithPb0001) {
  provision({});
  const json bad[] = {
      {{"type", "attest_start"}, {"pcr_bank", "sha256"}, {"pcrs", {0}}},
      {{"type", "attest_start"}, {"ak_algorithm", "dsa"}, {"pcr_bank", "sha256"}, {"pcrs", {0}}},
      {{"type", "attest_start"}, {"ak_algorithm", "rsa2048"}, {"pcr_bank", "sha1"}, {"pcrs", {0}}},
      {{"type", "attest_start"},
       {"ak_algorithm", "rsa2048"},
       {"pcr_bank", "sha256"},
       {"pcrs", {24}}},
      {{"type", "attest_start"},
       {"ak_algorithm", "rsa2048"},
       {"pcr_bank", "sha256"},
       {"pcrs", {1, 1}}},
      {{"type", "attest_start"},
       {"ak_algorithm", "rsa2048"},
       {"pcr_bank", "sha256"},
       {"pcrs", json::array()}},
      {{"type", "attest_start"},
       {"ak_algorithm", "rsa2048"},
       {"pcr_bank", "sha256"},
       {"pcrs", {-1}}},
      {{"type", "attest_start"},
       {"ak_algorithm", "rsa2048"},
       {"pcr_bank", "sha256"},
       {"pcrs", "0"}},
  };
  for (const auto& f : bad) {
    auto r = responder->respond(f);
    ASSERT_FALSE(r.ok()) << f.dump();
    EXPECT_EQ(r.error().code, reason::kMalformedFrame) << f.dump();
  }
  EXPECT_EQ(responder->respond(json::array()).error().code, reason::kMalformedFrame);
  EXPECT_EQ(responder->respond({{"type", "hello"}}).error().code, reason::kUnknownMessage);

  ASSERT_TRUE(responder->respond(startFrame()).ok());
  const json badChallenges[] = {
      {{"type", "attest_challenge"}, {"encrypted_secret", "00"}},
      {{"type", "attest_challenge"}, {"credential_blob", "zz"}, {"encrypted_secret", "0000"}},
      {{"type", "attest_challenge"}, {"credential_blob", 5}, {"encrypted_secret", "0000"}},
      {{"type", "attest_challenge"},
       {"credential_blob", std::string(5000, 'a')},
       {"encrypted_secret", "0000"}},
      {{"type", "attest_challenge"}, {"credential_blob", "0010aa"}, {"encrypted_secret", "0000"}},
  };
  for (const auto& f : badChallenges) {
    auto r = responder->respond(f);
    ASSERT_FALSE(r.ok()) << f.dump();
    EXPECT_EQ(r.error().code, reason::kMalformedFrame) << f.dump();
  }
  expectNoHandlesLeft();
}

TEST_F(AttestResponderTest, OutOfOrderFramesAreRejected) {
  provision({});
  auto q = responder->respond(quoteFrame(randomBytes(32), randomBytes(32)));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, reason::kUnexpectedMessage);
  auto keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok());
  // Quote before activation: refused, the AK is not yet bound to the EK in the appliance's eyes.
  q = responder->respond(quoteFrame(randomBytes(32), randomBytes(32)));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, reason::kUnexpectedMessage);
}

TEST_F(AttestResponderTest, CredentialForAnotherKeyFailsAndQuoteChecksSizes) {
  provision({});
  auto keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok());
  json other = *keys;
  other["ak_pub"] = toHex(sim.ekPublic);  // name of a different object
  auto c = responder->respond(challengeFor(other, randomBytes(32)));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, reason::kInternalError);
  EXPECT_NE(c.error().message.find("ActivateCredential"), std::string::npos);
  // Start over; a fresh AK, a correct credential.
  keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(responder->respond(challengeFor(*keys, randomBytes(32))).ok());
  auto shortNonce = responder->respond(quoteFrame(randomBytes(16), randomBytes(32)));
  ASSERT_FALSE(shortNonce.ok());
  EXPECT_EQ(shortNonce.error().code, reason::kMalformedFrame);
  auto longChallenge = responder->respond(quoteFrame(randomBytes(32), randomBytes(33)));
  ASSERT_FALSE(longChallenge.ok());
  // Without an event log file the log is empty; the appliance decides what that means.
  auto q = responder->respond(quoteFrame(randomBytes(32), randomBytes(32)));
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ((*q)["event_log"], "");
  expectNoHandlesLeft();
}

TEST_F(AttestResponderTest, OversizeEventLogIsNotSent) {
  provision({});
  AttestResponderOptions o;
  o.tcti = sim.process->tcti();
  o.eventLogPath = logPath;
  o.maxEventLogBytes = 100;
  responder = std::make_unique<AttestResponder>(o);
  writeAll(logPath, randomBytes(101));
  auto keys = responder->respond(startFrame());
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(responder->respond(challengeFor(*keys, randomBytes(32))).ok());
  auto q = responder->respond(quoteFrame(randomBytes(32), randomBytes(32)));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)["event_log"], "");
}

}  // namespace
}  // namespace pb::test
