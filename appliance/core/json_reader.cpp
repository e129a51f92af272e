// SPDX-License-Identifier: Apache-2.0
#include "core/json_reader.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace pb {

namespace {
using nlohmann::json;

// Unknown keys are untrusted text: only a short prefix of one reaches the error.
constexpr std::size_t kMaxKeyShown = 32;
}  // namespace

std::string shownJsonText(std::string_view text, std::size_t maxBytes) {
  std::string out(text.substr(0, maxBytes));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (text.size() > maxBytes) out += "...";
  return out;
}

std::string jsonIndexPath(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

JsonObjectReader::JsonObjectReader(const json& j, std::string path, JsonReadRules rules)
    : JsonObjectReader(j, std::move(path), std::move(rules),
                       std::make_shared<std::optional<Error>>()) {}

JsonObjectReader::JsonObjectReader(const json& j, std::string path, JsonReadRules rules,
                                   std::shared_ptr<std::optional<Error>> slot)
    : j_(j), path_(std::move(path)), rules_(std::move(rules)), slot_(std::move(slot)) {
  if (!j_.is_object()) fail(path_, "not an object");
}

std::string JsonObjectReader::path(std::string_view key) const {
  return path_ + "." + std::string(key);
}

JsonObjectReader JsonObjectReader::child(const json& j, std::string path) const {
  return JsonObjectReader(j, std::move(path), rules_, slot_);
}

void JsonObjectReader::fail(const std::string& where, std::string_view what) {
  if (!slot_->has_value()) *slot_ = makeError(rules_.errorCode, where + ": " + std::string(what));
}

void JsonObjectReader::adopt(const std::optional<Error>& e) {
  if (!slot_->has_value() && e) *slot_ = e;
}

const json* JsonObjectReader::find(std::string_view key, bool required) {
  seen_.emplace_back(key);
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(key);
  if (it == j_.end() || (it->is_null() && !required)) {
    if (required) fail(path(key), "missing");
    return nullptr;
  }
  return &*it;
}

std::string JsonObjectReader::checkString(const json& v, const std::string& where) {
  if (!v.is_string()) {
    fail(where, "not a string");
    return {};
  }
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > rules_.maxString) {
    fail(where, "longer than " + std::to_string(rules_.maxString) + " bytes");
    return {};
  }
  return s;
}

std::int64_t JsonObjectReader::checkInteger(const json& v, const std::string& where,
                                            std::int64_t min, std::int64_t max) {
  if (!v.is_number_integer()) {
    fail(where, "not an integer");
    return 0;
  }
  // Both signed and unsigned storage are possible; compare in the type the value has.
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (max < 0 || u > static_cast<std::uint64_t>(max) ||
        (min > 0 && u < static_cast<std::uint64_t>(min))) {
      fail(where, "out of range");
      return 0;
    }
    return static_cast<std::int64_t>(u);
  }
  auto s = v.get<std::int64_t>();
  if (s < min || s > max) {
    fail(where, "out of range");
    return 0;
  }
  return s;
}

std::uint64_t JsonObjectReader::checkUnsigned(const json& v, const std::string& where,
                                              std::uint64_t max) {
  if (!v.is_number_integer()) {
    fail(where, "not an integer");
    return 0;
  }
  if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0) {
    fail(where, "out of range");
    return 0;
  }
  auto u = v.get<std::uint64_t>();
  if (u > max) {
    fail(where, "out of range");
    return 0;
  }
  return u;
}

std::string JsonObjectReader::string(std::string_view key) {
  const json* v = find(key);
  return v ? checkString(*v, path(key)) : std::string();
}

std::optional<std::string> JsonObjectReader::optionalString(std::string_view key) {
  const json* v = find(key, false);
  if (!v) return std::nullopt;
  return checkString(*v, path(key));
}

std::string JsonObjectReader::enumerated(std::string_view key,
                                         std::span<const std::string_view> allowed) {
  std::string s = string(key);
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    fail(path(key), "unknown value");
    return {};
  }
  return s;
}

std::optional<bool> JsonObjectReader::optionalBool(std::string_view key) {
  const json* v = find(key, false);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(path(key), "not a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

bool JsonObjectReader::boolean(std::string_view key) {
  const json* v = find(key);
  if (!v) return false;
  if (!v->is_boolean()) {
    fail(path(key), "not a boolean");
    return false;
  }
  return v->get<bool>();
}

std::int64_t JsonObjectReader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  const json* v = find(key);
  return v ? checkInteger(*v, path(key), min, max) : 0;
}

std::optional<std::int64_t> JsonObjectReader::optionalInteger(std::string_view key,
                                                              std::int64_t min, std::int64_t max) {
  const json* v = find(key, false);
  if (!v) return std::nullopt;
  std::int64_t n = checkInteger(*v, path(key), min, max);
  if (failed()) return std::nullopt;
  return n;
}

Bytes JsonObjectReader::hex(std::string_view key, std::size_t maxBytes) {
  const json* v = find(key);
  if (!v) return {};
  const std::string where = path(key);
  if (!v->is_string()) {
    fail(where, "not a string");
    return {};
  }
  const auto& s = v->get_ref<const std::string&>();
  // Checked before decoding, so an over-long value costs nothing.
  if (s.size() > maxBytes * 2) {
    fail(where, "longer than " + std::to_string(maxBytes) + " bytes");
    return {};
  }
  auto b = fromHex(s);
  if (!b) {
    fail(where, "not hex");
    return {};
  }
  return std::move(*b);
}

const json* JsonObjectReader::array(std::string_view key, std::size_t maxItems) {
  const json* v = find(key);
  if (!v) return nullptr;
  if (!v->is_array()) {
    fail(path(key), "not an array");
    return nullptr;
  }
  if (v->size() > maxItems) {
    fail(path(key), "more than " + std::to_string(maxItems) + " entries");
    return nullptr;
  }
  return v;
}

const json* JsonObjectReader::objectValue(std::string_view key) {
  const json* v = find(key);
  if (!v) return nullptr;
  if (!v->is_object()) {
    fail(path(key), "not an object");
    return nullptr;
  }
  return v;
}

std::optional<Error> JsonObjectReader::finish() {
  if (!slot_->has_value() && !rules_.allowUnknownKeys && j_.is_object()) {
    for (const auto& [key, value] : j_.items()) {
      if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
        fail(path_, "unknown key \"" + shownJsonText(key, kMaxKeyShown) + "\"");
        break;
      }
    }
  }
  return *slot_;
}

}  // namespace pb
