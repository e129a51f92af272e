// SPDX-License-Identifier: Apache-2.0
// Strict UTF-8 checks (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). YAML text
// and every string taken from it must be valid UTF-8 because they end up in JSON (audit records,
// the canonical policy form), and the JSON writer refuses anything else.
#pragma once

#include <cstddef>
#include <string_view>

namespace pb {

// Length (1..4) of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i);

// True if all of s is valid UTF-8.
bool isValidUtf8(std::string_view s);

}  // namespace pb
