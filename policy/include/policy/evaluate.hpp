// SPDX-License-Identifier: Apache-2.0
// The pure policy evaluator: (Policy, DeviceFacts) -> one CheckResult per check ID, always the
// same IDs in the same order. No I/O; the appliance's checks stage, `benchctl check` and the
// benchmarks all call this.
//
// Outcomes: a check passes only when the facts prove it; an unknown fact is missing_data and a
// policy that lacks a setting the check needs is missing_data with reason::kPolicyIncomplete.
//
// AMT absence: when the device has no AMT (no MEI device, no AMTHI client, AMT disabled) and the
// policy does not require it, every amt.* check passes with "AMT not present", so the result list
// has the same shape for every device. When the policy requires AMT, amt.presence fails and the
// other amt.* checks report missing_data. When the agent could not tell (MEI busy, transport
// error, no AMT group at all) every amt.* check is missing_data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "facts/device_facts.hpp"
#include "policy/check_result.hpp"
#include "policy/policy.hpp"

namespace pb {

namespace check_id {
inline constexpr std::string_view kAmtPresence = "amt.presence";
inline constexpr std::string_view kAmtProvisioningState = "amt.provisioning_state";
inline constexpr std::string_view kAmtControlMode = "amt.control_mode";
inline constexpr std::string_view kAmtThumbprints = "amt.thumbprints";
inline constexpr std::string_view kAmtNoSha1 = "amt.no_sha1";
inline constexpr std::string_view kAmtDnsSuffix = "amt.dns_suffix";
inline constexpr std::string_view kAmtRemoteConfiguration = "amt.remote_configuration";
inline constexpr std::string_view kAmtProvisioningServer = "amt.provisioning_server";
inline constexpr std::string_view kAmtMeFirmware = "amt.me_firmware";
inline constexpr std::string_view kAmtRedirection = "amt.redirection";
inline constexpr std::string_view kFirmwareSecureBoot = "firmware.secure_boot";
inline constexpr std::string_view kTpmPresent = "tpm.present";
}  // namespace check_id

// Every check ID evaluate() reports, in its order. Each has a doc at policy/checks/<id>.md.
std::span<const std::string_view> allCheckIds();

// `clock` is part of the contract for checks that compare dates (certificate and firmware age);
// none of today's checks reads it, so results depend on policy and facts only.
CheckResults evaluate(const Policy& policy, const DeviceFacts& facts, const Clock& clock);

// Dotted numeric version ("16.1.30.2307", also "0:16.1.30.2307" as sysfs fw_ver writes it) ->
// components; empty on anything else. Exposed for tests.
std::vector<std::uint32_t> parseDottedVersion(std::string_view text);

}  // namespace pb
