// SPDX-License-Identifier: Apache-2.0
#include "core/bytes.hpp"

#include <climits>
#include <cstdio>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace pb {

std::string toHex(const std::uint8_t* data, std::size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
  return out;
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Bytes> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hexValue(hex[i]);
    int lo = hexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

Bytes toBytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes sha256(const std::uint8_t* data, std::size_t size) {
  Bytes out(SHA256_DIGEST_LENGTH);
  if (SHA256(data, size, out.data()) == nullptr) {
    (void)std::fputs("fatal: SHA-256 failed (the crypto library is unusable)\n", stderr);
    std::abort();
  }
  return out;
}

Result<Bytes> hmacSha256(std::span<const std::uint8_t> key, std::string_view data) {
  // An empty key would still "work" (OpenSSL substitutes a dummy): a MAC anyone can compute.
  if (key.empty()) return makeError("crypto", "HMAC-SHA-256 with an empty key");
  if (key.size() > static_cast<std::size_t>(INT_MAX)) {
    return makeError("crypto", "HMAC-SHA-256 key too long");
  }
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &len) == nullptr ||
      len != SHA256_DIGEST_LENGTH) {
    return makeError("crypto", "HMAC-SHA-256 failed");
  }
  out.resize(len);
  return out;
}

bool constantTimeEqual(const Bytes& a, const Bytes& b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Bytes randomBytes(std::size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    (void)std::fputs("fatal: the random generator failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string randomHex(std::size_t n) {
  return toHex(randomBytes(n));
}

void secureZero(void* data, std::size_t size) {
  OPENSSL_cleanse(data, size);
}

}  // namespace pb
