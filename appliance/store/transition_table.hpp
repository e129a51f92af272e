// SPDX-License-Identifier: Apache-2.0
// The device state machine as data: which step a session may take from the state it is in. The
// store checks every SessionLedger::applyTransition against this table inside its transaction, so
// an illegal `from -> to` is an error (PB-9504) and never a row; the table, not the code paths
// that produce transitions, is the definition.
//
//   in progress  discovered -> identified -> checked -> attested -> sealed -> handed_off -> ready
//                (forward only; a step may skip states, since a bench runs only the stages its
//                policy configures) and from each of them to an outcome:
//   outcomes     blocked, quarantined, failed, not_attestable
//   waiting      quarantined waits for an admin's approval: while its session is open the
//                question may be asked again (identified onward) or the session may end
//                (blocked, failed, not_attestable)
//   terminal     ready, blocked, failed, not_attestable: no step leaves them
// No state steps to itself, and nothing returns to discovered (only createSession starts there).
#pragma once

#include <cstddef>
#include <vector>

#include "core/device_state.hpp"

namespace pb {

inline constexpr std::size_t kDeviceStateCount = 11;  // DeviceState::NotAttestable + 1

struct TransitionEdge {
  DeviceState from;
  DeviceState to;
};

// Every allowed edge; anything not listed is refused.
const std::vector<TransitionEdge>& allowedTransitions();

// Whether a session in `from` may record a step to `to`.
bool transitionAllowed(DeviceState from, DeviceState to);

}  // namespace pb
