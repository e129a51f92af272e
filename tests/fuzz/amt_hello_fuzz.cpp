// SPDX-License-Identifier: Apache-2.0
// AMT hello parser: UDP datagrams from anyone on the provisioning network.
#include <cstddef>
#include <cstdint>

#include "amt/hello_packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto h = pb::parseHello(data, size);
  // Whatever parses must rebuild to the same bytes (the layout has no slack).
  if (h.ok() && pb::buildHello(*h) != pb::Bytes(data, data + size)) __builtin_trap();
  return 0;
}
