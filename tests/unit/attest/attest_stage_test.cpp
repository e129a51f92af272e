// SPDX-License-Identifier: Apache-2.0
// AttestStage over a scripted agent transport: the frames it sends follow PROTOCOL.md, malformed or
// missing answers fail closed with an error frame, and a real swtpm answering the exchange ends
// attested (or quarantined when the EK contradicts the register).
#include "attest/attest_stage.hpp"

#include <ctime>
#include <deque>
#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "attest/event_log.hpp"
#include "attest/tool_formats.hpp"
#include "core/reasons.hpp"
#include "session/policy_snapshot.hpp"
#include "swtpm_harness.hpp"
#include "test_pki.hpp"

namespace pb::attest {
namespace {

using nlohmann::json;
using testing::readFile;
using testing::writeFile;

// The agent side, scripted: each frame the appliance writes may produce one reply.
class ScriptedAgent final : public FrameTransport {
 public:
  std::function<std::optional<json>(const json&)> respond;
  std::vector<json> sent;

  boost::asio::awaitable<Result<json>> readFrame(std::chrono::milliseconds) override {
    if (inbox_.empty()) co_return makeError(std::string(reason::kTimeout), "no frame");
    json j = std::move(inbox_.front());
    inbox_.pop_front();
    co_return j;
  }
  boost::asio::awaitable<Status> writeFrame(const json& m, std::chrono::milliseconds) override {
    sent.push_back(m);
    if (respond) {
      if (auto r = respond(m)) inbox_.push_back(std::move(*r));
    }
    co_return Status{};
  }
  boost::asio::awaitable<void> close() override { co_return; }
  [[nodiscard]] std::string peerAddress() const override { return "127.0.0.1"; }

 private:
  std::deque<json> inbox_;
};

class StageHarness {
 public:
  StageHarness() : clock_(static_cast<std::int64_t>(std::time(nullptr))), log_(devNull()) {
    policy_.policy.tpm.akAlgorithm = "ecc_nist_p256";
    session_.id = "s-0000000000000001";
    facts_.model = "Bench Model";
  }
  ~StageHarness() { std::fclose(null_); }

  StageOutcome run(const EkTrustStore& trust, ScriptedAgent& agent,
                   std::optional<DeviceRecord> device = {}) {
    device_ = std::move(device);
    AttestStage stage(trust);
    StageContext ctx{session_, device_, facts_, policy_,
                     agent,    clock_,  log_,   std::chrono::milliseconds(1000)};
    ctx.devicesWithEk = devicesWithEk;
    boost::asio::io_context io;
    StageOutcome out;
    bool done = false;
    boost::asio::co_spawn(io, stage.run(ctx), [&](std::exception_ptr e, StageOutcome o) {
      if (e) std::rethrow_exception(e);
      out = std::move(o);
      done = true;
    });
    io.run();
    EXPECT_TRUE(done);
    return out;
  }

  PolicySnapshot policy_;
  // The inventory's answer to "which devices does this EK identify" (unset: none known).
  std::function<Result<std::vector<DeviceRecord>>(const std::string&)> devicesWithEk;

 private:
  std::FILE* devNull() {
    null_ = std::fopen("/dev/null", "w");
    return null_;
  }
  std::FILE* null_ = nullptr;
  FixedClock clock_;
  Logger log_;
  SessionRecord session_;
  std::optional<DeviceRecord> device_;
  IdentityFacts facts_;
};

TEST(AttestStage, TpmAbsentIsNotAttestable) {
  EkTrustStore trust;
  ScriptedAgent agent;
  agent.respond = [](const json& m) -> std::optional<json> {
    if (m["type"] != "attest_start") return std::nullopt;
    return json{{"type", "attest_keys"}, {"tpm", {{"present", false}, {"readiness", "absent"}}}};
  };
  StageHarness h;
  auto out = h.run(trust, agent);
  EXPECT_EQ(out.to, DeviceState::NotAttestable);
  EXPECT_EQ(out.code, std::string(reason::kTpmAbsent));
  ASSERT_FALSE(agent.sent.empty());
  EXPECT_EQ(agent.sent[0]["type"], "attest_start");
  EXPECT_EQ(agent.sent[0]["pcr_bank"], "sha256");
  EXPECT_EQ(agent.sent[0]["pcrs"].size(), 8u);
}

TEST(AttestStage, MalformedAnswerFailsWithErrorFrame) {
  EkTrustStore trust;
  ScriptedAgent agent;
  agent.respond = [](const json& m) -> std::optional<json> {
    if (m["type"] != "attest_start") return std::nullopt;
    return json{{"type", "attest_keys"}, {"tpm", "yes"}};
  };
  StageHarness h;
  auto out = h.run(trust, agent);
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, std::string(reason::kMalformedFrame));
  EXPECT_EQ(agent.sent.back()["type"], "error");
}

TEST(AttestStage, SilentAgentFailsRetryable) {
  EkTrustStore trust;
  ScriptedAgent agent;
  StageHarness h;
  auto out = h.run(trust, agent);
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, std::string(reason::kTimeout));
  EXPECT_TRUE(out.retryable);
}

// A real TPM behind the scripted agent: tpm2-tools answer every appliance frame.
class SwtpmAgentStage : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tpm_.running());
    std::string cmd;
    for (const auto& e : log_.extends()) {
      cmd += "tpm2_pcrextend " + std::to_string(e.pcr) + ":sha256=" + toHex(e.digest) + " && ";
    }
    ASSERT_EQ(run(cmd + "true"), 0);
    ASSERT_EQ(run("tpm2_createek -c " + f("ek.ctx") + " -G rsa -u " + f("ek.pub")), 0);
    ASSERT_EQ(run("tpm2_createak -C " + f("ek.ctx") + " -c " + f("ak.ctx") +
                  " -G ecc -g sha256 -s ecdsa -u " + f("ak.pub")),
              0);
    auto ek = parseTpm2bPublic(readFile(f("ek.pub"))).value();
    ekSha256_ = toHex(ek.nameSha256());
    ekCert_ = testing::toDer(testing::issueEkCert(root_, toEvpKey(ek).value().get()).get());
    trust_.addRoot(root_.cert.get());
  }

  std::string f(const std::string& n) const { return dir_.file(n); }
  int run(const std::string& cmd) const {
    return tpm_.run(cmd + "; rc=$?; tpm2_flushcontext -t; tpm2_flushcontext -s; exit $rc");
  }

  std::optional<json> answer(const json& m) {
    const std::string type = m["type"];
    if (type == "attest_start") {
      return json{{"type", "attest_keys"},
                  {"tpm", {{"present", true}, {"readiness", "ready"}, {"manufacturer", "IBM"}}},
                  {"ek_cert", toHex(ekCert_)},
                  {"ek_pub", toHex(readFile(f("ek.pub")))},
                  {"ak_pub", toHex(readFile(f("ak.pub")))},
                  {"tpm_ms", 30}};
    }
    if (type == "attest_challenge") {
      Bytes file;
      putU32(file, 0xBADCC0DE);
      putU32(file, 1);
      Bytes id = fromHex(m["credential_blob"].get<std::string>()).value();
      Bytes sec = fromHex(m["encrypted_secret"].get<std::string>()).value();
      file.insert(file.end(), id.begin(), id.end());
      file.insert(file.end(), sec.begin(), sec.end());
      writeFile(f("cred.bin"), file);
      std::string s = f("session.ctx");
      run("tpm2_startauthsession --policy-session -S " + s + " && tpm2_policysecret -S " + s +
          " -c e && tpm2_activatecredential -c " + f("ak.ctx") + " -C " + f("ek.ctx") + " -i " +
          f("cred.bin") + " -o " + f("secret.bin") + " -P session:" + s);
      return json{{"type", "attest_activated"},
                  {"secret", toHex(readFile(f("secret.bin")))},
                  {"tpm_ms", 40}};
    }
    if (type == "quote_request") {
      std::string list = "sha256:";
      for (std::size_t i = 0; i < m["pcrs"].size(); ++i)
        list += (i ? "," : "") + std::to_string(m["pcrs"][i].get<int>());
      run("tpm2_quote -c " + f("ak.ctx") + " -l " + list + " -q " + m["nonce"].get<std::string>() +
          " -m " + f("msg") + " -s " + f("sig") + " -o " + f("pcrs") + " -g sha256");
      writeFile(f("challenge"), fromHex(m["sign_challenge"].get<std::string>()).value());
      run("tpm2_hash -C e -g sha256 -o " + f("digest") + " -t " + f("ticket") + " " +
          f("challenge") + " && tpm2_sign -c " + f("ak.ctx") + " -g sha256 -d " + f("digest") +
          " -t " + f("ticket") + " -o " + f("csig"));
      auto values = parsePcrValuesFile(readFile(f("pcrs")), parsePcrListSpec(list).value()).value();
      json pcrs = json::object();
      for (const auto& [idx, v] : values[alg::kSha256]) pcrs[std::to_string(idx)] = toHex(v);
      return json{{"type", "quote"},
                  {"quoted", toHex(readFile(f("msg")))},
                  {"signature", toHex(readFile(f("sig")))},
                  {"challenge_signature", toHex(readFile(f("csig")))},
                  {"pcr_values", {{"sha256", pcrs}}},
                  {"event_log", toHex(log_.build())},
                  {"tpm_ms", 210}};
    }
    return std::nullopt;
  }

  testing::TempDir dir_;
  testing::TempDir state_;
  testing::Swtpm tpm_{state_.path()};
  testing::TestCa root_ = testing::makeRootCa("Stage TPM Root");
  EventLogBuilder log_ = EventLogBuilder::typicalBoot(true, 3);
  EkTrustStore trust_;
  Bytes ekCert_;
  std::string ekSha256_;
};

TEST_F(SwtpmAgentStage, GenuineDeviceIsAttestedAndBindsItsEk) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  StageHarness h;
  auto out = h.run(trust_, agent);
  EXPECT_EQ(out.to, DeviceState::Attested) << out.code << " " << out.details.dump();
  EXPECT_EQ(out.bindEkSha256, ekSha256_);
  EXPECT_EQ(out.details["tpm_ms"], 280);
  std::vector<std::string> types;
  for (const auto& s : agent.sent) types.push_back(s["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"attest_start", "attest_challenge", "quote_request"}));
  // The credential secret never appears in anything the stage reports.
  EXPECT_EQ(out.details.dump().find(toHex(readFile(f("secret.bin")))), std::string::npos);
}

TEST_F(SwtpmAgentStage, EkContradictingTheRegisterIsQuarantined) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  DeviceRecord device;
  device.id = "dev-000001";
  device.registry.ekSha256 = std::string(64, 'a');
  StageHarness h;
  auto out = h.run(trust_, agent, device);
  // The register names an EK: no certificate is needed, but the attested EK must be that one. A
  // certificate was sent, so the chain passes; the identity check then quarantines.
  EXPECT_EQ(out.to, DeviceState::Quarantined);
  EXPECT_EQ(out.code, std::string(reason::kEkMismatch));
  EXPECT_TRUE(out.bindEkSha256.empty());
}

TEST_F(SwtpmAgentStage, EkBoundToAnotherDeviceIsQuarantinedAndNotBound) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  DeviceRecord self;
  self.id = "dev-000002";  // registered without an EK, never attested
  std::string asked;
  StageHarness h;
  h.devicesWithEk = [&](const std::string& ek) -> Result<std::vector<DeviceRecord>> {
    asked = ek;
    DeviceRecord other;
    other.id = "dev-000001";
    other.boundEkSha256 = ek;
    return std::vector<DeviceRecord>{other};
  };
  auto out = h.run(trust_, agent, self);
  EXPECT_EQ(asked, ekSha256_);
  EXPECT_EQ(out.to, DeviceState::Quarantined) << out.code << " " << out.details.dump();
  EXPECT_EQ(out.code, std::string(reason::kEkBoundElsewhere));
  EXPECT_FALSE(out.retryable);
  EXPECT_TRUE(out.bindEkSha256.empty());
  EXPECT_EQ(out.details["ek_belongs_to"], "dev-000001");
  EXPECT_EQ(out.details["ek_sha256"], ekSha256_);
}

TEST_F(SwtpmAgentStage, EkRegisteredForAnotherDeviceIsQuarantinedToo) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  StageHarness h;
  h.devicesWithEk = [](const std::string& ek) -> Result<std::vector<DeviceRecord>> {
    DeviceRecord other;
    other.id = "dev-000009";
    other.registry.ekSha256 = ek;
    return std::vector<DeviceRecord>{other};
  };
  auto out = h.run(trust_, agent);  // an unregistered device admitted by policy: no binding
  EXPECT_EQ(out.to, DeviceState::Quarantined);
  EXPECT_EQ(out.code, std::string(reason::kEkBoundElsewhere));
  EXPECT_NE(out.details["detail"].get<std::string>().find("asset register"), std::string::npos);
}

TEST_F(SwtpmAgentStage, ItsOwnBindingIsNotAnotherDevice) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  DeviceRecord self;
  self.id = "dev-000001";
  self.boundEkSha256 = ekSha256_;
  StageHarness h;
  h.devicesWithEk = [&](const std::string&) -> Result<std::vector<DeviceRecord>> {
    return std::vector<DeviceRecord>{self};
  };
  auto out = h.run(trust_, agent, self);
  EXPECT_EQ(out.to, DeviceState::Attested) << out.code;
  EXPECT_EQ(out.bindEkSha256, ekSha256_);
}

TEST_F(SwtpmAgentStage, AnUnanswerableEkLookupFailsClosedAndRetryable) {
  ScriptedAgent agent;
  agent.respond = [this](const json& m) { return answer(m); };
  StageHarness h;
  h.devicesWithEk = [](const std::string&) -> Result<std::vector<DeviceRecord>> {
    return makeError("db", "database is locked");
  };
  auto out = h.run(trust_, agent);
  EXPECT_EQ(out.to, DeviceState::Failed);
  EXPECT_EQ(out.code, std::string(reason::kInternalError));
  EXPECT_TRUE(out.retryable);
  EXPECT_TRUE(out.bindEkSha256.empty());
}

}  // namespace
}  // namespace pb::attest
