// SPDX-License-Identifier: Apache-2.0
// provbench-sim: puts a simulated fleet on a real bench. Composition root only.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include <getopt.h>
#include <unistd.h>

#include "core/parse_number.hpp"
#include "sim/boot_events.hpp"
#include "sim/fleet.hpp"
#include "sim/sim_runner.hpp"

namespace {

constexpr const char* kUsage =
    R"(Usage: provbench-sim --fleet FILE --appliance HOST:PORT --pin FILE [options]

Runs one real bench-agent process per device of the fleet against a running benchd, all at once,
each reading its identity from its own fixture /sys tree, and prints a summary table.

Options:
  --fleet FILE           fleet YAML (devices with identity facts and expected verdicts)
  --appliance HOST:PORT  benchd's agent listener
  --pin FILE             benchd's certificate pin (<state_dir>/keys/agent.pin)
  --agent PATH           bench-agent binary (default: next to provbench-sim)
  --workdir DIR          where fixture trees and agent logs go (default: a new temp dir)
  --only NAME            run only this device (repeatable)
  --timeout-ms N         agent I/O timeout (default 30000)
  --amt-hello HOST:PORT  AMT simulators with remote configuration on and no hello.target of
                         their own send their hello packets (UDP) here
  --tpm-roots DIR        where the simulated TPM manufacturer's root and intermediate PEMs go
                         (point the policy's tpm.manufacturer_roots here; default WORKDIR/tpm-roots)
  --golden-pcrs          print the PCR values of a healthy simulated device as policy YAML
                         (tpm.golden_pcrs) and exit
  --json                 print the results as JSON
  -h, --help             this text

Exit status: 0 when every device met its expectation, 1 otherwise, 2 usage error.
)";

}  // namespace

int main(int argc, char** argv) {
  pb::SimOptions opt;
  std::string fleetFile;
  std::set<std::string> only;
  bool json = false;
  bool printGolden = false;
  static const option kLong[] = {{"fleet", required_argument, nullptr, 'f'},
                                 {"appliance", required_argument, nullptr, 'a'},
                                 {"pin", required_argument, nullptr, 'p'},
                                 {"agent", required_argument, nullptr, 'g'},
                                 {"workdir", required_argument, nullptr, 'w'},
                                 {"only", required_argument, nullptr, 'o'},
                                 {"timeout-ms", required_argument, nullptr, 't'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"amt-hello", required_argument, nullptr, 'H'},
                                 {"tpm-roots", required_argument, nullptr, 'R'},
                                 {"golden-pcrs", no_argument, nullptr, 'G'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  while ((c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1) {
    switch (c) {
      case 'f':
        fleetFile = optarg;
        break;
      case 'a':
        opt.appliance = optarg;
        break;
      case 'p':
        opt.pinFile = optarg;
        break;
      case 'g':
        opt.agentPath = optarg;
        break;
      case 'w':
        opt.workDir = optarg;
        break;
      case 'o':
        only.insert(optarg);
        break;
      case 't': {
        auto ms = pb::parseIntegerOption<int>("--timeout-ms", optarg, 1, 3'600'000);
        if (!ms.ok()) {
          std::cerr << "provbench-sim: " << ms.error().message << "\n";
          return 2;
        }
        opt.timeoutMs = *ms;
        break;
      }
      case 'j':
        json = true;
        break;
      case 'H':
        opt.amtHelloTarget = optarg;
        break;
      case 'R':
        opt.tpmRootsDir = optarg;
        break;
      case 'G':
        printGolden = true;
        break;
      case 'h':
        std::cout << kUsage;
        return 0;
      default:
        std::cerr << kUsage;
        return 2;
    }
  }
  if (printGolden) {
    std::cout << "golden_pcrs:\n  - model: <the simulated model>\n    pcrs:\n";
    for (const auto& [pcr, value] : pb::simGoldenPcrs()) {
      std::cout << "      " << pcr << ": \"" << value << "\"\n";
    }
    return 0;
  }
  // Every simulated device boots the same measured UEFI boot, shaped by its tpm: switches.
  opt.bootEvents = pb::simBootEvents;
  if (optind != argc || fleetFile.empty() || opt.appliance.empty() || opt.pinFile.empty() ||
      opt.timeoutMs <= 0) {
    std::cerr << "provbench-sim: --fleet, --appliance and --pin are required\n\n" << kUsage;
    return 2;
  }
  if (opt.agentPath.empty()) {
    std::error_code ec;
    auto self = std::filesystem::canonical("/proc/self/exe", ec);
    opt.agentPath = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "bench-agent";
  }
  if (opt.workDir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "provbench-sim.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::cerr << "provbench-sim: cannot create a work directory\n";
      return 1;
    }
    opt.workDir = tmpl;
  }

  auto fleet = pb::loadFleet(fleetFile);
  if (!fleet.ok()) {
    std::cerr << "provbench-sim: invalid fleet:\n" << fleet.error().message << "\n";
    return 2;
  }
  if (!only.empty()) {
    std::erase_if(fleet->devices, [&](const pb::FleetDevice& d) { return !only.count(d.name); });
    if (fleet->devices.size() != only.size()) {
      std::cerr << "provbench-sim: --only names a device that is not in the fleet\n";
      return 2;
    }
  }
  if (!json) {
    std::cerr << "provbench-sim: starting " << fleet->devices.size() << " agents against "
              << opt.appliance << " (logs in " << opt.workDir << ")\n";
  }
  auto results = pb::runFleet(*fleet, opt);
  if (!results.ok()) {
    std::cerr << "provbench-sim: " << results.error().message << "\n";
    return 1;
  }
  bool allMet = true;
  for (const auto& r : *results) allMet = allMet && r.meetsExpectation();
  if (json) {
    std::cout << pb::summaryJson(*results).dump(2) << "\n";
  } else {
    std::cout << pb::renderSummary(*results);
  }
  return allMet ? 0 : 1;
}
