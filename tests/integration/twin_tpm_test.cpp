// SPDX-License-Identifier: Apache-2.0
// Issue 10, identity: one TPM must not attest as two devices, and a claim without the TPM must not
// change an attested device. Real benchd with the attestation stage, real bench-agents, real
// swtpm; the twin TPM is a copy of the first device's swtpm state directory with its measured
// boot replayed, as the attacker did.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/files.hpp"
#include "harness.hpp"
#include "sim/boot_events.hpp"
#include "sim/manufacturer_ca.hpp"
#include "sim/sim_runner.hpp"
#include "sim/swtpm_device.hpp"

namespace pb::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kModel = "ThinkPad T14 Gen 4";

std::string policyYaml(const std::string& rootsDir) {
  std::string golden;
  for (const auto& [pcr, value] : simGoldenPcrs()) {
    golden += "        " + std::to_string(pcr) + ": \"" + value + "\"\n";
  }
  return "name: twin-bench\n"
         "tenant: {id: acme, name: ACME}\n"
         "enrollment: {require_pre_registration: true}\n"
         "tpm:\n"
         "  manufacturer_roots_dir: " +
         rootsDir +
         "\n"
         "  allowed_ek_algorithms: [rsa2048, ecc_nist_p256]\n"
         "  allowed_ak_algorithms: [ecc_nist_p256, rsa2048]\n"
         "  pcr_bank: sha256\n"
         "  pcr_selection: [0, 1, 2, 3, 4, 5, 6, 7]\n"
         "  golden_pcrs:\n"
         "    - model: " +
         std::string(kModel) + "\n      pcrs:\n" + golden;
}

FleetDevice device(const std::string& name, const std::string& serial, const std::string& uuid) {
  FleetDevice d;
  d.name = name;
  d.identity.serial = serial;
  d.identity.smbiosUuid = uuid;
  d.identity.model = kModel;
  d.tpm = FleetTpm{};
  return d;
}

class TwinTpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(dir_.file("tpm-roots").c_str(), 0755), 0);
    auto trusted = ManufacturerCa::create("twin test TPM manufacturer");
    auto untrusted = ManufacturerCa::create("untrusted");
    ASSERT_TRUE(trusted.ok() && untrusted.ok());
    trusted_ = std::move(*trusted);
    untrusted_ = std::move(*untrusted);
    ASSERT_TRUE(trusted_->writePems(dir_.file("tpm-roots")).ok());

    BenchdOptions o;
    o.stagesYaml = "[attest]";
    o.policyYaml = policyYaml(dir_.file("tpm-roots"));
    o.limitsYaml = "  io_timeout_ms: 20000\n  handshake_timeout_ms: 5000\n";
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
    // Two registered devices, neither with an EK in the register (the common case).
    writeFile(dir_.file("registry.csv"),
              "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,"
              "window_until\n"
              "TWIN0001,5d7e0c1d-5b2f-4c6e-8a9d-0000000000a1,ThinkPad T14 Gen 4,Ada,"
              "ada@acme.example,acme,,2026-01-01,2027-12-31\n"
              "TWIN0002,5d7e0c1d-5b2f-4c6e-8a9d-0000000000b2,ThinkPad T14 Gen 4,Bob,"
              "bob@acme.example,acme,,2026-01-01,2027-12-31\n");
    RunResult imp = benchd_->benchctl({"registry", "import", dir_.file("registry.csv")});
    ASSERT_EQ(imp.exitCode, 0) << imp.out << imp.err;
  }

  // Runs the real bench-agent as `d` with the TPM at `tcti`; returns its JSON outcome.
  json runAgent(const FleetDevice& d, const std::string& tcti, const std::string& eventLog) {
    const std::string root = dir_.file(d.name + "-root");
    EXPECT_TRUE(writeFixtureTree(d, root).ok());
    SpawnOptions so;
    so.args = {binDir() + "/bench-agent",
               "--appliance",
               benchd_->appliance(),
               "--pin",
               benchd_->pinFile(),
               "--root",
               root,
               "--tcti",
               tcti,
               "--json",
               "--timeout-ms",
               "30000"};
    if (!eventLog.empty()) {
      so.args.emplace_back("--event-log");
      so.args.push_back(eventLog);
    }
    RunResult r = run(so);
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j.is_object() ? j : json{{"err", r.err}};
  }

  json show(const std::string& id) {
    json j = benchd_->benchctlJson({"device", "show", id});
    return j.contains("device") ? j["device"] : j;
  }

  TempDir dir_;
  std::unique_ptr<ManufacturerCa> trusted_;
  std::unique_ptr<ManufacturerCa> untrusted_;
  std::unique_ptr<Benchd> benchd_;
};

TEST_F(TwinTpmTest, ACopiedTpmClaimingAnotherSerialIsQuarantinedAndTheFirstDeviceKeepsItsRecord) {
  // Device A: a genuine TPM, attested.
  const FleetDevice a = device("a", "TWIN0001", "5d7e0c1d-5b2f-4c6e-8a9d-0000000000a1");
  auto boot = simBootEvents(a);
  ASSERT_TRUE(boot.ok()) << boot.error().message;
  const std::string eventLog = dir_.file("binary_bios_measurements");
  ASSERT_TRUE(
      writeFileAtomic(eventLog, std::string(boot->eventLog.begin(), boot->eventLog.end()), 0644)
          .ok());
  const std::string stateA = dir_.file("tpm-a");
  ASSERT_TRUE(makeDirs(stateA, 0700).ok());
  SimTpmSpec spec;
  spec.extends = boot->extends;
  auto tpmA = provisionSimTpm(stateA, spec, *trusted_, *untrusted_);
  ASSERT_TRUE(tpmA.ok()) << tpmA.error().message;
  json outA = runAgent(a, tpmA->process->tcti(), eventLog);
  ASSERT_EQ(outA.value("state", ""), "attested") << outA.dump(2);
  const std::string idA = outA.value("device_id", "");
  const json recordA = show(idA);
  ASSERT_EQ(recordA.value("state", ""), "attested") << recordA.dump(2);
  const std::string ekA = recordA.value("bound_ek_sha256", "");
  ASSERT_EQ(ekA.size(), 64u) << recordA.dump(2);

  // The attacker copies the TPM's state, starts it elsewhere and replays the measured boot.
  tpmA->process->stop();
  const std::string stateB = dir_.file("tpm-b");
  fs::copy(stateA, stateB, fs::copy_options::recursive);
  fs::remove(stateB + "/swtpm.log");
  SwtpmOptions so;
  so.stateDir = stateB;
  auto twin = SwtpmProcess::start(so);
  ASSERT_TRUE(twin.ok()) << twin.error().message;
  {
    auto tpm = TpmDevice::open((*twin)->tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.error().message;
    for (const PcrExtend& e : boot->extends) ASSERT_TRUE((*tpm)->extendPcr(e).ok());
  }

  // ...and the real bench-agent claims device B, registered without an EK, with the twin.
  const FleetDevice b = device("b", "TWIN0002", "5d7e0c1d-5b2f-4c6e-8a9d-0000000000b2");
  json outB = runAgent(b, (*twin)->tcti(), eventLog);
  EXPECT_EQ(outB.value("state", ""), "quarantined") << outB.dump(2);
  EXPECT_EQ(outB.value("code", ""), "PB-1023") << outB.dump(2);
  const json recordB = show(outB.value("device_id", ""));
  EXPECT_EQ(recordB.value("state", ""), "quarantined") << recordB.dump(2);
  EXPECT_EQ(recordB.value("reason_code", ""), "PB-1023") << recordB.dump(2);
  EXPECT_EQ(recordB.value("bound_ek_sha256", ""), "") << recordB.dump(2);
  // A's record is exactly as it was.
  EXPECT_EQ(show(idA), recordA);
  // The audit record names the device the EK belongs to, and the chain verifies.
  const std::string audit = benchd_->benchctlJson({"audit", "tail", "-n", "50"}).dump();
  EXPECT_NE(audit.find("\"ek_belongs_to\":\"" + idA + "\""), std::string::npos) << audit;
  EXPECT_EQ(benchd_->benchctl({"audit", "verify"}).exitCode, 0);

  // A second agent presenting A's serial and UUID without its TPM: quarantined for
  // re-enrollment (A was enrolled when it was attested), on its session only.
  json claim =
      runAgent(device("a", "TWIN0001", "5d7e0c1d-5b2f-4c6e-8a9d-0000000000a1"), kNoTpmTcti, "");
  EXPECT_EQ(claim.value("state", ""), "quarantined") << claim.dump(2);
  EXPECT_EQ(claim.value("code", ""), "PB-1020") << claim.dump(2);
  EXPECT_EQ(show(idA), recordA);
  // Even once an admin approves the re-enrollment, the claim cannot prove A's TPM: its failure
  // stays on its session and A stays attested.
  RunResult approve = benchd_->benchctl({"approve", idA, "--reason", "back from repair"});
  ASSERT_EQ(approve.exitCode, 0) << approve.out << approve.err;
  json again =
      runAgent(device("a", "TWIN0001", "5d7e0c1d-5b2f-4c6e-8a9d-0000000000a1"), kNoTpmTcti, "");
  EXPECT_EQ(again.value("state", ""), "not_attestable") << again.dump(2);
  const json after = show(idA);
  EXPECT_EQ(after.value("state", ""), "attested") << after.dump(2);
  EXPECT_EQ(after.value("bound_ek_sha256", ""), ekA);
  EXPECT_EQ(after.value("last_session_id", ""), recordA.value("last_session_id", ""));
}

}  // namespace
}  // namespace pb::test
