// SPDX-License-Identifier: Apache-2.0
// The real bench-agent (and provbench-sim-agent) process, with a real swtpm provisioned like a
// simulated device, answering a scripted appliance over TLS: every frame of the attestation
// exchange crosses the wire as it will with benchd.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <utility>  // before Boost.Asio

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

#include "core/bytes.hpp"
#include "core/files.hpp"
#include "harness.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "net/tls_listener.hpp"
#include "protocol/messages.hpp"
#include "sim/sim_runner.hpp"
#include "sim/swtpm_device.hpp"

namespace pb::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

Bytes hexOf(const json& j, const char* key) {
  return fromHex(j.at(key).get<std::string>()).value_or(Bytes{});
}

void writeBytes(const std::string& path, const Bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Software MakeCredential with tpm2-tools for the EK and AK in attest_keys.
json challengeFor(const TempDir& dir, const json& keys, const Bytes& secret) {
  Bytes ak = hexOf(keys, "ak_pub");
  Bytes name = {0x00, 0x0B};
  Bytes h = sha256(Bytes(ak.begin() + 2, ak.end()));
  name.insert(name.end(), h.begin(), h.end());
  writeBytes(dir.file("ek.pub"), hexOf(keys, "ek_pub"));
  writeBytes(dir.file("secret"), secret);
  const std::string cmd = "tpm2_makecredential -T none -u " + dir.file("ek.pub") + " -s " +
                          dir.file("secret") + " -n " + toHex(name) + " -o " + dir.file("cred") +
                          " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return json::object();
  std::ifstream f(dir.file("cred"), std::ios::binary);
  Bytes cred((std::istreambuf_iterator<char>(f)), {});
  const std::size_t idLen = 2 + (std::size_t{cred[8]} << 8 | cred[9]);
  const auto split = cred.begin() + 8 + static_cast<std::ptrdiff_t>(idLen);
  json c = json::object();
  c["type"] = "attest_challenge";
  c["credential_blob"] = toHex(Bytes(cred.begin() + 8, split));
  c["encrypted_secret"] = toHex(Bytes(split, cred.end()));
  return c;
}

json startFrame() {
  json j = json::object();
  j["type"] = "attest_start";
  j["ak_algorithm"] = "ecc_nist_p256";
  j["pcr_bank"] = "sha256";
  j["pcrs"] = json::array({0, 1, 2, 3, 4, 5, 6, 7});
  return j;
}

json quoteRequest(const Bytes& nonce) {
  json j = startFrame();
  j.erase("ak_algorithm");
  j["type"] = "quote_request";
  j["nonce"] = toHex(nonce);
  j["sign_challenge"] = toHex(randomBytes(32));
  return j;
}

struct Transcript {
  json keys, activated, quote;
  std::string failure;
};

class AttestAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        generateSelfSignedIdentity(dir.file("key.pem"), dir.file("cert.pem"), "scripted appliance")
            .ok());
    auto pin = spkiPinForCertFile(dir.file("cert.pem"));
    ASSERT_TRUE(pin.ok());
    writeFile(dir.file("agent.pin"), formatPinLine(*pin));
    FleetDevice d;
    d.identity.serial = "PF3TPM01";
    d.identity.smbiosUuid = "6d1f0a52-3c1e-4b7a-9f0e-1a2b3c4d5e6f";
    ASSERT_TRUE(writeFixtureTree(d, dir.file("root")).ok());
    auto t = ManufacturerCa::create("scripted test manufacturer");
    auto u = ManufacturerCa::create("untrusted");
    ASSERT_TRUE(t.ok() && u.ok());
    ASSERT_TRUE(makeDirs(dir.file("tpm"), 0700).ok());
    SimTpmSpec spec;
    spec.extends = {{0, sha256("crtm")}, {7, sha256("secure boot on")}};
    auto sim = provisionSimTpm(dir.file("tpm"), spec, **t, **u);
    ASSERT_TRUE(sim.ok()) << sim.error().message;
    simTpm = std::move(*sim);
    eventLog = randomBytes(2048);
    writeBytes(dir.file("eventlog"), eventLog);
  }

  // Plays the appliance for one agent connection, then runs `program` against it.
  Transcript run(const std::string& program, const std::vector<std::string>& extra,
                 const Bytes& secret, const Bytes& nonce, RunResult& agent) {
    Transcript tr;
    auto ctx = makeServerContext(dir.file("cert.pem"), dir.file("key.pem"));
    EXPECT_TRUE(ctx.ok());
    boost::asio::io_context io;
    TlsListener listener(io.get_executor(), ListenerOptions{}, *ctx,
                         [&](std::unique_ptr<FrameTransport> t) -> boost::asio::awaitable<void> {
                           auto hello = co_await t->readFrame(10s);
                           Welcome w;
                           w.sessionId = "session-1";
                           w.benchId = "bench-test";
                           (void)co_await t->writeFrame(w.toJson(), 10s);
                           (void)co_await t->writeFrame(startFrame(), 10s);
                           auto keys = co_await t->readFrame(30s);
                           if (!keys.ok()) {
                             tr.failure = "no attest_keys";
                           } else {
                             tr.keys = *keys;
                             (void)co_await t->writeFrame(challengeFor(dir, tr.keys, secret), 10s);
                             auto activated = co_await t->readFrame(30s);
                             if (activated.ok()) tr.activated = *activated;
                             (void)co_await t->writeFrame(quoteRequest(nonce), 10s);
                             auto quote = co_await t->readFrame(30s);
                             if (quote.ok()) tr.quote = *quote;
                           }
                           Verdict v;
                           v.state = "attested";
                           v.message = "scripted";
                           v.deviceId = "dev-000001";
                           v.isFinal = true;
                           (void)co_await t->writeFrame(v.toJson(), 10s);
                           co_await t->close();
                           io.stop();
                         });
    auto port = listener.start();
    EXPECT_TRUE(port.ok());
    SpawnOptions so;
    so.args = {program,
               "--appliance",
               "127.0.0.1:" + std::to_string(*port),
               "--pin",
               dir.file("agent.pin"),
               "--root",
               dir.file("root"),
               "--tcti",
               simTpm.process->tcti(),
               "--event-log",
               dir.file("eventlog"),
               "--json"};
    so.args.insert(so.args.end(), extra.begin(), extra.end());
    Process p(so);
    io.run_for(60s);
    agent.exitCode = p.wait();
    agent.out = p.out();
    agent.err = p.err();
    return tr;
  }

  TempDir dir;
  SimTpm simTpm;
  Bytes eventLog;
};

Bytes quotedNonce(const json& quote) {
  Bytes b = hexOf(quote, "quoted");
  TPM2B_ATTEST a{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ATTEST_Unmarshal(b.data(), b.size(), &off, &a) != 0) return {};
  TPMS_ATTEST s{};
  off = 0;
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(a.attestationData, a.size, &off, &s) != 0) return {};
  return Bytes(s.extraData.buffer, s.extraData.buffer + s.extraData.size);
}

TEST_F(AttestAgentTest, BenchAgentCompletesTheExchangeOverTls) {
  Bytes secret = randomBytes(32), nonce = randomBytes(32);
  RunResult agent;
  Transcript tr = run(binDir() + "/bench-agent", {}, secret, nonce, agent);
  ASSERT_TRUE(tr.failure.empty()) << tr.failure << agent.err;
  EXPECT_EQ(tr.keys["tpm"]["readiness"], "ready") << tr.keys.dump();
  EXPECT_EQ(hexOf(tr.keys, "ek_pub"), simTpm.ekPublic);
  EXPECT_EQ(hexOf(tr.keys, "ek_cert"), simTpm.ekCertificate);
  EXPECT_EQ(tr.activated["type"], "attest_activated") << tr.activated.dump();
  EXPECT_EQ(hexOf(tr.activated, "secret"), secret);
  EXPECT_EQ(tr.quote["type"], "quote") << tr.quote.dump();
  EXPECT_EQ(quotedNonce(tr.quote), nonce);
  EXPECT_EQ(hexOf(tr.quote, "event_log"), eventLog);
  EXPECT_EQ(agent.exitCode, 10) << agent.err;  // attested, further stages pending
  json outcome = json::parse(agent.out, nullptr, false);
  ASSERT_TRUE(outcome.is_object()) << agent.out;
  EXPECT_EQ(outcome["state"], "attested");
  EXPECT_GT(outcome["tpm_ms"].get<double>(), 0.0);
  // The secret never reaches the agent's logs.
  EXPECT_EQ(agent.err.find(toHex(secret)), std::string::npos);
}

TEST_F(AttestAgentTest, SimAgentPlaysTheWrongNonce) {
  Bytes nonce = randomBytes(32);
  RunResult agent;
  Transcript tr = run(binDir() + "/provbench-sim-agent", {"--tamper", "wrong_nonce"},
                      randomBytes(32), nonce, agent);
  ASSERT_TRUE(tr.failure.empty()) << tr.failure << agent.err;
  Bytes got = quotedNonce(tr.quote);
  ASSERT_EQ(got.size(), 32u) << tr.quote.dump();
  EXPECT_NE(got, nonce);
}

TEST_F(AttestAgentTest, BenchAgentRefusesAnImplicitTcti) {
  SpawnOptions so;
  so.args = {binDir() + "/bench-agent",
             "--appliance",
             "127.0.0.1:1",
             "--pin",
             dir.file("agent.pin"),
             "--tcti",
             ""};
  Process p(so);
  EXPECT_EQ(p.wait(), 2);
}

}  // namespace
}  // namespace pb::test
