// SPDX-License-Identifier: Apache-2.0
// The stages after admission end to end: real benchd running the checks and attestation stages,
// provbench-sim giving every device a real swtpm (manufacturer CA, EK certificate, measured boot
// extended into its PCRs) and an AMT firmware simulator, real bench-agents answering in band.
// Each simulated failure switch must end in its documented state and reason code.
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "harness.hpp"

namespace pb::test {
namespace {

std::string fixture(const std::string& f) {
  return sourceDir() + "/tests/fixtures/fleets/" + f;
}

nlohmann::json byName(const nlohmann::json& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.value("name", "") == name) return r;
  }
  return {};
}

// The golden PCR block of a healthy simulated device, as `provbench-sim --golden-pcrs` prints it,
// for the model the fixture fleets use.
std::string goldenPcrsYaml(const std::string& model) {
  SpawnOptions so;
  so.args = {binDir() + "/provbench-sim", "--golden-pcrs"};
  RunResult r = run(so);
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::string out;
  std::size_t pos = 0;
  while (pos < r.out.size()) {
    std::size_t nl = r.out.find('\n', pos);
    std::string line = r.out.substr(pos, nl - pos);
    pos = nl == std::string::npos ? r.out.size() : nl + 1;
    if (line.find("<the simulated model>") != std::string::npos) line = "  - model: " + model;
    out += "  " + line + "\n";
  }
  return out;
}

// A policy the healthy simulated devices meet: the sim's manufacturer CA as EK root, its golden
// PCRs, the organisation's internal AMT root and suffix.
std::string stagedPolicy(const std::string& rootsDir) {
  return "name: staged-bench\n"
         "tenant: {id: acme, name: ACME}\n"
         "enrollment: {require_pre_registration: true}\n"
         "tpm:\n"
         "  manufacturer_roots_dir: " +
         rootsDir +
         "\n"
         "  allowed_ek_algorithms: [rsa2048, ecc_nist_p256]\n"
         "  allowed_ak_algorithms: [ecc_nist_p256, rsa2048]\n"
         "  pcr_bank: sha256\n"
         "  pcr_selection: [0, 1, 2, 3, 4, 5, 6, 7]\n" +
         goldenPcrsYaml("ThinkPad T14 Gen 4") +
         "amt:\n"
         "  presence: optional\n"
         "  allowed_thumbprints:\n"
         "    - name: Acme Internal Root CA\n"
         "      algorithm: sha256\n"
         "      hash: 53423e781bf7aa2e3172b8b1f67816fa0e3c22efb898769a4d1224340655f3e5\n"
         "  expected_provisioning_states: [pre]\n"
         "  expected_control_modes: [none, acm]\n"
         "  dns_suffix: amt.acme.example\n"
         "  minimum_me_firmware:\n"
         "    16: 16.1.25.0\n";
}

class StagedFleetTest : public ::testing::Test {
 protected:
  void start(const std::string& stages, const std::string& registry) {
    makeDir(dir_.file("tpm-roots"));
    BenchdOptions o;
    o.stagesYaml = stages;
    o.policyYaml = stagedPolicy(dir_.file("tpm-roots"));
    o.limitsYaml = "  io_timeout_ms: 20000\n  handshake_timeout_ms: 5000\n";
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
    RunResult imp = benchd_->benchctl({"registry", "import", registry});
    ASSERT_EQ(imp.exitCode, 0) << imp.out << imp.err;
  }

  nlohmann::json sim(const std::string& fleet) {
    SpawnOptions so;
    so.args = {binDir() + "/provbench-sim",
               "--fleet",
               fleet,
               "--appliance",
               benchd_->appliance(),
               "--pin",
               benchd_->pinFile(),
               "--workdir",
               dir_.file("sim"),
               "--tpm-roots",
               dir_.file("tpm-roots"),
               "--json"};
    RunResult r = run(so);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << r.out << r.err;
    return j;
  }

  static void makeDir(const std::string& path) { ASSERT_EQ(::mkdir(path.c_str(), 0755), 0); }

  TempDir dir_;
  std::unique_ptr<Benchd> benchd_;
};

// Every TPM attack class of the simulator ends in its documented state and code; the fleet file
// carries the expectations and provbench-sim exits 0 only if all are met.
TEST_F(StagedFleetTest, EveryTpmSwitchGivesItsCode) {
  start("[attest]", fixture("tpm-attacks-registry.csv"));
  nlohmann::json results = sim(fixture("tpm-attacks.yaml"));
  for (const auto& r : results) {
    EXPECT_TRUE(r.value("meets_expectation", false)) << r.dump(2);
  }
  // The attested EK is now the device's identity.
  nlohmann::json dev = benchd_->benchctlJson(
      {"device", "show", byName(results, "tpm-healthy-ecc").value("device_id", "")});
  EXPECT_EQ(dev["device"]["state"], "attested") << dev.dump(2);
  EXPECT_FALSE(dev["device"].value("bound_ek_sha256", "").empty()) << dev.dump(2);
}

// Every firmware/AMT finding of the simulator fails the checks stage with its code.
TEST_F(StagedFleetTest, EveryAmtFindingGivesItsCode) {
  start("[checks]", fixture("amt-checks-registry.csv"));
  nlohmann::json results = sim(fixture("amt-checks.yaml"));
  for (const auto& r : results) {
    EXPECT_TRUE(r.value("meets_expectation", false)) << r.dump(2);
  }
  // Results are stored per session with the policy hash and shown by `device show`.
  nlohmann::json dev =
      benchd_->benchctlJson({"device", "show", byName(results, "factory").value("device_id", "")});
  EXPECT_TRUE(dev.dump().find("amt.thumbprints") != std::string::npos) << dev.dump(2);
}

// Both stages in order: a hardened device with a healthy TPM is checked, then attested; a device
// that fails the firmware/AMT checks never reaches attestation.
TEST_F(StagedFleetTest, ChecksThenAttestation) {
  const std::string registry = dir_.file("registry.csv");
  writeFile(registry,
            "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n"
            "STG00001,5d7e0c1d-5b2f-4c6e-8a9d-000000000001,ThinkPad T14 Gen 4,Sim Owner,"
            "o@acme.example,acme,,2026-01-01,2027-12-31\n"
            "STG00002,5d7e0c1d-5b2f-4c6e-8a9d-000000000002,ThinkPad T14 Gen 4,Sim Owner,"
            "o@acme.example,acme,,2026-01-01,2027-12-31\n");
  const std::string fleet = dir_.file("fleet.yaml");
  const std::string hardenedAmt =
      "{factory_hashes: inactive, remote_configuration: false, dns_suffix: amt.acme.example, "
      "config_server: {address: 10.20.0.5, port: 9972, fqdn: sca.amt.acme.example}}";
  writeFile(fleet,
            "devices:\n"
            "  - name: good\n"
            "    source: 127.0.4.1\n"
            "    serial: STG00001\n"
            "    smbios_uuid: 5d7e0c1d-5b2f-4c6e-8a9d-000000000001\n"
            "    model: ThinkPad T14 Gen 4\n"
            "    amt: " +
                hardenedAmt +
                "\n"
                "    tpm: {}\n"
                "    expect: {state: attested}\n"
                "  - name: factory-amt\n"
                "    source: 127.0.4.2\n"
                "    serial: STG00002\n"
                "    smbios_uuid: 5d7e0c1d-5b2f-4c6e-8a9d-000000000002\n"
                "    model: ThinkPad T14 Gen 4\n"
                "    tpm: {}\n"
                "    expect: {state: failed, code: PB-2004}\n");
  start("[checks, attest]", registry);
  nlohmann::json results = sim(fleet);
  for (const auto& r : results) {
    EXPECT_TRUE(r.value("meets_expectation", false)) << r.dump(2);
  }
  // The audit log shows the stages in order, and the chain still verifies.
  nlohmann::json tail = benchd_->benchctlJson({"audit", "tail", "-n", "200"});
  const std::string audit = tail.dump();
  const auto checked = audit.find("checks.checked");
  const auto attested = audit.find("attest.attested");
  EXPECT_NE(checked, std::string::npos) << audit;
  EXPECT_NE(attested, std::string::npos) << audit;
  // The attestation record carries the time split of figure 3 (tests/bench/attest_e2e_bench).
  EXPECT_NE(audit.find("appliance_ms"), std::string::npos) << audit;
  EXPECT_NE(audit.find("tpm_ms"), std::string::npos) << audit;
  EXPECT_EQ(benchd_->benchctl({"audit", "verify"}).exitCode, 0);
}

}  // namespace
}  // namespace pb::test
