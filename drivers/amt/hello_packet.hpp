// SPDX-License-Identifier: Apache-2.0
// The AMT remote-configuration "hello" (PKI, interface version 3; amt.md §11.2), little-endian:
//   u16 AdminCredentialsSet | u16 InterfaceVersion | u32 RetryCount | u8 DeviceUUID[16] |
//   u8 HashCount | HashCount × { u8 HashType | u8 HashSize | u8 Hash[HashSize] }
// The builder is used by the AMT simulator; the bounded parser by the appliance's hello listener
// (hello packets come from anyone on the provisioning network: untrusted, fuzzed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "amt/amthi.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

inline constexpr std::uint16_t kHelloInterfacePki = 3;
inline constexpr std::size_t kHelloHeaderSize = 25;
// AMT 7+ send at most 23 hashes in a hello (Intel) but recent devices send 24 (MeshCentral
// sample); rpc-go allows 33 hash handles. 33 × (2 + 48) + 25 bounds the packet.
inline constexpr std::size_t kHelloMaxHashes = 33;
inline constexpr std::size_t kHelloMaxSize = kHelloHeaderSize + kHelloMaxHashes * (2 + 48);

struct AmtHelloHash {
  std::uint8_t type = 2;  // 1 SHA-1 (20 B), 2 SHA-256 (32 B), 3 SHA-384 (48 B)
  Bytes hash;
};

struct AmtHello {
  bool adminCredentialsSet = false;
  std::uint16_t interfaceVersion = kHelloInterfacePki;
  std::uint32_t retryCount = 0;
  amthi::Uuid uuid{};
  std::vector<AmtHelloHash> hashes;
};

// Error.code values of the parser.
namespace hello_error {
inline constexpr std::string_view kShort = "hello.short";          // shorter than the header
inline constexpr std::string_view kTooLarge = "hello.too_large";   // over kHelloMaxSize
inline constexpr std::string_view kVersion = "hello.version";      // not PKI v3 (PSK v2 is gone)
inline constexpr std::string_view kBadField = "hello.bad_field";   // flag/retry/type/size wrong
inline constexpr std::string_view kTruncated = "hello.truncated";  // entries run past the end
inline constexpr std::string_view kTrailing = "hello.trailing";    // bytes after the last entry
}  // namespace hello_error

// "sha1" | "sha256" | "sha384" | "" for an unknown type.
std::string_view helloHashTypeName(std::uint8_t type);

Bytes buildHello(const AmtHello& hello);
Result<AmtHello> parseHello(const std::uint8_t* data, std::size_t size);
inline Result<AmtHello> parseHello(const Bytes& b) {
  return parseHello(b.data(), b.size());
}

}  // namespace pb
