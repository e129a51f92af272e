// SPDX-License-Identifier: Apache-2.0
// The simulator's attacks on the exchange really produce the evidence each attack class needs.
#include "sim/tampering_responder.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <tss2/tss2_mu.h>

#include "core/files.hpp"
#include "swtpm_fixture.hpp"

namespace pb::test {
namespace {

using nlohmann::json;

Bytes hexOf(const json& j, const char* key) {
  return fromHex(j.at(key).get<std::string>()).value_or(Bytes{});
}

TPMS_ATTEST attestOf(const json& quote) {
  Bytes b = hexOf(quote, "quoted");
  TPM2B_ATTEST a{};
  size_t off = 0;
  EXPECT_EQ(Tss2_MU_TPM2B_ATTEST_Unmarshal(b.data(), b.size(), &off, &a), 0u);
  TPMS_ATTEST s{};
  off = 0;
  EXPECT_EQ(Tss2_MU_TPMS_ATTEST_Unmarshal(a.attestationData, a.size, &off, &s), 0u);
  return s;
}

TEST(AgentTamper, ParsesAndFormatsTheSwitchList) {
  auto t = parseAgentTamper("wrong_nonce,narrow_pcr_selection");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->wrongNonce && t->narrowPcrSelection);
  EXPECT_FALSE(t->replayQuote || t->akUnrestricted);
  EXPECT_EQ(formatAgentTamper(*t), "wrong_nonce,narrow_pcr_selection");
  EXPECT_FALSE(parseAgentTamper("wrong_nonce,bogus").ok());
  EXPECT_FALSE(parseAgentTamper("wrong_nonce,").ok());
  auto none = parseAgentTamper("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->any());
}

class TamperTest : public ::testing::Test {
 protected:
  // Runs attest_start, a software-made challenge and a quote_request through a responder that
  // plays `tamper`; returns the attest_keys and quote replies.
  std::pair<json, json> exchange(const AgentTamper& tamper, const Bytes& nonce) {
    auto t = ManufacturerCa::create("t");
    auto u = ManufacturerCa::create("u");
    const std::string state = dir.path() + "/tpm";
    EXPECT_TRUE(makeDirs(state, 0700).ok());
    auto sim = provisionSimTpm(state, {}, **t, **u);
    EXPECT_TRUE(sim.ok());
    simTpm = std::move(*sim);
    AttestResponderOptions o;
    o.tcti = simTpm.process->tcti();
    o.eventLogPath = dir.path() + "/none";
    TamperingResponder r(o, tamper);
    json start = {{"type", "attest_start"},
                  {"ak_algorithm", "ecc_nist_p256"},
                  {"pcr_bank", "sha256"},
                  {"pcrs", {0, 1, 2, 3, 4, 5, 6, 7}}};
    auto keys = r.respond(start);
    EXPECT_TRUE(keys.ok());
    Bytes ak = hexOf(*keys, "ak_pub");
    Bytes name = {0x00, 0x0B};
    Bytes h = sha256(Bytes(ak.begin() + 2, ak.end()));
    name.insert(name.end(), h.begin(), h.end());
    const std::string ekPath = dir.path() + "/ek.pub", secretPath = dir.path() + "/secret";
    {
      Bytes ek = hexOf(*keys, "ek_pub");
      std::ofstream(ekPath, std::ios::binary)
          .write(reinterpret_cast<const char*>(ek.data()), static_cast<std::streamsize>(ek.size()));
      std::ofstream(secretPath) << "0123456789abcdef0123456789abcdef";
    }
    const std::string cmd = "tpm2_makecredential -T none -u " + ekPath + " -s " + secretPath +
                            " -n " + toHex(name) + " -o " + dir.path() + "/cred >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream f(dir.path() + "/cred", std::ios::binary);
    Bytes cred((std::istreambuf_iterator<char>(f)), {});
    const std::size_t idLen = 2 + (std::size_t{cred[8]} << 8 | cred[9]);
    json challenge = {
        {"type", "attest_challenge"},
        {"credential_blob",
         toHex(Bytes(cred.begin() + 8, cred.begin() + 8 + static_cast<std::ptrdiff_t>(idLen)))},
        {"encrypted_secret",
         toHex(Bytes(cred.begin() + 8 + static_cast<std::ptrdiff_t>(idLen), cred.end()))}};
    EXPECT_TRUE(r.respond(challenge).ok());
    json qr = {{"type", "quote_request"},
               {"nonce", toHex(nonce)},
               {"pcr_bank", "sha256"},
               {"pcrs", {0, 1, 2, 3, 4, 5, 6, 7}},
               {"sign_challenge", toHex(randomBytes(32))}};
    auto q = r.respond(qr);
    EXPECT_TRUE(q.ok());
    return {*keys, q.ok() ? *q : json()};
  }
  TempDir dir;
  SimTpm simTpm;
};

Bytes extraData(const TPMS_ATTEST& a) {
  return Bytes(a.extraData.buffer, a.extraData.buffer + a.extraData.size);
}

TEST_F(TamperTest, ReplayedQuoteCarriesAnOldNonce) {
  AgentTamper t;
  t.replayQuote = true;
  Bytes nonce = randomBytes(32);
  auto [keys, quote] = exchange(t, nonce);
  TPMS_ATTEST a = attestOf(quote);
  EXPECT_EQ(a.type, TPM2_ST_ATTEST_QUOTE);
  EXPECT_EQ(extraData(a).size(), 32u);
  EXPECT_NE(extraData(a), nonce);
}

TEST_F(TamperTest, WrongNonceDiffersInOneBit) {
  AgentTamper t;
  t.wrongNonce = true;
  Bytes nonce = randomBytes(32);
  auto [keys, quote] = exchange(t, nonce);
  Bytes got = extraData(attestOf(quote));
  ASSERT_EQ(got.size(), 32u);
  EXPECT_EQ(got[0], nonce[0] ^ 0x01);
  EXPECT_TRUE(std::equal(got.begin() + 1, got.end(), nonce.begin() + 1));
}

TEST_F(TamperTest, NarrowSelectionDropsTheLastPcr) {
  AgentTamper t;
  t.narrowPcrSelection = true;
  Bytes nonce = randomBytes(32);
  auto [keys, quote] = exchange(t, nonce);
  TPMS_ATTEST a = attestOf(quote);
  EXPECT_EQ(extraData(a), nonce);
  const TPMS_PCR_SELECTION& sel = a.attested.quote.pcrSelect.pcrSelections[0];
  EXPECT_EQ(sel.pcrSelect[0], 0x7F);  // PCRs 0-6, 7 is missing
}

TEST_F(TamperTest, UnrestrictedAk) {
  AgentTamper t;
  t.akUnrestricted = true;
  auto [keys, quote] = exchange(t, randomBytes(32));
  Bytes ak = hexOf(keys, "ak_pub");
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(ak.data(), ak.size(), &off, &pub), 0u);
  EXPECT_EQ(pub.publicArea.objectAttributes & TPMA_OBJECT_RESTRICTED, 0u);
}

TEST_F(TamperTest, NoTamperIsTheGenuineAgent) {
  Bytes nonce = randomBytes(32);
  auto [keys, quote] = exchange({}, nonce);
  TPMS_ATTEST a = attestOf(quote);
  EXPECT_EQ(extraData(a), nonce);
  EXPECT_EQ(a.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[0], 0xFF);
}

}  // namespace
}  // namespace pb::test
