// SPDX-License-Identifier: Apache-2.0
// The one reader for untrusted JSON (agent messages, device facts, attestation messages, the
// agent's attestation responder, admin arguments). Parse with parseStrictJson (size and nesting
// bounds, duplicate keys refused), then read each object through a JsonObjectReader:
//
//   JsonReadRules rules{.errorCode = "PB-1101", .maxString = 256};
//   JsonObjectReader r(doc, "$", rules);           // "hello" for agent messages, "facts", …
//   std::string serial = r.string("serial");       // "$.serial: missing" / "not a string" / …
//   if (const auto* macs = r.array("macs", 16)) …  // "$.macs: more than 16 entries"
//   Bytes ek = r.hex("ek_pub", 1024);              // "$.ek_pub: not hex"
//   if (auto e = r.finish()) return *e;            // unknown keys, when the rules refuse them
//
// Every error names the JSON path of the offending value ("$.facts.amt.hashes[3].hash: not 64
// lower-case hex digits"), carries the rules' error code, and is the first error met: a reader
// reads like the schema it enforces instead of a ladder of early returns. Readers of nested
// objects share their parent's error slot (object(), element()), so one finish() at the top
// reports the first problem anywhere below.
//
// Untrusted text never reaches an error beyond a short, control-character-free prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

// How one schema treats what the peer sent.
struct JsonReadRules {
  std::string errorCode;        // the Error code of every failure (a PB reason code)
  std::size_t maxString = 256;  // longest string value, in bytes
  // Absent (or null) fields: an error ("missing") when true, the type's empty value when false.
  bool absentIsError = true;
  // Keys the reader never asked for: refused by finish() when false. Agent messages allow them
  // (a newer peer may add fields); files and admin arguments do not.
  bool allowUnknownKeys = true;
};

// A path segment helper: "path[i]".
std::string jsonIndexPath(const std::string& path, std::size_t i);

class JsonObjectReader {
 public:
  // Reads `j` (which must be an object: otherwise "<path>: not an object") at `path`.
  JsonObjectReader(const nlohmann::json& j, std::string path, JsonReadRules rules);

  [[nodiscard]] const std::string& where() const { return path_; }
  [[nodiscard]] std::string path(std::string_view key) const;

  // The value under `key`, or nullptr when it is absent (or null, unless `required`, when null is
  // returned as a value so the type check names it). A required absent key fails "missing".
  const nlohmann::json* find(std::string_view key, bool required);
  // find() with the rules' absentIsError.
  const nlohmann::json* find(std::string_view key) { return find(key, rules_.absentIsError); }

  std::string string(std::string_view key);
  std::optional<std::string> optionalString(std::string_view key);
  // One of `allowed` ("unknown value" otherwise; absent reads as "").
  std::string enumerated(std::string_view key, std::span<const std::string_view> allowed);
  bool boolean(std::string_view key);
  std::optional<bool> optionalBool(std::string_view key);
  // A whole number in min..max ("not an integer", "out of range"); 0 when absent or bad.
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optionalInteger(std::string_view key, std::int64_t min,
                                              std::int64_t max);
  // Hex text of at most maxBytes bytes ("not a string", "longer than N bytes", "not hex").
  Bytes hex(std::string_view key, std::size_t maxBytes);
  // An array of at most maxItems entries ("not an array", "more than N entries"); nullptr when
  // absent or bad.
  const nlohmann::json* array(std::string_view key, std::size_t maxItems);
  // An object ("not an object"); nullptr when absent or bad.
  const nlohmann::json* objectValue(std::string_view key);

  // A reader for a nested value, sharing this reader's error slot and rules.
  JsonObjectReader child(const nlohmann::json& j, std::string path) const;

  // Checks of values already found (array elements), at an explicit path.
  std::string checkString(const nlohmann::json& v, const std::string& where);
  std::int64_t checkInteger(const nlohmann::json& v, const std::string& where, std::int64_t min,
                            std::int64_t max);
  std::uint64_t checkUnsigned(const nlohmann::json& v, const std::string& where, std::uint64_t max);

  // Records an error at `where` (only the first one counts).
  void fail(const std::string& where, std::string_view what);
  void adopt(const std::optional<Error>& e);

  [[nodiscard]] bool failed() const { return slot_->has_value(); }
  [[nodiscard]] const std::optional<Error>& error() const { return *slot_; }
  // The first error, after refusing keys nobody asked for (unless the rules allow them).
  std::optional<Error> finish();

 private:
  JsonObjectReader(const nlohmann::json& j, std::string path, JsonReadRules rules,
                   std::shared_ptr<std::optional<Error>> slot);

  const nlohmann::json& j_;
  std::string path_;
  JsonReadRules rules_;
  std::vector<std::string> seen_;
  std::shared_ptr<std::optional<Error>> slot_;
};

// Text shown in an error: at most maxBytes bytes, control characters as '?', "..." when cut.
std::string shownJsonText(std::string_view text, std::size_t maxBytes);

}  // namespace pb
