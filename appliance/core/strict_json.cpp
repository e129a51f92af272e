// SPDX-License-Identifier: Apache-2.0
#include "core/strict_json.hpp"

#include <exception>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace pb {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxKeyShown = 64;

// The key goes into error messages that reach logs and the peer: bounded, no control bytes.
std::string shownKey(const std::string& key) {
  std::string out = key.substr(0, kMaxKeyShown);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (key.size() > kMaxKeyShown) out += "...";
  return out;
}

}  // namespace

Result<json> parseJsonRejectingDuplicateKeys(std::string_view text) {
  // One key set per open object. Depth is bounded by the caller's nesting scan and the total
  // number of keys by the text's size, so this costs at most a copy of the keys.
  std::vector<std::unordered_set<std::string>> open;
  std::optional<std::string> duplicate;
  json::parser_callback_t onEvent = [&](int /*depth*/, json::parse_event_t event,
                                        json& parsed) -> bool {
    switch (event) {
      case json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!duplicate && !open.empty() && parsed.is_string() &&
            !open.back().insert(parsed.get<std::string>()).second) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), onEvent, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    // allow_exceptions=false covers syntax errors; this catches anything else the library throws.
    return makeError("parse", "not valid JSON");
  }
  if (doc.is_discarded()) return makeError("parse", "not valid JSON");
  if (duplicate) return makeError("parse", "duplicate key \"" + shownKey(*duplicate) + "\"");
  return doc;
}

int jsonNestingDepth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool inString = false;
  bool escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        break;
      case '{':
      case '[':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return limit + 1;
        }
        break;
      case '}':
      case ']':
        // Unbalanced closers only occur in invalid JSON, which the parser rejects.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

Result<json> parseBoundedJson(std::string_view text, int maxDepth) {
  // Scan nesting before parsing so a deeply nested document costs nothing to refuse.
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    return makeError("parse", "JSON nested deeper than " + std::to_string(maxDepth) + " levels");
  }
  // Duplicate keys are refused: {"cmd":"status","cmd":"block"} must not mean whatever the last
  // one says.
  return parseJsonRejectingDuplicateKeys(text);
}

}  // namespace pb
