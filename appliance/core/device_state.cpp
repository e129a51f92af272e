// SPDX-License-Identifier: Apache-2.0
#include "core/device_state.hpp"

#include <array>
#include <utility>

namespace pb {

namespace {
constexpr std::array<std::pair<DeviceState, std::string_view>, 11> kNames{{
    {DeviceState::Discovered, "discovered"},
    {DeviceState::Identified, "identified"},
    {DeviceState::Checked, "checked"},
    {DeviceState::Attested, "attested"},
    {DeviceState::Sealed, "sealed"},
    {DeviceState::HandedOff, "handed_off"},
    {DeviceState::Ready, "ready"},
    {DeviceState::Blocked, "blocked"},
    {DeviceState::Quarantined, "quarantined"},
    {DeviceState::Failed, "failed"},
    {DeviceState::NotAttestable, "not_attestable"},
}};
}  // namespace

std::string_view toString(DeviceState s) {
  for (const auto& [state, name] : kNames) {
    if (state == s) return name;
  }
  return "unknown";
}

std::optional<DeviceState> deviceStateFromString(std::string_view s) {
  for (const auto& [state, name] : kNames) {
    if (name == s) return state;
  }
  return std::nullopt;
}

}  // namespace pb
