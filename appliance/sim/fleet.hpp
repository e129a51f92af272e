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
  std::string expectState;  // "" = no expectation
  std::string expectCode;
  int line = 0;
};

struct Fleet {
  std::vector<FleetDevice> devices;
};

// Strict: unknown keys, wrong types and duplicate names are errors with file:line:column.
Result<Fleet> parseFleet(std::string_view text, const std::string& fileName);
Result<Fleet> loadFleet(const std::string& path);

}  // namespace pb
