// SPDX-License-Identifier: Apache-2.0
// The device session states. The happy path is
//   discovered -> identified -> checked -> attested -> sealed -> handed_off -> ready
// and any stage may instead end in one of the terminal or waiting states
//   blocked(code), quarantined(code, needs approval), failed(code, retryable?),
//   not_attestable(code).
// The string forms are a stable public surface (database, JSON, benchctl --state).
#pragma once

#include <optional>
#include <string_view>

namespace pb {

enum class DeviceState {
  Discovered,
  Identified,
  Checked,
  Attested,
  Sealed,
  HandedOff,
  Ready,
  Blocked,
  Quarantined,
  Failed,
  NotAttestable,
};

std::string_view toString(DeviceState s);
std::optional<DeviceState> deviceStateFromString(std::string_view s);

}  // namespace pb
