// SPDX-License-Identifier: Apache-2.0
// Runs one real bench-agent process per fleet device against a real benchd, concurrently, each
// reading identity facts from its own fixture /sys tree, and collects their verdicts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "sim/fleet.hpp"
#include "sim/swtpm_device.hpp"

namespace pb {

// A device's measured boot: the events extended into its TPM before the agent runs and the
// event log the agent will read (EventLogBuilder in appliance/attest produces both).
struct SimBootEvents {
  std::vector<PcrExtend> extends;
  Bytes eventLog;
};

// TCTI given to agents of devices without `tpm:` so they never reach a real TPM on the
// developer's machine: the agent reports readiness "absent".
inline constexpr const char* kNoTpmTcti = "device:/dev/provbench-sim-no-tpm";

struct SimOptions {
  std::string agentPath;  // bench-agent binary
  std::string appliance;  // HOST:PORT
  std::string pinFile;
  std::string workDir;  // fixture trees and agent logs go here
  int timeoutMs = 30000;
  // provbench-sim-agent, for devices with agent-side tpm switches ("" = next to agentPath).
  std::string simAgentPath;
  // Where the simulated manufacturer's root.pem and intermediate.pem go, for the policy's
  // tpm.manufacturer_roots ("" = <workDir>/tpm-roots). The untrusted CA is written nowhere.
  std::string tpmRootsDir;
  // Boot events per device; unset = no events and an empty log.
  std::function<Result<SimBootEvents>(const FleetDevice&)> bootEvents;
  // Called after a device's TPM is provisioned and before its agent starts (e.g. to register
  // the EK, or a different one for ek_swapped).
  std::function<Status(const FleetDevice&, const SimTpm&)> onTpmProvisioned;
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
  double tpmMs = 0;  // TPM time the agent reported
  Bytes ekPublic;    // TPM2B_PUBLIC of the simulated EK (empty without a provisioned TPM)
  [[nodiscard]] bool meetsExpectation() const;
};

// Writes <workDir>/<name>/root/sys/class/{dmi/id,net} for each device.
Status writeFixtureTree(const FleetDevice& d, const std::string& root);

Result<std::vector<SimResult>> runFleet(const Fleet& fleet, const SimOptions& options);

std::string renderSummary(const std::vector<SimResult>& results);
nlohmann::json summaryJson(const std::vector<SimResult>& results);

}  // namespace pb
