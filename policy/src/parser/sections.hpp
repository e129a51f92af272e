// SPDX-License-Identifier: Apache-2.0
// Internal to the policy parser (policy_parser.cpp): one reader per top-level policy section, each
// in its own file, and the field readers they share. Every reader reports each problem it finds to
// the YamlIssues behind `root` and goes on; parsePolicy applies nothing unless there were none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "policy/policy.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb::policy_parse {

constexpr std::size_t kMaxListItems = 1024;

// --- sections (enrollment_section.cpp, tpm_section.cpp, amt_section.cpp,
//     credentials_section.cpp) ---
void readTenant(YamlMapReader& root, Policy& p);
void readEnrollment(YamlMapReader& root, Policy& p);
void readIdentity(YamlMapReader& root, Policy& p);
void readTpm(YamlMapReader& root, Policy& p);
void readAmt(YamlMapReader& root, Policy& p);
void readCredentials(YamlMapReader& root, Policy& p);
void readKiosk(YamlMapReader& root, Policy& p);

// --- field readers shared by the sections (field_readers.cpp) ---

// Secure by default: a mapping that weakens a setting must say why, in the same mapping, with
// acknowledge_risk. `weakened` are the keys of this mapping set to their less secure value. The
// acknowledgement is recorded once per weakened key, so the audit trail names each risk.
void checkRiskAcknowledgement(YamlMapReader& r, const std::vector<std::string_view>& weakened,
                              std::vector<std::string>& acknowledgements);

// A string that must be one word of `vocab`.
bool readWord(YamlMapReader& r, std::string_view key, std::string& out,
              const std::vector<std::string_view>& vocab);

// As readWord, and a missing key is reported (also in an item that is not a mapping).
bool readRequiredWord(YamlMapReader& r, std::string_view key, std::string& out,
                      const std::vector<std::string_view>& vocab);

// A list whose items are words of `vocab`, unique, at least `minItems`. Replaces the default only
// when every item is valid.
bool readWordList(YamlMapReader& r, std::string_view key, std::vector<std::string>& out,
                  const std::vector<std::string_view>& vocab, std::size_t minItems);

// Hex digits of either case, possibly written with ':' separators (as openssl prints
// fingerprints); returns the lower-case digits, or nullopt.
std::optional<std::string> normaliseHex(std::string_view s);

// Hex digits of a digest of `algorithm` (sha1, sha256, sha384); 0 for any other.
std::size_t hexLengthOf(std::string_view algorithm);

// A name for list entries: [A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}.
bool isEntryName(std::string_view s);

// A mapping key that must be a decimal integer in min..max; reported at the key.
std::optional<std::uint32_t> keyNumber(const YamlEntry& e, const std::string& path,
                                       YamlIssues& issues, std::uint32_t min, std::uint32_t max,
                                       std::string_view what);

}  // namespace pb::policy_parse
