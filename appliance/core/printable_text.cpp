// SPDX-License-Identifier: Apache-2.0
#include "core/printable_text.hpp"

#include <cstddef>
#include <cstdint>

namespace pb {

bool isPrintableUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      if (b0 < 0x20 || b0 == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      len = 2;
      cp = b0 & 0x1fu;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      len = 3;
      cp = b0 & 0x0fu;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;  // continuation byte, overlong lead (c0/c1) or beyond U+10FFFF
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0u) != 0x80u) return false;
      cp = (cp << 6) | (b & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;  // surrogates are not characters
    if (cp >= 0x80 && cp <= 0x9f) return false;      // C1 controls
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return false;
    i += len;
  }
  return true;
}

}  // namespace pb
