// SPDX-License-Identifier: Apache-2.0
// Strict decimal parsing for command-line values (std::from_chars): the whole text must be a
// number in [min, max]. atoi would turn "x" into 0, which for --ready-fd means stdin.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "core/result.hpp"

namespace pb {

// nullopt unless `text` is exactly an optional '-' and decimal digits, in [min, max].
template <class Int>
std::optional<Int> parseInteger(std::string_view text, Int min, Int max) {
  static_assert(std::is_integral_v<Int>);
  if (text.empty()) return std::nullopt;
  Int value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, 10);
  if (ec != std::errc() || ptr != end || value < min || value > max) return std::nullopt;
  return value;
}

// The same, as a Result whose message names the option: "--ready-fd: expected an integer in
// 0..1048576, got 'x'".
template <class Int>
Result<Int> parseIntegerOption(std::string_view option, std::string_view text, Int min, Int max) {
  if (auto v = parseInteger<Int>(text, min, max)) return *v;
  return makeError("usage", std::string(option) + ": expected an integer in " +
                                std::to_string(min) + ".." + std::to_string(max) + ", got '" +
                                std::string(text) + "'");
}

}  // namespace pb
