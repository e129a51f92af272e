// SPDX-License-Identifier: Apache-2.0
#include "core/secret_bytes.hpp"

#include <cstdio>
#include <cstdlib>

#include <openssl/rand.h>

namespace pb {

SecretBytes SecretBytes::random(std::size_t n) {
  SecretBytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    (void)std::fputs("fatal: the random generator failed\n", stderr);
    std::abort();
  }
  return out;
}

void SecretBytes::truncate(std::size_t n) noexcept {
  if (n >= bytes_.size()) return;
  secureZero(bytes_.data() + n, bytes_.size() - n);
  bytes_.resize(n);  // shrinking never reallocates
}

void SecretBytes::wipe() noexcept {
  if (!bytes_.empty()) secureZero(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes toHexSecret(const SecretBytes& s) {
  static const char kDigits[] = "0123456789abcdef";
  SecretBytes out(s.size() * 2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    out.data()[2 * i] = static_cast<std::uint8_t>(kDigits[s.data()[i] >> 4]);
    out.data()[2 * i + 1] = static_cast<std::uint8_t>(kDigits[s.data()[i] & 0x0f]);
  }
  return out;
}

namespace {
int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool fromHexSecret(std::string_view hex, SecretBytes& out) {
  out.clear();
  if (hex.size() % 2 != 0) return false;
  SecretBytes decoded(hex.size() / 2);
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const int hi = hexDigit(hex[2 * i]);
    const int lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;  // `decoded` is cleansed on the way out
    decoded.data()[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  out = std::move(decoded);
  return true;
}

}  // namespace pb
