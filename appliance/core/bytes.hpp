// SPDX-License-Identifier: Apache-2.0
// Byte helpers and the few cryptographic primitives the core needs (OpenSSL underneath).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb {

using Bytes = std::vector<std::uint8_t>;

std::string toHex(const std::uint8_t* data, std::size_t size);
inline std::string toHex(const Bytes& b) {
  return toHex(b.data(), b.size());
}
// Lower- or upper-case hex, even length, nothing else. nullopt on anything malformed.
std::optional<Bytes> fromHex(std::string_view hex);

Bytes toBytes(std::string_view s);

// SHA-256 of public data. Aborts if OpenSSL cannot compute it (like randomBytes): a digest that is
// silently empty would become an identity or a chain link, and no caller can do better than stop.
Bytes sha256(const std::uint8_t* data, std::size_t size);
inline Bytes sha256(std::string_view s) {
  return sha256(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
inline Bytes sha256(const Bytes& b) {
  return sha256(b.data(), b.size());
}

// HMAC-SHA-256. An error (never an empty MAC) when the key is empty or OpenSSL fails: the caller
// must not seal or accept anything with a MAC it could not compute (fail closed).
Result<Bytes> hmacSha256(std::span<const std::uint8_t> key, std::string_view data);

// Constant-time comparison for secrets, MACs and pins: the time taken depends on the length only.
bool constantTimeEqual(const Bytes& a, const Bytes& b);

// CSPRNG bytes (OpenSSL RAND_bytes). Aborts if the generator fails: nothing secret may be made
// from a failed generator.
Bytes randomBytes(std::size_t n);
// n random bytes as lower-case hex (2n characters), for identifiers and tokens.
std::string randomHex(std::size_t n);

// Overwrites memory in a way the optimiser may not remove.
void secureZero(void* data, std::size_t size);

}  // namespace pb
