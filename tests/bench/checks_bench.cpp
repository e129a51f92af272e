// SPDX-License-Identifier: Apache-2.0
// Policy check evaluation cost per device (issue 4's figure), against a baseline measured in the
// same run: parsing the same device's facts JSON (what the checks stage does just before it
// evaluates). Prints both and the ratio evaluate / parse.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/clock.hpp"
#include "policy/evaluate.hpp"
#include "protocol/device_facts_json.hpp"

namespace {

constexpr const char* kRoot = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pb::Policy benchPolicy() {
  pb::Policy p = pb::defaultPolicy();
  p.amt.allowedThumbprints = {{"Corp Root CA", "sha256", kRoot}};
  p.amt.dnsSuffix = "prov.corp.example";
  p.amt.minimumMeFirmware = {{16, "16.1.30.2307"}, {18, "18.0.5.2141"}};
  return p;
}

// A realistic AMT device: the 24 factory SHA-256 entries of a recent hello (reference §9.3, here
// with synthetic hashes of the right size) plus the internal root.
pb::DeviceFacts benchFacts() {
  pb::DeviceFacts f;
  f.identity = {"PF3ABCD",
                "4c4c4544-0042-3510-8052-b4c04f4b4c31",
                "ThinkPad T14",
                "LENOVO",
                "",
                {"8c:16:45:01:02:03"}};
  pb::FirmwareFacts fw;
  fw.meFirmwareVersion = "0:16.1.30.2307";
  fw.secureBoot = true;
  fw.setupMode = false;
  fw.tpmPresent = true;
  fw.tpmVersion = "2";
  f.firmware = fw;
  pb::AmtFacts a;
  a.access = pb::AmtAccess::Ok;
  a.amtVersion = "16.1.30";
  a.provisioningState = "pre";
  a.controlMode = "none";
  a.dnsSuffix = "prov.corp.example";
  for (int i = 0; i < 24; ++i) {
    char hex[65];
    std::snprintf(hex, sizeof hex, "%064x", i + 1);
    a.hashes.push_back({"Factory CA " + std::to_string(i), "sha256", hex, true, false});
  }
  a.hashes.push_back({"Corp Root CA", "sha256", kRoot, false, true});
  a.remoteConfigurationEnabled = false;
  a.configServerFqdn = "amtprov.prov.corp.example";
  a.configServerPort = 9972;
  a.solEnabled = false;
  a.iderEnabled = false;
  a.kvmEnabled = false;
  f.amt = a;
  return f;
}

void BM_ParseFactsJson(benchmark::State& state) {
  const std::string text = pb::toJson(benchFacts()).dump();
  for (auto _ : state) {
    auto j = nlohmann::json::parse(text);
    auto facts = pb::deviceFactsFromJson(j);
    benchmark::DoNotOptimize(facts);
  }
  state.SetLabel(std::to_string(text.size()) + " B of JSON");
}
BENCHMARK(BM_ParseFactsJson);

void BM_EvaluateChecks(benchmark::State& state) {
  const pb::Policy policy = benchPolicy();
  const pb::DeviceFacts facts = benchFacts();
  const pb::FixedClock clock(1'800'000'000);
  for (auto _ : state) {
    auto results = pb::evaluate(policy, facts, clock);
    benchmark::DoNotOptimize(results);
  }
}
BENCHMARK(BM_EvaluateChecks);

// Keeps each benchmark's CPU time per iteration (the bench machine is shared: wall time is noise)
// so main can print the ratio.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) nsPerIteration[r.benchmark_name()] = r.GetAdjustedCPUTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> nsPerIteration;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double parse = reporter.nsPerIteration["BM_ParseFactsJson"];
  const double eval = reporter.nsPerIteration["BM_EvaluateChecks"];
  if (parse > 0 && eval > 0) {
    std::printf(
        "\ncheck evaluation per device: %.2f us; baseline (parse the facts JSON): %.2f us; "
        "ratio evaluate/parse = %.2f\n",
        eval / 1000.0, parse / 1000.0, eval / parse);
  }
  benchmark::Shutdown();
  return 0;
}
