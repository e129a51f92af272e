// SPDX-License-Identifier: Apache-2.0
// Agent protocol v1 framing: a 4-byte big-endian length N, then N bytes holding one UTF-8 JSON
// object with a string member "type". Pure code, no I/O: the TLS transport, the USB transport and
// the fuzzer all share these functions so every path applies the same bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "core/strict_json.hpp"  // jsonNestingDepth

namespace pb {

inline constexpr std::size_t kFrameHeaderBytes = 4;
// Default upper bound for one frame's payload (limits.max_frame_bytes in bench.yaml).
inline constexpr std::uint32_t kDefaultMaxFrameBytes = 1U << 20;
inline constexpr std::size_t kMaxMessageTypeLength = 64;
// Containers nested deeper than this are refused before the JSON parser sees them.
inline constexpr int kMaxJsonDepth = 32;

// Serialises `msg` and prepends its length. Invalid UTF-8 in strings is replaced (U+FFFD) rather
// than thrown on, because device-reported strings (sysfs) are not guaranteed to be UTF-8.
// Throws std::length_error only if the payload exceeds 4 GiB (a programming error).
std::string encodeFrame(const nlohmann::json& msg);
// Prepends the length header to an already serialised payload (tests, fuzz seeds, replays).
std::string encodeRawFrame(std::string_view payload);

// Decodes a frame header. 0 → reason::kMalformedFrame; > maxFrame → reason::kFrameTooLarge.
Result<std::uint32_t> parseFrameLength(const std::uint8_t (&hdr)[kFrameHeaderBytes],
                                       std::uint32_t maxFrame);

// Parses one payload. Errors (all reason::kMalformedFrame): not JSON or not UTF-8, nesting deeper
// than kMaxJsonDepth, an object naming a key twice (core/strict_json.hpp), not an object, "type"
// missing / not a string / empty / longer than kMaxMessageTypeLength / containing characters
// outside [A-Za-z0-9_.-]. Never throws on input.
Result<nlohmann::json> parseFramePayload(std::string_view payload);

// jsonNestingDepth (the depth scan run before parsing) is in core/strict_json.hpp.

// Incremental decoder for byte streams that arrive in arbitrary pieces (USB bulk transfers, the
// fuzzer). Feed bytes, then pop frames until it reports that it needs more. The first error is
// sticky: a stream that produced a bad frame cannot be resynchronised, so every later call returns
// the same error.
//
// Memory: at most one partial frame (≤ 4 + maxFrame bytes) plus whatever complete frames the
// caller has fed but not yet popped; callers pop after every feed.
//
// @par Thread Safety
// Not thread-safe; one decoder per stream.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t maxFrame = kDefaultMaxFrameBytes) : maxFrame_(maxFrame) {}

  // Appends bytes. Fails (sticky) if the decoder already failed or a header just completed
  // announces a bad length, so an oversize frame is refused before its body is buffered.
  Status feed(const std::uint8_t* data, std::size_t size);
  Status feed(std::string_view bytes) {
    return feed(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }

  // The next complete frame; nullopt when more bytes are needed; an Error (sticky) on a bad frame.
  Result<std::optional<nlohmann::json>> next();

  // Bytes buffered but not yet returned as frames.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - offset_; }
  [[nodiscard]] bool failed() const { return error_.has_value(); }

 private:
  Status checkHeaderAtOffset();
  Result<std::uint32_t> lengthAtOffset();  // needs 4 buffered bytes; sets error_ on failure
  void compact();

  std::uint32_t maxFrame_;
  std::string buffer_;
  std::size_t offset_ = 0;  // start of the first unconsumed frame in buffer_
  std::optional<Error> error_;
};

}  // namespace pb
