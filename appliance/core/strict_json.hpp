// SPDX-License-Identifier: Apache-2.0
// One JSON parser for untrusted input (agent frames, admin requests): it refuses an object that
// names the same key twice. nlohmann-json silently keeps the last value, so {"id":"a","id":"b"}
// would mean one thing to a checker that reads the first key and another to the parser — a
// classic smuggling vector. Callers keep their own size bound and apply it first; read the
// parsed document with core/json_reader.hpp.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

// Parses `text` as one JSON document. Errors (code "parse"): "not valid JSON", or
// "duplicate key \"k\"" (the key shortened to 64 bytes, control characters as '?').
// Never throws on input.
Result<nlohmann::json> parseJsonRejectingDuplicateKeys(std::string_view text);

// Depth of the deepest container in `text`, counting brackets outside strings; stops counting
// (returns limit + 1) as soon as `limit` is exceeded. Exact for valid JSON, which is all that
// matters: invalid JSON is rejected by the parser anyway.
int jsonNestingDepth(std::string_view text, int limit);

// The depth scan, then parseJsonRejectingDuplicateKeys: the one entry point for untrusted JSON
// text (admin requests and responses, facts files). A document nested deeper than maxDepth
// ("JSON nested deeper than N levels") costs nothing to refuse.
Result<nlohmann::json> parseBoundedJson(std::string_view text, int maxDepth);

}  // namespace pb
