// SPDX-License-Identifier: Apache-2.0
// The Verifier facade end to end against a real swtpm acting as the device: EK certificate from a
// test manufacturer CA, credential activation with tpm2_activatecredential, quote with tpm2_quote,
// a synthetic event log extended into the PCRs, KeySignTest via tpm2_hash + tpm2_sign. Then each
// failure switch gives its documented outcome and code.
#include "attest/verifier.hpp"

#include <algorithm>
#include <ctime>

#include <gtest/gtest.h>

#include "attest/event_log.hpp"
#include "attest/tool_formats.hpp"
#include "core/reasons.hpp"
#include "swtpm_harness.hpp"
#include "test_pki.hpp"

namespace pb::attest {
namespace {

using testing::readFile;
using testing::writeFile;

// One swtpm "device" shared by the suite (EK and AK creation dominate the cost).
struct Device {
  testing::TempDir dir;
  testing::TempDir state;
  testing::Swtpm tpm{state.path()};
  testing::TestCa root = testing::makeRootCa("Sim TPM Root");
  testing::TestCa inter = testing::makeIntermediateCa(root, "Sim TPM EK CA");
  Bytes ekPub;
  Bytes akPub;
  Bytes ekCert;
  EventLogBuilder log = EventLogBuilder::typicalBoot(true, 4);
  // Firmware that measures with SHA-1 only, into the same TPM's SHA-1 bank (the SHA-1 layout of
  // go-attestation's ebs_event_missing_eventlog / windows_gcp_shielded_vm.json).
  EventLogBuilder sha1Log = [] {
    auto b = EventLogBuilder::sha1Legacy();
    b.event(0, ev::kSCrtmVersion, Bytes{'1', 0, 0, 0});
    b.secureBootVariables(true);
    for (std::uint32_t pcr = 0; pcr <= 6; ++pcr) b.separator(pcr);
    b.eventDigestOf(4, ev::kEfiBootServicesApplication, Bytes(32, 1), toBytes("bootx64.efi"));
    return b;
  }();
  std::map<std::uint32_t, Bytes> pcrs;

  std::string f(const std::string& n) const { return dir.file(n); }
  int run(const std::string& cmd) const {
    return tpm.run(cmd + "; rc=$?; tpm2_flushcontext -t; tpm2_flushcontext -s; exit $rc");
  }
};

Device* device = nullptr;

class VerifierSwtpm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    device = new Device;
    Device& d = *device;
    ASSERT_TRUE(d.tpm.running());
    std::string cmd;
    for (const auto& e : d.log.extends()) {
      cmd += "tpm2_pcrextend " + std::to_string(e.pcr) + ":sha256=" + toHex(e.digest) + " && ";
    }
    for (const auto& e : d.sha1Log.extends()) {
      cmd += "tpm2_pcrextend " + std::to_string(e.pcr) + ":sha1=" + toHex(e.digest) + " && ";
    }
    ASSERT_EQ(d.run(cmd + "true"), 0);
    ASSERT_EQ(d.run("tpm2_createek -c " + d.f("ek.ctx") + " -G rsa -u " + d.f("ek.pub")), 0);
    ASSERT_EQ(d.run("tpm2_createak -C " + d.f("ek.ctx") + " -c " + d.f("ak.ctx") +
                    " -G ecc -g sha256 -s ecdsa -u " + d.f("ak.pub")),
              0);
    d.ekPub = readFile(d.f("ek.pub"));
    d.akPub = readFile(d.f("ak.pub"));
    auto ek = parseTpm2bPublic(d.ekPub);
    ASSERT_TRUE(ek.ok());
    auto key = toEvpKey(ek.value());
    d.ekCert = testing::toDer(testing::issueEkCert(d.inter, key->get()).get());
    d.pcrs = d.log.expectedPcrs(alg::kSha256);
  }
  static void TearDownTestSuite() {
    delete device;
    device = nullptr;
  }

  VerifierSwtpm() : clock_(static_cast<std::int64_t>(std::time(nullptr))), nonces_(clock_, 60) {
    trust_.addRoot(device->root.cert.get());
    trust_.addIntermediate(device->inter.cert.get());
    policy_.akAlgorithm = "ecc_nist_p256";
  }

  AttestKeys keys(bool withCert = true) const {
    AttestKeys k;
    k.tpm = TpmReport{true, "ready", "", "IBM", "swtpm"};
    if (withCert) k.ekCert = device->ekCert;
    k.ekPub = device->ekPub;
    k.akPub = device->akPub;
    return k;
  }

  // The device side of steps 3-4.
  AttestActivated activate(const Credential& c) const {
    writeFile(device->f("cred.bin"), c.toTpm2ToolsFile());
    std::string s = device->f("session.ctx");
    int rc =
        device->run("tpm2_startauthsession --policy-session -S " + s + " && tpm2_policysecret -S " +
                    s + " -c e && tpm2_activatecredential -c " + device->f("ak.ctx") + " -C " +
                    device->f("ek.ctx") + " -i " + device->f("cred.bin") + " -o " +
                    device->f("secret.bin") + " -P session:" + s);
    EXPECT_EQ(rc, 0);
    return AttestActivated{readFile(device->f("secret.bin")), 40};
  }

  // The device side of steps 5-6.
  QuoteMessage quote(const QuoteRequest& r, bool signChallenge = true) const {
    std::string list = std::string(hashName(r.bank)) + ":";
    for (std::size_t i = 0; i < r.pcrs.size(); ++i)
      list += (i ? "," : "") + std::to_string(r.pcrs[i]);
    EXPECT_EQ(device->run("tpm2_quote -c " + device->f("ak.ctx") + " -l " + list + " -q " +
                          toHex(r.nonce) + " -m " + device->f("msg") + " -s " + device->f("sig") +
                          " -o " + device->f("pcrs") + " -g sha256"),
              0);
    QuoteMessage q;
    q.quoted = readFile(device->f("msg"));
    q.signature = readFile(device->f("sig"));
    auto sel = parsePcrListSpec(list).value();
    q.pcrValues = parsePcrValuesFile(readFile(device->f("pcrs")), sel).value();
    q.eventLog = eventLog_.empty() ? device->log.build() : eventLog_;
    q.tpmMs = 200;
    if (signChallenge) {
      writeFile(device->f("challenge"), r.signChallenge);
      EXPECT_EQ(
          device->run("tpm2_hash -C e -g sha256 -o " + device->f("digest") + " -t " +
                      device->f("ticket") + " " + device->f("challenge") + " && tpm2_sign -c " +
                      device->f("ak.ctx") + " -g sha256 -d " + device->f("digest") + " -t " +
                      device->f("ticket") + " -o " + device->f("csig")),
          0);
      q.challengeSignature = readFile(device->f("csig"));
    }
    return q;
  }

  // Runs the whole exchange; returns the final result.
  AttestResult runAll(Verifier& v, bool withCert = true) {
    v.verifyKeys(keys(withCert));
    if (v.result().outcome != AttestOutcome::Pending) return v.result();
    auto cred = v.makeChallenge();
    if (!cred) return v.result();
    v.checkActivation(activate(cred.value()));
    auto req = v.makeQuoteRequest();
    if (!req) return v.result();
    return v.verifyQuote(quote(req.value()));
  }

  const CheckResult* find(const AttestResult& r, const std::string& id) {
    for (const auto& c : r.checks) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }

  Bytes eventLog_;  // the log the device sends; empty: device->log
  FixedClock clock_;
  NonceStore nonces_;
  EkTrustStore trust_;
  TpmPolicy policy_;
};

TEST_F(VerifierSwtpm, GenuineDeviceIsAttested) {
  Verifier v(policy_, trust_, clock_, nonces_, std::nullopt, "ThinkPad T14");
  auto r = runAll(v);
  EXPECT_EQ(r.outcome, AttestOutcome::Attested) << r.code << " " << r.message;
  for (const char* id : {"tpm.ek_chain", "tpm.ak_attributes", "tpm.activation", "tpm.quote",
                         "tpm.event_log", "tpm.secure_boot", "tpm.hardware_backed"}) {
    ASSERT_NE(find(r, id), nullptr) << id;
    EXPECT_EQ(find(r, id)->outcome, CheckOutcome::Pass) << id << ": " << find(r, id)->message;
  }
  EXPECT_EQ(find(r, "tpm.golden_pcrs")->outcome,
            CheckOutcome::Warn);  // no golden values for the model
  EXPECT_EQ(r.facts.ekSha256.size(), 64u);
  EXPECT_TRUE(r.facts.hardwareBacked);
  EXPECT_EQ(r.facts.secureBootFromLog, std::optional<bool>(true));
  EXPECT_EQ(r.facts.quotedPcrs.size(), 8u);
  EXPECT_DOUBLE_EQ(r.tpmMs, 240.0);
}

TEST_F(VerifierSwtpm, GoldenPcrsMatchAndMismatch) {
  GoldenPcrs g{"ThinkPad T14", {{0, toHex(device->pcrs.at(0))}, {7, toHex(device->pcrs.at(7))}}};
  policy_.goldenPcrs = {g};
  {
    Verifier v(policy_, trust_, clock_, nonces_, std::nullopt, "ThinkPad T14");
    auto r = runAll(v);
    EXPECT_EQ(r.outcome, AttestOutcome::Attested) << r.message;
    EXPECT_EQ(find(r, "tpm.golden_pcrs")->outcome, CheckOutcome::Pass);
  }
  policy_.goldenPcrs[0].pcrs[1].second = std::string(64, 'a');
  Verifier v(policy_, trust_, clock_, nonces_, std::nullopt, "ThinkPad T14");
  auto r = runAll(v);
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kGoldenPcrMismatch));
}

TEST_F(VerifierSwtpm, NoEkCertificateIsNotAttestableUnlessPreRegistered) {
  Verifier v(policy_, trust_, clock_, nonces_);
  auto r = runAll(v, false);
  EXPECT_EQ(r.outcome, AttestOutcome::NotAttestable);
  EXPECT_EQ(r.code, std::string(reason::kNoEkCertificate));

  auto ek = parseTpm2bPublic(device->ekPub).value();
  Verifier registered(policy_, trust_, clock_, nonces_, toHex(ek.nameSha256()));
  EXPECT_EQ(runAll(registered, false).outcome, AttestOutcome::Attested);

  Verifier wrong(policy_, trust_, clock_, nonces_, std::string(64, '0'));
  EXPECT_EQ(runAll(wrong, false).code, std::string(reason::kNoEkCertificate));
}

TEST_F(VerifierSwtpm, UntrustedEkCaFails) {
  EkTrustStore other;
  auto rogue = testing::makeRootCa("Rogue");
  other.addRoot(rogue.cert.get());
  Verifier v(policy_, other, clock_, nonces_);
  auto r = runAll(v);
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kEkUntrusted));
}

TEST_F(VerifierSwtpm, TpmNotReadyOrAbsentIsNotAttestable) {
  Verifier v(policy_, trust_, clock_, nonces_);
  AttestKeys k;
  k.tpm = TpmReport{true, "lockout", "dictionary attack lockout", "", ""};
  EXPECT_EQ(v.verifyKeys(k).code, std::string(reason::kTpmNotReady));
  EXPECT_EQ(v.result().outcome, AttestOutcome::NotAttestable);
  Verifier none(policy_, trust_, clock_, nonces_);
  k.tpm = TpmReport{false, "absent", "", "", ""};
  EXPECT_EQ(none.verifyKeys(k).code, std::string(reason::kTpmAbsent));
}

TEST_F(VerifierSwtpm, WrongActivationSecretFailsWithoutEchoingIt) {
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  auto cred = v.makeChallenge();
  ASSERT_TRUE(cred.ok());
  AttestActivated real = activate(cred.value());
  AttestActivated wrong{randomBytes(32), 0};
  auto r = v.checkActivation(wrong);
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kActivationFailed));
  for (const auto& c : r.checks) EXPECT_EQ(c.message.find(toHex(real.secret)), std::string::npos);
  EXPECT_EQ(r.message.find(toHex(real.secret)), std::string::npos);
}

TEST_F(VerifierSwtpm, ReplayedQuoteIsRejected) {
  Verifier first(policy_, trust_, clock_, nonces_);
  first.verifyKeys(keys());
  first.checkActivation(activate(first.makeChallenge().value()));
  QuoteMessage old = quote(first.makeQuoteRequest().value());
  EXPECT_EQ(first.verifyQuote(old).outcome, AttestOutcome::Attested);

  Verifier second(policy_, trust_, clock_, nonces_);
  second.verifyKeys(keys());
  second.checkActivation(activate(second.makeChallenge().value()));
  ASSERT_TRUE(second.makeQuoteRequest().ok());
  auto r = second.verifyQuote(old);  // the old quote carries the old nonce
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kQuoteNonce));
}

TEST_F(VerifierSwtpm, ExpiredNonceIsRejected) {
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  v.checkActivation(activate(v.makeChallenge().value()));
  QuoteMessage q = quote(v.makeQuoteRequest().value());
  clock_.advance(61);
  EXPECT_EQ(v.verifyQuote(q).code, std::string(reason::kQuoteNonce));
}

TEST_F(VerifierSwtpm, TamperedEventLogFailsReplay) {
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  v.checkActivation(activate(v.makeChallenge().value()));
  QuoteMessage q = quote(v.makeQuoteRequest().value());
  auto tampered = device->log;
  tampered.events()[2].digests[0].second[5] ^= 0x40;
  q.eventLog = tampered.build();
  auto r = v.verifyQuote(q);
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kEventLogReplay));
}

TEST_F(VerifierSwtpm, Sha1OnlyLogIsNotAttestableByDefault) {
  eventLog_ = device->sha1Log.build();
  Verifier v(policy_, trust_, clock_, nonces_);
  auto r = runAll(v);
  EXPECT_EQ(r.outcome, AttestOutcome::NotAttestable) << r.code << " " << r.message;
  EXPECT_EQ(r.code, std::string(reason::kEventLogSha1Only));
  const CheckResult* log = find(r, "tpm.event_log");
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->code, std::string(reason::kEventLogSha1Only));
  EXPECT_FALSE(log->remediation.empty());
  EXPECT_EQ(find(r, "tpm.quote")->outcome, CheckOutcome::Pass);
}

TEST_F(VerifierSwtpm, Sha1OnlyLogAcceptedByPolicyIsReplayedAgainstASha1Quote) {
  eventLog_ = device->sha1Log.build();
  policy_.allowSha1EventLog = true;
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  v.checkActivation(activate(v.makeChallenge().value()));
  auto first = v.makeQuoteRequest();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->bank, alg::kSha256);
  // The SHA-256 quote cannot verify a SHA-1 log: the verifier asks again, for the SHA-1 bank.
  EXPECT_EQ(v.verifyQuote(quote(first.value())).outcome, AttestOutcome::Pending);
  auto second = v.makeQuoteRequest();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->bank, alg::kSha1);
  EXPECT_NE(second->nonce, first->nonce);
  auto r = v.verifyQuote(quote(second.value()));
  EXPECT_EQ(r.outcome, AttestOutcome::Attested) << r.code << " " << r.message;
  EXPECT_EQ(r.facts.pcrBank, "sha1");
  EXPECT_EQ(find(r, "tpm.secure_boot")->outcome, CheckOutcome::Pass);
  EXPECT_EQ(std::count_if(r.checks.begin(), r.checks.end(),
                          [](const CheckResult& c) { return c.id == "tpm.quote"; }),
            1);
  // No third round: a SHA-1 quote answered with a log that does not replay fails.
  Verifier w(policy_, trust_, clock_, nonces_);
  w.verifyKeys(keys());
  w.checkActivation(activate(w.makeChallenge().value()));
  ASSERT_EQ(w.verifyQuote(quote(w.makeQuoteRequest().value())).outcome, AttestOutcome::Pending);
  auto tampered = device->sha1Log;
  tampered.events()[1].digests[0].second[3] ^= 1;
  eventLog_ = tampered.build();
  auto bad = w.verifyQuote(quote(w.makeQuoteRequest().value()));
  EXPECT_EQ(bad.outcome, AttestOutcome::Failed);
  EXPECT_EQ(bad.code, std::string(reason::kEventLogReplay));
}

TEST_F(VerifierSwtpm, NarrowerQuoteThanRequestedIsRejected) {
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  v.checkActivation(activate(v.makeChallenge().value()));
  QuoteRequest req = v.makeQuoteRequest().value();
  QuoteRequest narrow = req;
  narrow.pcrs = {0, 1, 2};
  auto r = v.verifyQuote(quote(narrow));
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kQuotePcrSelection));
}

TEST_F(VerifierSwtpm, MissingChallengeSignatureIsNotHardwareBacked) {
  Verifier v(policy_, trust_, clock_, nonces_);
  v.verifyKeys(keys());
  v.checkActivation(activate(v.makeChallenge().value()));
  auto r = v.verifyQuote(quote(v.makeQuoteRequest().value(), false));
  EXPECT_EQ(r.outcome, AttestOutcome::Failed);
  EXPECT_EQ(r.code, std::string(reason::kNotHardwareBacked));
  EXPECT_FALSE(r.facts.hardwareBacked);
}

TEST_F(VerifierSwtpm, StepsOutOfOrderFailClosed) {
  Verifier v(policy_, trust_, clock_, nonces_);
  EXPECT_FALSE(v.makeQuoteRequest().ok());
  EXPECT_EQ(v.result().outcome, AttestOutcome::Failed);
  EXPECT_EQ(v.result().code, std::string(reason::kUnexpectedMessage));
  EXPECT_EQ(v.verifyKeys(keys()).outcome, AttestOutcome::Failed);  // stays failed
}

TEST(VerifierPolicy, SecureBootOffLogExtendedIntoTpmReportsOff) {
  // Same shape with a Secure-Boot-off log, on its own TPM.
  testing::TempDir dir;
  testing::TempDir state;
  testing::Swtpm tpm(state.path());
  ASSERT_TRUE(tpm.running());
  auto log = EventLogBuilder::typicalBoot(false, 2);
  std::string cmd;
  for (const auto& e : log.extends()) {
    cmd += "tpm2_pcrextend " + std::to_string(e.pcr) + ":sha256=" + toHex(e.digest) + " && ";
  }
  ASSERT_EQ(tpm.run(cmd + "true"), 0);
  auto parsed = parseEventLog(log.build());
  ASSERT_TRUE(parsed.ok());
  auto replay = checkReplay(parsed.value(), alg::kSha256, log.expectedPcrs(alg::kSha256));
  auto sb = extractSecureBoot(parsed.value(), alg::kSha256, replay.verifiedPcrs);
  ASSERT_TRUE(sb.ok());
  EXPECT_FALSE(sb->enabled);
}

TEST(AttestMessages, StrictParsing) {
  nlohmann::json keys = {{"type", "attest_keys"},
                         {"tpm", {{"present", true}, {"readiness", "ready"}}},
                         {"ek_cert", nullptr},
                         {"ek_pub", "0001"},
                         {"ak_pub", "0002"}};
  EXPECT_TRUE(parseAttestKeys(keys).ok());
  auto noCertField = keys;
  noCertField.erase("ek_cert");
  EXPECT_FALSE(parseAttestKeys(noCertField).ok());
  auto badHex = keys;
  badHex["ek_pub"] = "zz";
  EXPECT_FALSE(parseAttestKeys(badHex).ok());
  auto wrongType = keys;
  wrongType["type"] = "quote";
  EXPECT_FALSE(parseAttestKeys(wrongType).ok());
  nlohmann::json q = {
      {"type", "quote"},   {"quoted", "00"},
      {"signature", "00"}, {"challenge_signature", "00"},
      {"event_log", "00"}, {"pcr_values", {{"sha256", {{"0", std::string(64, '0')}}}}}};
  EXPECT_TRUE(parseQuote(q).ok());
  auto badIndex = q;
  badIndex["pcr_values"]["sha256"] = {{"24", std::string(64, '0')}};
  EXPECT_FALSE(parseQuote(badIndex).ok());
  auto badLen = q;
  badLen["pcr_values"]["sha256"] = {{"1", std::string(62, '0')}};
  EXPECT_FALSE(parseQuote(badLen).ok());
  EXPECT_FALSE(
      parseAttestActivated({{"type", "attest_activated"}, {"secret", std::string(200, 'a')}}).ok());
}

}  // namespace
}  // namespace pb::attest
