// SPDX-License-Identifier: Apache-2.0
// The measured boot of a simulated device: a typical UEFI boot from attest::EventLogBuilder, as
// the fleet entry's `tpm:` switches shape it. The same events are extended into the device's
// swtpm and written as its binary_bios_measurements, so the appliance replays a real log against
// a real quote.
#pragma once

#include <map>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "sim/fleet.hpp"
#include "sim/sim_runner.hpp"

namespace pb {

// secure_boot: off       -> the PCR 7 variables say Secure Boot is disabled
// golden_pcr: wrong      -> an extra firmware blob in PCR 0 (an unapproved option ROM)
// event_log: tampered    -> the log given to the agent carries an event never extended
Result<SimBootEvents> simBootEvents(const FleetDevice& device);

// PCR index -> lower-case hex SHA-256 of a healthy simulated device: what an admin would put in
// the policy's tpm.golden_pcrs for the simulated model (`provbench-sim --golden-pcrs`).
std::map<std::uint32_t, std::string> simGoldenPcrs();

}  // namespace pb
