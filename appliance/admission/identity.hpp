// SPDX-License-Identifier: Apache-2.0
// Identity rules: which identifiers can identify a device, and their canonical spelling. Shared by
// admission (refuses placeholder identities), the register parser (refuses them on import) and the
// store (looks devices up by the canonical UUID). A leaf below all three, so none of them has to
// include another's header for these rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pb {

// Placeholder identifiers that cannot identify a device. Trimmed and case-insensitive; "" and
// whitespace-only are bogus too.
bool isBogusSerial(std::string_view serial);
// Firmware default UUIDs (all-zero, all-F, any single repeated digit, well-known board defaults).
// Accepts any form canonicalUuid accepts; an unparseable UUID is bogus as well.
bool isBogusUuid(std::string_view canonicalUuid);
// Accepts upper/lower case, with or without braces, surrounding whitespace ignored; returns the
// lower-case 8-4-4-4-12 form, nullopt for anything else.
std::optional<std::string> canonicalUuid(std::string_view text);

}  // namespace pb
