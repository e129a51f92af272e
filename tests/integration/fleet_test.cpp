// SPDX-License-Identifier: Apache-2.0
// The demo fleet end to end: real benchd, real benchctl, provbench-sim running one real bench-agent
// per device. Every admission outcome shows up with its reason code, and is durable and audited.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace pb::test {
namespace {

std::string demo(const std::string& f) {
  return sourceDir() + "/appliance/demo/" + f;
}

// The admission fleets (no stages run): one device per admission outcome.
std::string fleets(const std::string& f) {
  return sourceDir() + "/tests/fixtures/fleets/" + f;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BenchdOptions o;
    o.policyYaml = readFile(demo("policy.yaml"));
    o.extraConfig =
        "slots:\n"
        "  - {id: a1, source: 127.0.1.1}\n"
        "  - {id: a2, source: 127.0.1.2}\n";
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
    RunResult imp = benchd_->benchctl({"registry", "import", demo("registry.csv")});
    ASSERT_EQ(imp.exitCode, 0) << imp.out << imp.err;
    RunResult blk = benchd_->benchctl({"block", "dev-000003", "--reason", "reported stolen"});
    ASSERT_EQ(blk.exitCode, 0) << blk.out << blk.err;
  }

  RunResult sim(std::vector<std::string> extra = {}) {
    SpawnOptions so;
    so.args = {binDir() + "/provbench-sim",
               "--fleet",
               fleets("admission.yaml"),
               "--appliance",
               benchd_->appliance(),
               "--pin",
               benchd_->pinFile(),
               "--workdir",
               dir_.file("sim-" + std::to_string(simRuns_++)),
               "--json"};
    so.args.insert(so.args.end(), extra.begin(), extra.end());
    return run(so);
  }

  TempDir dir_;
  std::unique_ptr<Benchd> benchd_;
  int simRuns_ = 0;
};

nlohmann::json byName(const nlohmann::json& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.value("name", "") == name) return r;
  }
  return {};
}

TEST_F(FleetTest, EveryAdmissionOutcomeWithItsCode) {
  RunResult r = sim();
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  auto results = nlohmann::json::parse(r.out);
  ASSERT_EQ(results.size(), 11u);
  for (const auto& d : results) {
    EXPECT_TRUE(d.value("meets_expectation", false)) << d.dump();
  }
  EXPECT_EQ(byName(results, "thinkpad-ok").value("device_id", ""), "dev-000001");

  // The inventory agrees with what the agents were told, and remembers the slot.
  auto devices = benchd_->benchctlJson({"devices"});
  ASSERT_TRUE(devices.is_array()) << devices.dump();
  std::map<std::string, nlohmann::json> byId;
  for (const auto& d : devices) byId[d.value("id", "")] = d;
  EXPECT_EQ(byId["dev-000001"].value("state", ""), "identified");
  EXPECT_EQ(byId["dev-000001"].value("slot", ""), "a1");
  EXPECT_EQ(byId["dev-000003"].value("reason_code", ""), "PB-1002");
  EXPECT_EQ(byId["dev-000004"].value("reason_code", ""), "PB-1005");
  EXPECT_EQ(byId["dev-000006"].value("state", ""), "quarantined");
  EXPECT_EQ(byId["dev-000007"].value("reason_code", ""), "PB-1006");

  auto verify = benchd_->benchctlJson({"audit", "verify"});
  EXPECT_TRUE(verify.value("ok", false)) << verify.dump();
}

TEST_F(FleetTest, ApprovedMismatchIsIdentifiedOnceAndTheApprovalIsSpent) {
  ASSERT_EQ(sim().exitCode, 0);
  RunResult ap = benchd_->benchctl(
      {"approve", "dev-000006", "--reason", "mainboard replaced under RMA 88123"});
  ASSERT_EQ(ap.exitCode, 0) << ap.out << ap.err;

  RunResult again = sim({"--only", "spoofed-serial"});
  auto first = byName(nlohmann::json::parse(again.out), "spoofed-serial");
  EXPECT_EQ(first.value("state", ""), "identified") << again.out;

  // The register now carries the approved UUID; the approval cannot be used twice.
  auto shown = benchd_->benchctlJson({"device", "show", "dev-000006"});
  EXPECT_EQ(shown["device"].value("smbios_uuid", ""), "7d2c91b0-55aa-4e0f-b1c3-0a9e8d7f6c54")
      << shown.dump();
  EXPECT_TRUE(shown["approval"].is_null()) << shown.dump();
}

TEST_F(FleetTest, ApprovingADeviceThatNeedsNoApprovalIsRefused) {
  ASSERT_EQ(sim({"--only", "thinkpad-ok"}).exitCode, 0);
  RunResult ap = benchd_->benchctl({"approve", "dev-000001", "--reason", "why not"});
  EXPECT_EQ(ap.exitCode, 1) << ap.out;
  EXPECT_NE((ap.out + ap.err).find("PB-9504"), std::string::npos) << ap.out << ap.err;
}

TEST_F(FleetTest, RestartLosesNothing) {
  ASSERT_EQ(sim().exitCode, 0);
  auto before = benchd_->benchctlJson({"devices"});
  benchd_->stop();
  ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
  auto after = benchd_->benchctlJson({"devices"});
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].value("state", ""), after[i].value("state", ""));
    EXPECT_EQ(before[i].value("reason_code", ""), after[i].value("reason_code", ""));
  }
  EXPECT_TRUE(benchd_->benchctlJson({"audit", "verify"}).value("ok", false));
}

// Devices with simulated TPMs: each gets a provisioned swtpm; until benchd runs the attestation
// stage their admission is unchanged, and the sim reports their EKs and the manufacturer roots.
TEST_F(FleetTest, TpmDevicesGetProvisionedSwtpms) {
  writeFile(dir_.file("tpm-fleet.yaml"),
            "devices:\n"
            "  - name: thinkpad-tpm\n"
            "    source: 127.0.1.1\n"
            "    serial: PF3ABC01\n"
            "    smbios_uuid: 4C4C4544-0051-3010-8035-B4C04F4D3032\n"
            "    tpm: {}\n"
            "    expect: {state: identified, code: PB-0100}\n"
            "  - name: elitebook-tampered\n"
            "    source: 127.0.1.2\n"
            "    serial: 5CG3301XYZ\n"
            "    smbios_uuid: 30314335-3335-4e47-8051-3330315a5859\n"
            "    tpm: {ek: rsa, ek_cert: untrusted, wrong_nonce: true}\n"
            "    expect: {state: identified, code: PB-0100}\n"
            "  - name: unregistered-not-ready\n"
            "    source: 127.0.1.3\n"
            "    serial: C02XK0ABJGH5\n"
            "    smbios_uuid: 9a1f6c2e-47d1-4b8a-9c3e-2f0d5b7a8e13\n"
            "    tpm: {not_ready: true}\n"
            "    expect: {state: blocked, code: PB-1001}\n");
  SpawnOptions so;
  so.args = {binDir() + "/provbench-sim", "--fleet", dir_.file("tpm-fleet.yaml"), "--appliance",
             benchd_->appliance(),        "--pin",   benchd_->pinFile(),          "--workdir",
             dir_.file("tpm-sim"),        "--json"};
  RunResult r = run(so);
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  auto results = nlohmann::json::parse(r.out);
  EXPECT_FALSE(byName(results, "thinkpad-tpm")["ek_pub"].get<std::string>().empty());
  EXPECT_FALSE(byName(results, "elitebook-tampered")["ek_pub"].get<std::string>().empty());
  EXPECT_TRUE(byName(results, "unregistered-not-ready")["ek_pub"].get<std::string>().empty());
  EXPECT_NE(readFile(dir_.file("tpm-sim/tpm-roots/root.pem")).find("BEGIN CERTIFICATE"),
            std::string::npos);
  EXPECT_NE(readFile(dir_.file("tpm-sim/tpm-roots/intermediate.pem")).find("BEGIN CERTIFICATE"),
            std::string::npos);
  // The tampering device ran the simulator's agent, the others the real one.
  EXPECT_NE(readFile(dir_.file("tpm-sim/elitebook-tampered/agent.log")).find("provbench-sim-agent"),
            std::string::npos);
  EXPECT_EQ(readFile(dir_.file("tpm-sim/thinkpad-tpm/agent.log")).find("provbench-sim-agent"),
            std::string::npos);
}

}  // namespace
}  // namespace pb::test
