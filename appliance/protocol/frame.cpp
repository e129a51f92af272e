// SPDX-License-Identifier: Apache-2.0
#include "protocol/frame.hpp"

#include <limits>
#include <stdexcept>

#include "core/reasons.hpp"
#include "core/strict_json.hpp"

namespace pb {

namespace {

using nlohmann::json;

Error malformed(std::string message) {
  return makeError(std::string(reason::kMalformedFrame), std::move(message));
}

bool isTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string withHeader(std::string_view payload) {
  if (payload.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("frame payload larger than 4 GiB");
  }
  auto n = static_cast<std::uint32_t>(payload.size());
  std::string out;
  out.reserve(kFrameHeaderBytes + payload.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(payload);
  return out;
}

}  // namespace

std::string encodeFrame(const json& msg) {
  return withHeader(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string encodeRawFrame(std::string_view payload) {
  return withHeader(payload);
}

Result<std::uint32_t> parseFrameLength(const std::uint8_t (&hdr)[kFrameHeaderBytes],
                                       std::uint32_t maxFrame) {
  std::uint32_t n = (static_cast<std::uint32_t>(hdr[0]) << 24) |
                    (static_cast<std::uint32_t>(hdr[1]) << 16) |
                    (static_cast<std::uint32_t>(hdr[2]) << 8) | static_cast<std::uint32_t>(hdr[3]);
  if (n == 0) return malformed("frame length is zero");
  if (n > maxFrame) {
    return makeError(std::string(reason::kFrameTooLarge), "frame of " + std::to_string(n) +
                                                              " bytes exceeds the limit of " +
                                                              std::to_string(maxFrame) + " bytes");
  }
  return n;
}

Result<json> parseFramePayload(std::string_view payload) {
  // The depth scan runs first so no later stage (parser, destructor, dump) ever meets a document
  // deep enough to matter, whatever the library does internally.
  if (jsonNestingDepth(payload, kMaxJsonDepth) > kMaxJsonDepth) {
    return malformed("JSON nesting deeper than " + std::to_string(kMaxJsonDepth));
  }
  auto parsed = parseJsonRejectingDuplicateKeys(payload);
  if (!parsed) {
    // "not valid JSON" or a duplicate key: a repeated key could mean one value to a check and
    // another to the code that acts on it.
    return malformed("payload: " + parsed.error().message);
  }
  json doc = std::move(parsed).value();
  if (!doc.is_object()) return malformed("payload is not a JSON object");
  auto it = doc.find("type");
  if (it == doc.end()) return malformed("message has no \"type\"");
  if (!it->is_string()) return malformed("message \"type\" is not a string");
  const auto& type = it->get_ref<const std::string&>();
  if (type.empty()) return malformed("message \"type\" is empty");
  if (type.size() > kMaxMessageTypeLength) {
    return malformed("message \"type\" is longer than " + std::to_string(kMaxMessageTypeLength));
  }
  for (char c : type) {
    // The type is echoed into logs and error frames; keep it to a plain identifier alphabet.
    if (!isTypeChar(c))
      return malformed("message \"type\" contains a character outside [A-Za-z0-9_.-]");
  }
  return doc;
}

Status FrameDecoder::checkHeaderAtOffset() {
  if (buffer_.size() - offset_ < kFrameHeaderBytes) return {};
  if (auto n = lengthAtOffset(); !n) return n.error();
  return {};
}

Result<std::uint32_t> FrameDecoder::lengthAtOffset() {
  std::uint8_t hdr[kFrameHeaderBytes];
  for (std::size_t i = 0; i < kFrameHeaderBytes; ++i) {
    hdr[i] = static_cast<std::uint8_t>(buffer_[offset_ + i]);
  }
  auto n = parseFrameLength(hdr, maxFrame_);
  if (!n) error_ = n.error();
  return n;
}

void FrameDecoder::compact() {
  // Drop consumed bytes once they dominate the buffer, so the amortised cost stays linear.
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > 4096 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

Status FrameDecoder::feed(const std::uint8_t* data, std::size_t size) {
  if (error_) return *error_;
  if (size > 0) buffer_.append(reinterpret_cast<const char*>(data), size);
  return checkHeaderAtOffset();
}

Result<std::optional<json>> FrameDecoder::next() {
  if (error_) return *error_;
  if (buffer_.size() - offset_ < kFrameHeaderBytes) return std::optional<json>{};
  auto n = lengthAtOffset();
  if (!n) return n.error();
  if (buffer_.size() - offset_ - kFrameHeaderBytes < *n) return std::optional<json>{};
  auto parsed =
      parseFramePayload(std::string_view(buffer_).substr(offset_ + kFrameHeaderBytes, *n));
  if (!parsed) {
    error_ = parsed.error();
    return *error_;
  }
  offset_ += kFrameHeaderBytes + *n;
  compact();
  return std::optional<json>{std::move(parsed).value()};
}

}  // namespace pb
