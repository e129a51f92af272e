// SPDX-License-Identifier: Apache-2.0
#include "platcert/der_reader.hpp"

#include "core/clock.hpp"
#include "core/reasons.hpp"

namespace pb::platcert {

Error malformed(std::string message) {
  return makeError(std::string(reason::kPlatformCertMalformed), std::move(message));
}

std::optional<std::uint8_t> DerReader::peekTag() const {
  if (atEnd()) return std::nullopt;
  return data_[pos_];
}

Result<Tlv> DerReader::next() {
  const std::size_t start = pos_;
  const std::size_t size = data_.size();
  if (pos_ >= size) return malformed("unexpected end of data");
  const std::uint8_t t = data_[pos_++];
  // High tag numbers (0x1f) never occur in the profile; refusing them keeps the reader simple.
  if ((t & 0x1f) == 0x1f) return malformed("multi-byte tag");
  if (pos_ >= size) return malformed("missing length");
  std::size_t len = data_[pos_++];
  if (len & 0x80) {
    const std::size_t n = len & 0x7f;
    // Indefinite length (0x80) is BER, not DER; more than 3 length bytes exceeds any limit here.
    if (n == 0 || n > 3) return malformed("unsupported length encoding");
    if (size - pos_ < n) return malformed("truncated length");
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | data_[pos_++];
    if (len < 0x80 || (n > 1 && data_[pos_ - n] == 0)) return malformed("non-minimal length");
  }
  if (size - pos_ < len) return malformed("element longer than its container");
  Tlv tlv;
  tlv.tag = t;
  tlv.value = data_.subspan(pos_, len);
  tlv.whole = data_.subspan(start, pos_ + len - start);
  pos_ += len;
  return tlv;
}

Result<Tlv> DerReader::expect(std::uint8_t t, const char* what) {
  auto tlv = next();
  if (!tlv) return tlv.error().withContext(what);
  if (tlv->tag != t) return malformed(std::string(what) + ": unexpected tag");
  return tlv;
}

Result<std::optional<Tlv>> DerReader::optional(std::uint8_t t) {
  if (peekTag() != t) return std::optional<Tlv>{};
  auto tlv = next();
  if (!tlv) return tlv.error();
  return std::optional<Tlv>{*tlv};
}

Result<DerReader> DerReader::enter(const Tlv& tlv, const char* what) const {
  if ((tlv.tag & 0x20) == 0) return malformed(std::string(what) + ": not a constructed element");
  if (depth_ + 1 > kMaxDepth) return malformed(std::string(what) + ": nested too deeply");
  return DerReader(tlv.value, depth_ + 1);
}

Status DerReader::finish(const char* what) const {
  if (!atEnd()) return malformed(std::string(what) + ": trailing data");
  return {};
}

Result<std::string> decodeOid(ByteSpan v) {
  if (v.empty() || v.size() > 64) return malformed("object identifier length out of bounds");
  std::string out;
  std::uint64_t arc = 0;
  bool first = true;
  bool fresh = true;
  for (std::uint8_t b : v) {
    if (fresh && b == 0x80) return malformed("non-minimal object identifier");
    fresh = false;
    if (arc > (UINT64_MAX >> 8)) return malformed("object identifier arc too large");
    arc = (arc << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      const std::uint64_t top = arc < 40 ? 0 : (arc < 80 ? 1 : 2);
      out = std::to_string(top) + "." + std::to_string(arc - top * 40);
      first = false;
    } else {
      out += "." + std::to_string(arc);
    }
    arc = 0;
    fresh = true;
  }
  if (!fresh) return malformed("truncated object identifier");
  return out;
}

Result<std::string> decodeString(const Tlv& tlv, std::size_t maxBytes, const char* what) {
  switch (tlv.tag) {
    case tag::kUtf8String:
    case tag::kPrintableString:
    case tag::kIa5String:
    case tag::kT61String:
      break;
    default:
      // The profile's [0]/[1] IMPLICIT UTF8String fields arrive with context tags: callers that
      // expect those pass the element through with its tag already checked.
      if ((tlv.tag & 0xe0) != 0x80) return malformed(std::string(what) + ": not a string");
  }
  if (tlv.value.size() > maxBytes) return malformed(std::string(what) + ": string too long");
  return std::string(tlv.value.begin(), tlv.value.end());
}

Result<std::int64_t> decodeSmallInt(const Tlv& tlv, const char* what) {
  if (tlv.value.empty() || tlv.value.size() > 8)
    return malformed(std::string(what) + ": bad integer");
  if (tlv.value[0] & 0x80) return malformed(std::string(what) + ": negative integer");
  std::uint64_t v = 0;
  for (std::uint8_t b : tlv.value) v = (v << 8) | b;
  if (v > static_cast<std::uint64_t>(INT64_MAX))
    return malformed(std::string(what) + ": too large");
  return static_cast<std::int64_t>(v);
}

Result<std::int64_t> decodeTime(const Tlv& tlv) {
  const std::string s(tlv.value.begin(), tlv.value.end());
  std::string year;
  std::string rest;
  if (tlv.tag == tag::kGeneralizedTime && s.size() == 15 && s[14] == 'Z') {
    year = s.substr(0, 4);
    rest = s.substr(4);
  } else if (tlv.tag == tag::kUtcTime && s.size() == 13 && s[12] == 'Z') {
    // RFC 5280 4.1.2.5.1: two-digit years 50..99 are 19xx, 00..49 are 20xx.
    year = (s[0] >= '5' ? "19" : "20") + s.substr(0, 2);
    rest = s.substr(2);
  } else {
    return malformed("validity time is not GeneralizedTime/UTCTime in Zulu form");
  }
  // The one UTC parser (core/clock): checks digits, ranges and the day of the month.
  const std::string iso = year + "-" + rest.substr(0, 2) + "-" + rest.substr(2, 2) + "T" +
                          rest.substr(4, 2) + ":" + rest.substr(6, 2) + ":" + rest.substr(8, 2) +
                          "Z";
  std::int64_t t = 0;
  if (!parseUtc(iso, t)) return malformed("bad validity time");
  return t;
}

}  // namespace pb::platcert
