// SPDX-License-Identifier: Apache-2.0
// Fuzzes the agent protocol's untrusted-input path: FrameDecoder over arbitrary bytes, fed in
// pieces whose sizes come from the input, then every decoded frame through every message parser.
// Invariants checked (abort on violation): no exception escapes, a decoded frame re-encodes and
// decodes to the same JSON, and a message that parses survives toJson -> fromJson unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace {

constexpr std::uint32_t kMaxFrame = 64 * 1024;

template <class T>
void checkMessage(const nlohmann::json& frame) {
  auto msg = T::fromJson(frame);
  if (!msg) return;
  auto again = T::fromJson(msg->toJson());
  if (!again || again->toJson() != msg->toJson()) std::abort();
}

void checkFrame(const nlohmann::json& frame) {
  // Whatever the decoder accepts must survive a round trip through the encoder.
  std::string wire = pb::encodeFrame(frame);
  pb::FrameDecoder d(static_cast<std::uint32_t>(wire.size()));
  if (!d.feed(wire).ok()) std::abort();
  auto back = d.next();
  if (!back.ok() || !back->has_value() || **back != frame) std::abort();

  checkMessage<pb::Hello>(frame);
  checkMessage<pb::Welcome>(frame);
  checkMessage<pb::Verdict>(frame);
  checkMessage<pb::ErrorFrame>(frame);
  if (auto hello = pb::Hello::fromJson(frame)) (void)pb::negotiateVersion(*hello);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the feed chunk size, so split headers and bodies get exercised.
  const std::size_t chunk = 1 + data[0] % 64;
  ++data;
  --size;
  pb::FrameDecoder decoder(kMaxFrame);
  for (std::size_t off = 0; off < size; off += chunk) {
    std::size_t n = size - off < chunk ? size - off : chunk;
    if (!decoder.feed(data + off, n).ok()) return 0;
    for (;;) {
      auto frame = decoder.next();
      if (!frame.ok()) return 0;
      if (!frame->has_value()) break;
      checkFrame(**frame);
    }
  }
  // The whole input as one payload too: the direct parser path without framing.
  auto direct = pb::parseFramePayload(std::string_view(reinterpret_cast<const char*>(data), size));
  if (direct) checkFrame(*direct);
  return 0;
}
