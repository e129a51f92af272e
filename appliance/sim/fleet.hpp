// SPDX-License-Identifier: Apache-2.0
// A simulated fleet: the devices provbench-sim puts on the bench, each with the identity facts
// its fixture /sys tree will carry and, optionally, the verdict the run is expected to give.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "protocol/identity_facts.hpp"

namespace pb {

struct FleetDevice {
  std::string name;
  std::string source;  // local address the agent connects from (identifies the slot)
  IdentityFacts identity;
  // Fault switch ("" = a well-behaved device running the real bench-agent). See kFleetFaults.
  std::string fault;
  std::string expectState;  // "" = no expectation
  std::string expectCode;
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
