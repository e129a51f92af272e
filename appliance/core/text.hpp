// SPDX-License-Identifier: Apache-2.0
// Small text helpers shared by the loaders and checks (locale-independent, ASCII only).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pb {

// A-Z to a-z; every other byte unchanged (whatever the C locale says).
std::string lowerAscii(std::string_view s);

// An identifier of lower-case letters, digits and '-', starting with a letter or digit, at most
// maxLen bytes: [a-z0-9][a-z0-9-]{0,maxLen-1} (bench, slot and tenant ids).
bool isLowerSlug(std::string_view s, std::size_t maxLen = 32);

}  // namespace pb
