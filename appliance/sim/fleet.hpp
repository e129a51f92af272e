// SPDX-License-Identifier: Apache-2.0
// A simulated fleet: the devices provbench-sim puts on the bench, each with the identity facts
// its fixture /sys tree will carry and, optionally, the verdict the run is expected to give.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "amt/amt_sim_config.hpp"
#include "core/result.hpp"
#include "protocol/identity_facts.hpp"

namespace pb {

// The firmware facts the device's fixture tree carries (sysfs, efivarfs).
struct FleetFirmware {
  std::string biosVendor = "Acme Firmware";
  std::string biosVersion = "1.0.0";
  std::string meFirmwareVersion;  // "" = from the AMT simulator's AMT version and build number
  bool secureBoot = true;
  bool setupMode = false;
  bool efi = true;          // false = legacy (CSM) boot: no /sys/firmware/efi
  std::string tpm = "2.0";  // "2.0" | "1.2" | "none"
};

struct FleetDevice {
  std::string name;
  std::string source;  // local address the agent connects from (identifies the slot)
  IdentityFacts identity;
  // Fault switch ("" = a well-behaved device running the real bench-agent). See kFleetFaults.
  std::string fault;
  std::string expectState;  // "" = no expectation
  std::string expectCode;
  // The device's AMT firmware simulator (`amt:` block over the factory default). The UUID
  // defaults to the SMBIOS UUID, as on real hardware.
  AmtSimConfig amt = defaultAmtSimConfig();
  FleetFirmware firmware;
  int line = 0;
};

// The misbehaviours provbench-sim can put on the bench. `wrong_pin` runs the real bench-agent with
// a pin that does not match the appliance; the others are protocol faults played by a raw client.
inline constexpr std::string_view kFleetFaults[] = {"wrong_pin",           "silent",
                                                    "slow_hello",          "malformed_hello",
                                                    "unsupported_version", "oversize_frame"};

struct Fleet {
  std::vector<FleetDevice> devices;
};

// Strict: unknown keys, wrong types and duplicate names are errors with file:line:column.
Result<Fleet> parseFleet(std::string_view text, const std::string& fileName);
Result<Fleet> loadFleet(const std::string& path);

}  // namespace pb
