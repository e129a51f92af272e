// SPDX-License-Identifier: Apache-2.0
#include "store/transition_table.hpp"

#include <array>
#include <vector>

namespace pb {

namespace {

using S = DeviceState;

// Written out edge by edge (not computed) so a review reads the machine, and a test can walk it.
const std::vector<TransitionEdge> kEdges = {
    // discovered: admission's verdicts, or any later stage when admission is the last step
    {S::Discovered, S::Identified},
    {S::Discovered, S::Checked},
    {S::Discovered, S::Attested},
    {S::Discovered, S::Sealed},
    {S::Discovered, S::HandedOff},
    {S::Discovered, S::Ready},
    {S::Discovered, S::Blocked},
    {S::Discovered, S::Quarantined},
    {S::Discovered, S::Failed},
    {S::Discovered, S::NotAttestable},
    // identified
    {S::Identified, S::Checked},
    {S::Identified, S::Attested},
    {S::Identified, S::Sealed},
    {S::Identified, S::HandedOff},
    {S::Identified, S::Ready},
    {S::Identified, S::Blocked},
    {S::Identified, S::Quarantined},
    {S::Identified, S::Failed},
    {S::Identified, S::NotAttestable},
    // checked
    {S::Checked, S::Attested},
    {S::Checked, S::Sealed},
    {S::Checked, S::HandedOff},
    {S::Checked, S::Ready},
    {S::Checked, S::Blocked},
    {S::Checked, S::Quarantined},
    {S::Checked, S::Failed},
    {S::Checked, S::NotAttestable},
    // attested
    {S::Attested, S::Sealed},
    {S::Attested, S::HandedOff},
    {S::Attested, S::Ready},
    {S::Attested, S::Blocked},
    {S::Attested, S::Quarantined},
    {S::Attested, S::Failed},
    {S::Attested, S::NotAttestable},
    // sealed
    {S::Sealed, S::HandedOff},
    {S::Sealed, S::Ready},
    {S::Sealed, S::Blocked},
    {S::Sealed, S::Quarantined},
    {S::Sealed, S::Failed},
    {S::Sealed, S::NotAttestable},
    // handed_off
    {S::HandedOff, S::Ready},
    {S::HandedOff, S::Blocked},
    {S::HandedOff, S::Quarantined},
    {S::HandedOff, S::Failed},
    {S::HandedOff, S::NotAttestable},
    // quarantined (waiting for approval, session still open)
    {S::Quarantined, S::Identified},
    {S::Quarantined, S::Checked},
    {S::Quarantined, S::Attested},
    {S::Quarantined, S::Sealed},
    {S::Quarantined, S::HandedOff},
    {S::Quarantined, S::Ready},
    {S::Quarantined, S::Blocked},
    {S::Quarantined, S::Failed},
    {S::Quarantined, S::NotAttestable},
    // ready, blocked, failed, not_attestable: terminal
};

using Matrix = std::array<std::array<bool, kDeviceStateCount>, kDeviceStateCount>;

Matrix buildMatrix() {
  Matrix m{};
  for (const TransitionEdge& e : kEdges) {
    m[static_cast<std::size_t>(e.from)][static_cast<std::size_t>(e.to)] = true;
  }
  return m;
}

}  // namespace

const std::vector<TransitionEdge>& allowedTransitions() {
  return kEdges;
}

bool transitionAllowed(DeviceState from, DeviceState to) {
  static const Matrix matrix = buildMatrix();
  const auto f = static_cast<std::size_t>(from);
  const auto t = static_cast<std::size_t>(to);
  return f < kDeviceStateCount && t < kDeviceStateCount && matrix[f][t];
}

}  // namespace pb
