// SPDX-License-Identifier: Apache-2.0
// Signed policies end to end with the real programs: benchd refuses an unsigned or badly signed
// policy at start; `benchctl policy load --dry-run` shows the diff and the verdicts that would
// change on a registered fleet; a load applies for new sessions (which record the new hash);
// SIGHUP reloads the file and keeps the active policy when the new one is invalid.
#include <csignal>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "harness.hpp"

namespace pb::test {
namespace {

using nlohmann::json;

const std::string kPolicyV1 = "name: lab-v1\ntenant: {id: lab}\n";
const std::string kPolicyV2 =
    "name: lab-v2\ntenant: {id: lab}\nenrollment: {require_first_enrollment_approval: true}\n";
const std::string kRegister =
    "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n"
    "PF3XYZ12,8c1a3f2e-5b7d-11ec-bf63-0242ac130002,20XW0055GE,Alice,alice@example.org,lab,,"
    "2020-01-01,2099-01-01\n"
    "SN-2,4c4c4544-0031-3410-8033-b2c04f4e3202,M,Bob,bob@example.org,lab,,2020-01-01,2099-01-01\n";

RunResult benchctl(std::vector<std::string> args) {
  SpawnOptions so;
  so.args = {binDir() + "/benchctl"};
  so.args.insert(so.args.end(), args.begin(), args.end());
  return run(so);
}

class PolicyIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult k = benchctl({"policy", "keygen", "--out", dir_.file("keys")});
    ASSERT_EQ(k.exitCode, 0) << k.err;
  }
  // Writes `text` to `name` and signs it with the admin key (the real CLI).
  std::string signedPolicy(const std::string& name, const std::string& text) {
    writeFile(dir_.file(name), text);
    RunResult s =
        benchctl({"policy", "sign", dir_.file(name), "--key", dir_.file("keys/signing-key.pem")});
    EXPECT_EQ(s.exitCode, 0) << s.err;
    return dir_.file(name);
  }
  std::string policyConfig(const std::string& file) {
    return "policy:\n  file: " + file + "\n  trusted_signers: [" +
           dir_.file("keys/signing-key.pub.pem") + "]\n";
  }
  RunResult checkConfig(const std::string& policyFile) {
    writeFile(dir_.file("bench.yaml"),
              "bench_id: t1\nstate_dir: " + dir_.path() + "\n" + policyConfig(policyFile));
    SpawnOptions so;
    so.args = {binDir() + "/benchd", "--config", dir_.file("bench.yaml"), "--check-config"};
    return run(so);
  }
  TempDir dir_;
};

TEST_F(PolicyIntegration, BenchdRefusesUnsignedAndBadlySignedPoliciesAtStart) {
  const std::string file = signedPolicy("policy.yaml", kPolicyV1);
  RunResult ok = checkConfig(file);
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  EXPECT_NE(ok.out.find("signed by"), std::string::npos) << ok.out;

  writeFile(file, kPolicyV1 + "# edited after signing\n");  // tampered file
  RunResult tampered = checkConfig(file);
  EXPECT_EQ(tampered.exitCode, 2);
  EXPECT_NE(tampered.err.find("does not verify"), std::string::npos) << tampered.err;

  writeFile(dir_.file("unsigned.yaml"), kPolicyV1);  // no .sig at all
  RunResult unsignedPolicy = checkConfig(dir_.file("unsigned.yaml"));
  EXPECT_EQ(unsignedPolicy.exitCode, 2);
  EXPECT_NE(unsignedPolicy.err.find("not signed"), std::string::npos) << unsignedPolicy.err;
}

TEST_F(PolicyIntegration, DryRunLoadAndReloadOnARegisteredFleet) {
  const std::string file = signedPolicy("policy.yaml", kPolicyV1);
  BenchdOptions o;
  o.extraConfig = policyConfig(file);
  Benchd b(dir_.file("state"), o);
  ASSERT_EQ(::mkdir(dir_.file("state").c_str(), 0700), 0);
  ASSERT_TRUE(b.start()) << b.process()->err();
  writeFile(dir_.file("fleet.csv"), kRegister);
  ASSERT_EQ(b.benchctl({"registry", "import", dir_.file("fleet.csv")}).exitCode, 0);
  const json before = b.benchctlJson({"policy", "show"});
  EXPECT_EQ(before["name"], "lab-v1");

  // Dry run: readable diff and the two devices whose first enrolment now needs approval.
  const std::string v2 = signedPolicy("v2.yaml", kPolicyV2);
  RunResult dry = b.benchctl({"policy", "load", v2, "--dry-run"});
  ASSERT_EQ(dry.exitCode, 0) << dry.err;
  EXPECT_NE(dry.out.find("enrollment.require_first_enrollment_approval: false -> true"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("(PF3XYZ12) admission: identified PB-0100 -> blocked PB-1003"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("(SN-2) admission: identified PB-0100 -> blocked PB-1003"),
            std::string::npos);
  EXPECT_EQ(b.benchctlJson({"policy", "show"})["hash"], before["hash"]);

  // A load signed by another key is refused and changes nothing.
  ASSERT_EQ(benchctl({"policy", "keygen", "--out", dir_.file("other")}).exitCode, 0);
  RunResult foreign = b.benchctl({"policy", "load", v2, "--sig", dir_.file("other/x.sig")});
  EXPECT_EQ(foreign.exitCode, 1);  // unreadable signature file
  writeFile(dir_.file("v2-other.yaml"), kPolicyV2);
  ASSERT_EQ(benchctl({"policy", "sign", dir_.file("v2-other.yaml"), "--key",
                      dir_.file("other/signing-key.pem")})
                .exitCode,
            0);
  RunResult wrongKey = b.benchctl({"policy", "load", dir_.file("v2-other.yaml")});
  EXPECT_EQ(wrongKey.exitCode, 1);
  EXPECT_NE(wrongKey.err.find("PB-9511"), std::string::npos) << wrongKey.err;

  // Apply: new sessions run under v2 and record its hash.
  RunResult load = b.benchctl({"policy", "load", v2});
  ASSERT_EQ(load.exitCode, 0) << load.err;
  const json after = b.benchctlJson({"policy", "show"});
  EXPECT_EQ(after["name"], "lab-v2");
  SpawnOptions agent;
  agent.args = {binDir() + "/bench-agent",
                "--appliance",
                b.appliance(),
                "--pin",
                b.pinFile(),
                "--root",
                sourceDir() + "/tests/fixtures/sysfs/laptop-thinkpad",
                "--json"};
  RunResult a = run(agent);
  const json show = b.benchctlJson({"device", "show", "dev-000001"});
  ASSERT_FALSE(show["sessions"].empty()) << a.out << a.err;
  EXPECT_EQ(show["sessions"][0]["policy_hash"], after["hash"]);
  EXPECT_EQ(show["device"]["reason_code"], "PB-1003");  // v2's rule applied

  // SIGHUP with an invalid file: refused (the second refusal after the wrong key), logged and
  // audited; the active policy stays.
  writeFile(file, "name: broken\ntenant: {id: lab}\nbogus: 1\n");
  b.process()->signal(SIGHUP);
  ASSERT_TRUE(b.process()->waitForErrLines(
      [](const std::string& l) { return l.find("policy.refused") != std::string::npos; }, 2,
      std::chrono::seconds(10)))
      << b.process()->err();
  EXPECT_EQ(b.benchctlJson({"policy", "show"})["hash"], after["hash"]);

  // SIGHUP with a valid signed file: loaded.
  signedPolicy("policy.yaml", kPolicyV1);
  b.process()->signal(SIGHUP);
  ASSERT_TRUE(b.process()->waitForErrLine(
      [](const std::string& l) {
        return l.find("policy.loaded") != std::string::npos &&
               l.find("lab-v1") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << b.process()->err();
  EXPECT_EQ(b.benchctlJson({"policy", "show"})["hash"], before["hash"]);
  bool audited = false;
  for (const auto& r : b.benchctlJson({"audit", "tail", "-n", "20"})) {
    if (r["action"] == "policy.loaded" && r["actor"] == "signal:SIGHUP") audited = true;
  }
  EXPECT_TRUE(audited);
}

}  // namespace
}  // namespace pb::test
