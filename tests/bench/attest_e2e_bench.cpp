// SPDX-License-Identifier: Apache-2.0
// Figure 3 of the attestation issue: end to end per device on the simulated bench, the wall time
// of the attestation stage split into the TPM time the agent reports and the appliance's own time
// (parsing and verification, measured inside the stage, not waiting). Target: appliance time
// <= 10% of TPM time. Real benchd, real provbench-sim with a swtpm per device.
//
//   build/default/bin/attest_e2e_bench [devices=16]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "harness.hpp"

namespace {

using pb::test::Benchd;
using pb::test::BenchdOptions;
using pb::test::RunResult;
using pb::test::SpawnOptions;
using pb::test::TempDir;

std::string serial(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "E2E%05d", i + 1);
  return b;
}
std::string uuid(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "6a1e0c1d-5b2f-4c6e-8a9d-%012d", i + 1);
  return b;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::max(1, std::atoi(argv[1])) : 16;
  TempDir dir;
  const std::string roots = dir.file("tpm-roots");
  ::mkdir(roots.c_str(), 0755);

  std::ostringstream registry, fleet;
  registry << "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,"
              "window_until\n";
  fleet << "devices:\n";
  for (int i = 0; i < devices; ++i) {
    registry << serial(i) << "," << uuid(i)
             << ",Bench Model,Owner,o@acme.example,acme,,2026-01-01,2027-12-31\n";
    fleet << "  - name: d" << i << "\n    source: 127.0.5." << (i % 250) + 1
          << "\n    serial: " << serial(i) << "\n    smbios_uuid: " << uuid(i)
          << "\n    model: Bench Model\n    tpm: {ek: " << (i % 2 == 0 ? "ecc" : "rsa")
          << "}\n    expect: {state: attested}\n";
  }
  pb::test::writeFile(dir.file("registry.csv"), registry.str());
  pb::test::writeFile(dir.file("fleet.yaml"), fleet.str());

  BenchdOptions o;
  o.stagesYaml = "[attest]";
  o.limitsYaml = "  io_timeout_ms: 30000\n  handshake_timeout_ms: 10000\n";
  o.policyYaml =
      "name: e2e\ntenant: {id: acme, name: ACME}\ntpm:\n  manufacturer_roots_dir: " + roots +
      "\n  allowed_ak_algorithms: [ecc_nist_p256, rsa2048]\n";
  Benchd benchd(dir.path(), o);
  if (!benchd.start()) {
    std::cerr << "benchd did not start\n" << benchd.process()->err();
    return 1;
  }
  if (benchd.benchctl({"registry", "import", dir.file("registry.csv")}).exitCode != 0) return 1;

  SpawnOptions so;
  so.args = {pb::test::binDir() + "/provbench-sim",
             "--fleet",
             dir.file("fleet.yaml"),
             "--appliance",
             benchd.appliance(),
             "--pin",
             benchd.pinFile(),
             "--workdir",
             dir.file("sim"),
             "--tpm-roots",
             roots,
             "--json"};
  RunResult sim = pb::test::run(so);
  if (sim.exitCode != 0) {
    std::cerr << "not every device was attested:\n" << sim.out << sim.err;
    return 1;
  }

  nlohmann::json tail = benchd.benchctlJson({"audit", "tail", "-n", "1000"});
  std::vector<double> tpm, appliance, wall, share;
  auto visit = [&](const nlohmann::json& rec) {
    if (!rec.is_object() || rec.value("action", "").rfind("attest.", 0) != 0) return;
    const auto d = rec.value("details", nlohmann::json::object());
    if (!d.contains("appliance_ms") || !d.contains("tpm_ms")) return;
    tpm.push_back(d["tpm_ms"].get<double>());
    appliance.push_back(d["appliance_ms"].get<double>());
    wall.push_back(d["wall_ms"].get<double>());
    if (tpm.back() > 0) share.push_back(appliance.back() / tpm.back());
  };
  if (tail.is_array()) {
    for (const auto& r : tail) visit(r);
  } else {
    for (const auto& [k, v] : tail.items()) {
      if (v.is_array()) {
        for (const auto& r : v) visit(r);
      }
    }
  }
  if (tpm.empty()) {
    std::cerr << "no attestation records found\n" << tail.dump(2) << "\n";
    return 1;
  }
  std::printf("attestation stage per device, %zu devices (half ECC, half RSA EKs), swtpm\n",
              tpm.size());
  std::printf("  TPM time (agent)     p50 %8.2f ms  p95 %8.2f ms\n", percentile(tpm, 0.5),
              percentile(tpm, 0.95));
  std::printf("  appliance time       p50 %8.2f ms  p95 %8.2f ms\n", percentile(appliance, 0.5),
              percentile(appliance, 0.95));
  std::printf("  stage wall time      p50 %8.2f ms  p95 %8.2f ms\n", percentile(wall, 0.5),
              percentile(wall, 0.95));
  std::printf("  ratio appliance/TPM  p50 %8.3f     p95 %8.3f     (target <= 0.10)\n",
              percentile(share, 0.5), percentile(share, 0.95));
  return 0;
}
