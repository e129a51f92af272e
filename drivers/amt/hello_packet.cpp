// SPDX-License-Identifier: Apache-2.0
#include "amt/hello_packet.hpp"

#include <algorithm>

namespace pb {

namespace {

Error err(std::string_view code, const std::string& message) {
  return makeError(std::string(code), "AMT hello: " + message);
}

std::size_t typeSize(std::uint8_t type) {
  switch (type) {
    case 1:
      return 20;
    case 2:
      return 32;
    case 3:
      return 48;
    default:
      return 0;
  }
}

}  // namespace

std::string_view helloHashTypeName(std::uint8_t type) {
  switch (type) {
    case 1:
      return "sha1";
    case 2:
      return "sha256";
    case 3:
      return "sha384";
    default:
      return "";
  }
}

Bytes buildHello(const AmtHello& h) {
  Bytes b;
  b.push_back(h.adminCredentialsSet ? 1 : 0);
  b.push_back(0);
  b.push_back(static_cast<std::uint8_t>(h.interfaceVersion));
  b.push_back(static_cast<std::uint8_t>(h.interfaceVersion >> 8));
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(h.retryCount >> (8 * i)));
  b.insert(b.end(), h.uuid.begin(), h.uuid.end());
  b.push_back(static_cast<std::uint8_t>(h.hashes.size()));
  for (const auto& e : h.hashes) {
    b.push_back(e.type);
    b.push_back(static_cast<std::uint8_t>(e.hash.size()));
    b.insert(b.end(), e.hash.begin(), e.hash.end());
  }
  return b;
}

Result<AmtHello> parseHello(const std::uint8_t* d, std::size_t size) {
  if (size > kHelloMaxSize) {
    return err(hello_error::kTooLarge,
               std::to_string(size) + " bytes exceeds " + std::to_string(kHelloMaxSize));
  }
  if (d == nullptr || size < kHelloHeaderSize) {
    return err(hello_error::kShort,
               std::to_string(size) + " bytes is shorter than the 25-byte header");
  }
  AmtHello h;
  const std::uint16_t admin = static_cast<std::uint16_t>(d[0] | (d[1] << 8));
  h.interfaceVersion = static_cast<std::uint16_t>(d[2] | (d[3] << 8));
  if (h.interfaceVersion != kHelloInterfacePki) {
    return err(hello_error::kVersion, "interface version " + std::to_string(h.interfaceVersion) +
                                          " (only PKI hellos, version 3, are understood)");
  }
  if (admin > 1)
    return err(hello_error::kBadField, "AdminCredentialsSet is " + std::to_string(admin));
  h.adminCredentialsSet = admin == 1;
  h.retryCount = static_cast<std::uint32_t>(d[4]) | (static_cast<std::uint32_t>(d[5]) << 8) |
                 (static_cast<std::uint32_t>(d[6]) << 16) |
                 (static_cast<std::uint32_t>(d[7]) << 24);
  std::copy(d + 8, d + 24, h.uuid.begin());
  const std::size_t count = d[24];
  if (count > kHelloMaxHashes) {
    return err(hello_error::kBadField, "HashCount " + std::to_string(count) + " exceeds " +
                                           std::to_string(kHelloMaxHashes));
  }
  std::size_t off = kHelloHeaderSize;
  for (std::size_t i = 0; i < count; ++i) {
    if (size - off < 2) {
      return err(hello_error::kTruncated, "entry " + std::to_string(i + 1) + " of " +
                                              std::to_string(count) + " runs past the end");
    }
    AmtHelloHash e;
    e.type = d[off];
    const std::size_t n = d[off + 1];
    const std::size_t want = typeSize(e.type);
    if (want == 0) {
      return err(hello_error::kBadField,
                 "entry " + std::to_string(i + 1) + " has hash type " + std::to_string(e.type));
    }
    if (n != want) {
      return err(hello_error::kBadField, "entry " + std::to_string(i + 1) + " has " +
                                             std::to_string(n) + " hash bytes for " +
                                             std::string(helloHashTypeName(e.type)));
    }
    off += 2;
    if (size - off < n) {
      return err(hello_error::kTruncated, "entry " + std::to_string(i + 1) + " runs past the end");
    }
    e.hash.assign(d + off, d + off + n);
    off += n;
    h.hashes.push_back(std::move(e));
  }
  if (off != size) {
    return err(hello_error::kTrailing, std::to_string(size - off) + " bytes after the last entry");
  }
  return h;
}

}  // namespace pb
