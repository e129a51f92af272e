// SPDX-License-Identifier: Apache-2.0
// Collects what the agent reports about a device's firmware and AMT: firmware facts from sysfs /
// efivarfs under `root`, AMT facts through the AMTHI client over whichever AmtTransport main()
// chose (MEI on a device, the simulator's Unix socket in provbench-sim). Every AMT access outcome
// becomes AmtFacts.access + accessDetail; nothing here throws or aborts on a device's answers.
#pragma once

#include <chrono>
#include <string>

#include "core/result.hpp"
#include "facts/device_facts.hpp"
#include "mei/amt_transport.hpp"

namespace pb {

// identity (when readable), firmware and, if `amt` is not null, amt. A null transport leaves
// `amt` unset (the agent was told not to look), which checks report as missing data.
DeviceFacts collectFacts(const std::string& root, AmtTransport* amt,
                         std::chrono::milliseconds amtTimeout = std::chrono::milliseconds(3000));

// Runs every read-only AMTHI command once (GetCodeVersions first: its outcome says whether the
// interface is usable at all). Access is Ok only if every command succeeded; otherwise it is the
// first failure's kind, accessDetail lists each failure, failedCommands names them, and the
// fields of the commands that did succeed are still filled.
AmtFacts collectAmtFacts(AmtTransport& transport,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// mei.no_device -> NoMeiDevice, mei.no_amt_client -> NoAmtClient, mei.busy -> Busy,
// mei.disabled / amthi.empty -> Disabled, anything else -> Error.
AmtAccess amtAccessFor(const Error& error);
const char* amtAccessName(AmtAccess access);

}  // namespace pb
