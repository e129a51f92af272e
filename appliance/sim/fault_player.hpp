// SPDX-License-Identifier: Apache-2.0
// Plays a misbehaving device against the appliance: the protocol faults of a fleet entry, acted
// out by a raw TLS client, so the real benchd's defences are what the simulation exercises.
#pragma once

#include <cstdint>
#include <string>

#include "sim/fleet.hpp"

namespace pb {

struct FaultOutcome {
  // "rejected" (the appliance answered with an error frame), "dropped" (it closed the
  // connection), or "not_rejected" / "not_dropped" when the appliance let the fault pass.
  std::string state;
  std::string code;  // the error frame's reason code, if any
  std::string message;
};

bool isProtocolFault(const std::string& fault);

FaultOutcome playFault(const FleetDevice& device, const std::string& host, std::uint16_t port,
                       const std::string& pinFile, int timeoutMs);

}  // namespace pb
