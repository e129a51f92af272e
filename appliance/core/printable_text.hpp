// SPDX-License-Identifier: Apache-2.0
// The one rule for text that people will read (kiosk, benchctl, audit exports) and that came from
// outside: the asset register's columns and a device agent's identity claims.
#pragma once

#include <string_view>

namespace pb {

// True when `s` is well-formed UTF-8 without control characters: C0 (NUL included), DEL, C1, and
// the bidi embedding/override/isolate controls (U+202A..U+202E, U+2066..U+2069) that can make a
// name on the kiosk read differently from its bytes. The empty string is printable.
bool isPrintableUtf8(std::string_view s);

}  // namespace pb
