// SPDX-License-Identifier: Apache-2.0
// Kiosk update latency and page weight.
//
// A real benchd with the kiosk enabled, a headless Chromium showing the kiosk page, and
// provbench-sim putting N devices (real bench-agent processes, default 64) on the bench at once,
// several rounds. For every tile event the page records when it applied it to the DOM
// (Date.now()); the event carries when benchd saw the committed state change (changed_at_ms).
// Latency = applied - changed, same machine, same clock. The baseline is the same measurement
// with one device on the bench, taken first in the same run; the ratio shows what a full bench
// costs. Page weight is the sum of the embedded assets; the snapshot size for the full bench is
// printed too.
//
// Usage: kiosk_latency_bench [--devices N] [--rounds R]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cdp_client.hpp"
#include "harness.hpp"
#include "kiosk/kiosk_assets.hpp"

namespace {

using pb::test::Benchd;
using pb::test::BenchdOptions;
using pb::test::Browser;
using pb::test::RunResult;
using pb::test::SpawnOptions;
using pb::test::TempDir;

std::string source(int i) {
  return "127.0.3." + std::to_string(i + 1);
}
std::string serial(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "KLB%05d", i);
  return b;
}
std::string uuid(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "6b1f2c3d-4e5f-4a6b-8c7d-%012d", i + 1);
  return b;
}

struct Fleet {
  std::string registryCsv;
  std::string fleetYaml;
  std::string slotsYaml;
};

Fleet makeFleet(int n) {
  Fleet f;
  f.registryCsv =
      "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n";
  f.fleetYaml = "devices:\n";
  f.slotsYaml = "slots:\n";
  for (int i = 0; i < n; ++i) {
    f.registryCsv += serial(i) + "," + uuid(i) + ",Bench Laptop,Test Owner " + std::to_string(i) +
                     ",owner" + std::to_string(i) + "@example.com,default,,2020-01-01,2099-12-31\n";
    char mac[32];
    std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
    f.fleetYaml += "  - name: dev" + std::to_string(i) + "\n    source: " + source(i) +
                   "\n    serial: " + serial(i) + "\n    smbios_uuid: " + uuid(i) +
                   "\n    model: Bench Laptop\n    vendor: LENOVO\n    macs: [\"" + mac + "\"]\n";
    f.slotsYaml += "  - {id: s" + std::to_string(i + 1) + ", label: \"Slot " +
                   std::to_string(i + 1) + "\", source: " + source(i) + "}\n";
  }
  return f;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

struct Sample {
  std::vector<double> latencies;
};

// Puts the first `n` devices of the fleet on the bench `rounds` times and returns the latencies
// of the tile events the page applied meanwhile.
Sample measure(Benchd& benchd, Browser& browser, const std::string& fleetFile,
               const std::string& workdir, int n, int rounds) {
  const int before = browser.eval("window.kioskProbe.applied.length").get<int>();
  for (int r = 0; r < rounds; ++r) {
    SpawnOptions so;
    so.args = {pb::test::binDir() + "/provbench-sim",
               "--fleet",
               fleetFile,
               "--appliance",
               benchd.appliance(),
               "--pin",
               benchd.pinFile(),
               "--workdir",
               workdir + "-" + std::to_string(r),
               "--json"};
    RunResult res = pb::test::run(so);
    if (res.exitCode != 0 && res.exitCode != 1) {
      std::cerr << "provbench-sim failed (" << res.exitCode << "):\n" << res.err << "\n";
      std::exit(1);
    }
  }
  // Every agent has its final answer once sim returns; the page has everything once each tile
  // shows a state past `discovered`.
  if (!browser.waitFor(
          "document.querySelectorAll('.tile').length >= " + std::to_string(n) +
          " && [...document.querySelectorAll('.tile')].every((t) => "
          "!t.querySelector('.stage.current') || "
          "t.querySelector('.stage.current').textContent.indexOf('Discovered') < 0)")) {
    std::cerr << "the page did not show all " << n << " devices\n";
    std::exit(1);
  }
  auto applied = browser.eval("window.kioskProbe.applied.slice(" + std::to_string(before) +
                              ").map((a) => a.applied_ms - a.changed_at_ms)");
  Sample s;
  for (const auto& v : applied) s.latencies.push_back(v.get<double>());
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 64;
  int rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--devices") devices = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--rounds") rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  TempDir dir;
  Fleet full = makeFleet(devices);
  Fleet one = makeFleet(1);
  pb::test::writeFile(dir.file("registry.csv"), full.registryCsv);
  pb::test::writeFile(dir.file("fleet-full.yaml"), full.fleetYaml);
  pb::test::writeFile(dir.file("fleet-one.yaml"), one.fleetYaml);

  BenchdOptions o;
  o.limitsYaml = "  io_timeout_ms: 10000\n  max_sessions_per_source: 4\n";
  o.extraConfig = "kiosk:\n  enabled: true\n  port: 0\n" + full.slotsYaml;
  Benchd benchd(dir.path(), o);
  if (!benchd.start()) {
    std::cerr << "benchd did not start:\n" << benchd.process()->err() << "\n";
    return 1;
  }
  RunResult imp = benchd.benchctl({"registry", "import", dir.file("registry.csv")});
  if (imp.exitCode != 0) {
    std::cerr << "registry import failed: " << imp.out << imp.err << "\n";
    return 1;
  }
  const int kioskPort = benchd.ready().value("kiosk_port", 0);
  std::filesystem::create_directories(dir.file("chromium"));
  Browser browser(dir.file("chromium"));
  browser.page("Network.enable");
  browser.page("Page.navigate", {{"url", "http://127.0.0.1:" + std::to_string(kioskPort) + "/"}});
  if (!browser.waitFor("window.kioskProbe && window.kioskProbe.snapshots >= 1")) {
    std::cerr << "the kiosk page did not load\n";
    return 1;
  }

  Sample base =
      measure(benchd, browser, dir.file("fleet-one.yaml"), dir.file("sim-one"), 1, rounds * 4);
  Sample load =
      measure(benchd, browser, dir.file("fleet-full.yaml"), dir.file("sim-full"), devices, rounds);

  // The snapshot a browser gets for the full bench: reload and take the first frame.
  browser.eval("location.reload(), true");
  browser.waitFor(
      "window.kioskProbe && window.kioskProbe.snapshots >= 1 && "
      "document.querySelectorAll('.tile').length >= " +
      std::to_string(devices));
  // The frame may be reported after the DOM shows it: wait for the event itself.
  auto isFullSnapshot = [devices](const nlohmann::json& e) {
    if (e.value("method", "") != "Network.webSocketFrameReceived") return false;
    const std::string payload = e["params"]["response"].value("payloadData", "");
    if (payload.find("\"type\":\"snapshot\"") == std::string::npos) return false;
    int keys = 0;
    for (std::size_t at = payload.find("\"key\":"); at != std::string::npos;
         at = payload.find("\"key\":", at + 1)) {
      ++keys;
    }
    return keys >= devices;
  };
  std::size_t snapshotBytes = 0;
  if (auto e = browser.cdp().waitEvent(isFullSnapshot, std::chrono::seconds(20))) {
    snapshotBytes = (*e)["params"]["response"].value("payloadData", "").size();
  }

  const double p50 = percentile(load.latencies, 0.50);
  const double p95 = percentile(load.latencies, 0.95);
  const double bp50 = percentile(base.latencies, 0.50);
  const double bp95 = percentile(base.latencies, 0.95);
  std::printf("kiosk update latency, state change in benchd -> DOM updated in Chromium\n");
  std::printf("  baseline (1 device, %zu events):   p50 %.0f ms  p95 %.0f ms  max %.0f ms\n",
              base.latencies.size(), bp50, bp95, percentile(base.latencies, 1.0));
  std::printf(
      "  full bench (%d devices x %d rounds, %zu events): p50 %.0f ms  p95 %.0f ms  max "
      "%.0f ms\n",
      devices, rounds, load.latencies.size(), p50, p95, percentile(load.latencies, 1.0));
  std::printf("  ratio to baseline: p50 x%.2f  p95 x%.2f   (target p95 <= 100 ms: %s)\n",
              bp50 > 0 ? p50 / bp50 : 0.0, bp95 > 0 ? p95 / bp95 : 0.0,
              p95 <= 100 ? "met" : "MISSED");
  std::printf("kiosk page weight: %zu bytes (", pb::kioskPageWeight());
  bool first = true;
  for (const auto& a : pb::kioskAssets()) {
    std::printf("%s%.*s %zu", first ? "" : ", ", static_cast<int>(a.path.size()), a.path.data(),
                a.body.size());
    first = false;
  }
  std::printf("); snapshot for %d devices: %zu bytes\n", devices, snapshotBytes);
  benchd.stop();
  return p95 <= 100 ? 0 : 3;
}
