// SPDX-License-Identifier: Apache-2.0
// Runs one real bench-agent process per fleet device against a real benchd, concurrently, each
// reading identity facts from its own fixture /sys tree, and collects their verdicts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "sim/fleet.hpp"

namespace pb {

struct SimOptions {
  std::string agentPath;  // bench-agent binary
  std::string appliance;  // HOST:PORT
  std::string pinFile;
  std::string workDir;  // fixture trees and agent logs go here
  int timeoutMs = 30000;
  // Hello target (UDP HOST:PORT) for AMT simulators whose fleet entry names none.
  std::string amtHelloTarget;
};

struct SimResult {
  FleetDevice device;
  int exitCode = -1;
  std::string state;
  std::string code;
  std::string message;
  std::string remediation;
  std::string deviceId;
  [[nodiscard]] bool meetsExpectation() const;
};

// Writes <workDir>/<name>/root/sys/class/{dmi/id,net} for each device.
Status writeFixtureTree(const FleetDevice& d, const std::string& root);

Result<std::vector<SimResult>> runFleet(const Fleet& fleet, const SimOptions& options);

std::string renderSummary(const std::vector<SimResult>& results);
nlohmann::json summaryJson(const std::vector<SimResult>& results);

}  // namespace pb
