// SPDX-License-Identifier: Apache-2.0
// A small bounded DER reader for the attribute-certificate parser. OpenSSL 3.0 has no
// attribute-certificate type, and a hand-written reader lets every limit (nesting depth, length,
// element counts) be explicit: the input comes from a device and is fuzzed.
// Only definite lengths and single-byte tags (tag numbers < 31) are accepted, which is all the
// TCG Platform Certificate Profile uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.hpp"

namespace pb::platcert {

inline constexpr int kMaxDepth = 24;

namespace tag {
inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kEnumerated = 0x0a;
inline constexpr std::uint8_t kUtf8String = 0x0c;
inline constexpr std::uint8_t kPrintableString = 0x13;
inline constexpr std::uint8_t kT61String = 0x14;
inline constexpr std::uint8_t kIa5String = 0x16;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kGeneralizedTime = 0x18;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
// Context-specific [n]: primitive 0x80|n, constructed 0xa0|n.
constexpr std::uint8_t ctx(int n) {
  return static_cast<std::uint8_t>(0x80 | n);
}
constexpr std::uint8_t ctxCons(int n) {
  return static_cast<std::uint8_t>(0xa0 | n);
}
}  // namespace tag

using ByteSpan = std::span<const std::uint8_t>;

struct Tlv {
  std::uint8_t tag = 0;
  ByteSpan value;  // contents octets
  ByteSpan whole;  // tag + length + contents (for signatures and name comparison)
};

class DerReader {
 public:
  explicit DerReader(ByteSpan data, int depth = 0) : data_(data), depth_(depth) {}

  [[nodiscard]] bool atEnd() const { return pos_ >= data_.size(); }
  // Tag of the next element, or nullopt at the end.
  [[nodiscard]] std::optional<std::uint8_t> peekTag() const;
  Result<Tlv> next();
  Result<Tlv> expect(std::uint8_t tag, const char* what);
  // Consumes the next element only when it carries `tag`.
  Result<std::optional<Tlv>> optional(std::uint8_t tag);
  // A reader over a constructed element's contents, one level deeper; fails past kMaxDepth.
  [[nodiscard]] Result<DerReader> enter(const Tlv& tlv, const char* what) const;
  // Error unless every byte has been consumed.
  [[nodiscard]] Status finish(const char* what) const;

 private:
  ByteSpan data_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

Error malformed(std::string message);

// Dotted decimal ("2.23.133.5.1.6"); error on a non-minimal or overlong arc.
Result<std::string> decodeOid(ByteSpan value);
// A directory string (UTF8String, PrintableString, IA5String, T61String) of at most `maxBytes`.
Result<std::string> decodeString(const Tlv& tlv, std::size_t maxBytes, const char* what);
// A small non-negative INTEGER or ENUMERATED (at most 8 content bytes).
Result<std::int64_t> decodeSmallInt(const Tlv& tlv, const char* what);
// GeneralizedTime or UTCTime "...Z" to Unix seconds.
Result<std::int64_t> decodeTime(const Tlv& tlv);

}  // namespace pb::platcert
