// SPDX-License-Identifier: Apache-2.0
#include "core/text.hpp"

#include <algorithm>

namespace pb {

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool isLowerSlug(std::string_view s, std::size_t maxLen) {
  if (s.empty() || s.size() > maxLen) return false;
  auto lowerOrDigit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lowerOrDigit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lowerOrDigit(c) || c == '-'; });
}

}  // namespace pb
