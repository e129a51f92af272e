// SPDX-License-Identifier: Apache-2.0
// DeviceFacts <-> JSON: the `facts` message the agent sends (`{"type":"facts","facts":{…}}`) and
// the facts files `bench-agent --dump-facts` writes and `benchctl check --facts` reads.
//
// Wire names are snake_case (identity{serial, smbios_uuid, …}, firmware{…}, amt{…, hashes[…]},
// tpm{…}); every group and every field is optional, and an absent field reads as "not known", so
// the checks that need it report missing_data. Strict in types, sizes and enumerations: a wrong
// type, an over-long string, a list over its bound, a malformed hash or an unknown enumeration
// value is an error naming the field ("facts.amt.hashes[3].hash: not lower-case hex"). Unknown keys
// are ignored on the wire (a newer agent may add fields, as in the protocol) and rejected in files
// (a typo in a hand-edited facts file must not silently drop a fact).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "facts/device_facts.hpp"

namespace pb {

inline constexpr std::size_t kMaxFactsFileBytes = std::size_t{256} * 1024;
inline constexpr std::size_t kMaxFactString = 256;
inline constexpr std::size_t kMaxAmtHashes = 64;  // AMT holds at most 33 (§9.1); room for OEMs
inline constexpr std::size_t kMaxFirmwareAttributes = 512;
inline constexpr std::size_t kMaxQuotedPcrs = 24;
inline constexpr std::size_t kMaxFactMacs = 16;

enum class FactsMode {
  Wire,  // unknown keys ignored
  File,  // unknown keys rejected
};

nlohmann::json toJson(const DeviceFacts& facts);

// Error.code is reason::kFactsMalformed; the message names the first bad field.
Result<DeviceFacts> deviceFactsFromJson(const nlohmann::json& j, FactsMode mode = FactsMode::Wire);

// A facts file's text: the facts object itself, or a whole `{"type":"facts","facts":{…}}` frame
// as the agent sends it. Bounded (kMaxFactsFileBytes, JSON nesting ≤ 32) and strict
// (FactsMode::File).
Result<DeviceFacts> parseFactsText(std::string_view text);
// Reads (at most kMaxFactsFileBytes, regular files only) and parses `path`.
Result<DeviceFacts> loadFactsFile(const std::string& path);

}  // namespace pb
