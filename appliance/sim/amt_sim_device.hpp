// SPDX-License-Identifier: Apache-2.0
// A simulated device's firmware side: its AMT firmware simulator (AMTHI over a Unix socket the
// device's bench-agent reaches with --amt-socket) and the firmware facts in its fixture tree.
#pragma once

#include <memory>
#include <string>

#include "amt/amt_sim_server.hpp"
#include "core/result.hpp"
#include "sim/fleet.hpp"

namespace pb {

// Starts the device's AMT simulator on `socketPath`; it serves until the returned server is
// destroyed. Ready (accepting) when this returns.
Result<std::unique_ptr<AmtSimServer>> startAmtSimDevice(const FleetDevice& d,
                                                        const std::string& socketPath);

// Writes the firmware facts of `d` under root: sys/class/dmi/id/bios_*, sys/class/mei/mei0/fw_ver
// (from the AMT simulator's version unless the fleet names one), efivarfs SecureBoot/SetupMode
// (unless legacy boot), sys/class/tpm/tpm0/tpm_version_major (unless tpm: none). Shapes as in
// tests/fixtures/firmware/NOTE.md.
Status writeFirmwareTree(const FleetDevice& d, const std::string& root);

}  // namespace pb
