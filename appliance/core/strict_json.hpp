// SPDX-License-Identifier: Apache-2.0
// One JSON parser for untrusted input (agent frames, admin requests): it refuses an object that
// names the same key twice. nlohmann-json silently keeps the last value, so {"id":"a","id":"b"}
// would mean one thing to a checker that reads the first key and another to the parser — a
// classic smuggling vector. Callers keep their own size and nesting bounds and apply them first.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

// Parses `text` as one JSON document. Errors (code "parse"): "not valid JSON", or
// "duplicate key \"k\"" (the key shortened to 64 bytes, control characters as '?').
// Never throws on input.
Result<nlohmann::json> parseJsonRejectingDuplicateKeys(std::string_view text);

}  // namespace pb
