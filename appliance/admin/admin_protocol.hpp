// SPDX-License-Identifier: Apache-2.0
// The admin socket's wire protocol, shared by the server (benchd) and the client (benchctl).
//
// Newline-delimited JSON over a Unix stream socket; one request line, then one response line;
// several requests may follow on one connection.
//   request:  {"cmd": "devices", "args": {"state": "quarantined"}}
//   response: {"ok": true, "result": <json>}
//             {"ok": false, "code": "PB-95xx", "error": "text"}   (registry.import adds "errors")
// Lists that grow with the fleet (devices, registry.list) are paged: args "limit" (1..
// kMaxAdminPageSize, default the maximum) and "after" (the previous page's cursor); the response
// adds "next": the cursor of the following page, or null on the last page.
//
// The command registry (admin_commands.hpp) is the single place that says which role a command
// needs and which arguments it accepts, so the server can refuse a request before any handler
// sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "admin/admin_commands.hpp"
#include "core/result.hpp"
#include "core/strict_json.hpp"  // parseBoundedJson

namespace pb {

// A registry file travels inside one request, so the limit is generous; it is still a limit.
inline constexpr std::size_t kMaxAdminRequestBytes = 32u * 1024u * 1024u;
inline constexpr std::size_t kMaxAdminResponseBytes = 32u * 1024u * 1024u;
// Requests are flat; this only stops pathological nesting from costing memory and time.
inline constexpr int kMaxAdminJsonDepth = 16;

struct AdminRequest {
  std::string cmd;
  nlohmann::json args = nlohmann::json::object();
};

// Parses one request line (without its newline). Strict: an object with a known "cmd" string and
// an optional "args" object holding only argument names the command accepts; nothing else, and
// no key twice at any level.
// Errors carry reason::kAdminBadRequest and say what is wrong.
Result<AdminRequest> parseAdminRequest(std::string_view line);

// One request line, newline included.
std::string encodeAdminRequest(std::string_view cmd, const nlohmann::json& args);

nlohmann::json okResponse(nlohmann::json result);
nlohmann::json errorResponse(std::string_view code, std::string_view message);

// Serialises a response as one line (newline included). Strings that are not valid UTF-8 (they
// can come from a device's self-reported identity) are repaired rather than throwing. A response
// over kMaxAdminResponseBytes is replaced by an internal-error response.
std::string encodeAdminResponse(const nlohmann::json& response);

// Checks the shape of a response line received by a client: an object with a boolean "ok", and
// "result" when ok, "code" and "error" strings when not. Errors carry the code "protocol".
Result<nlohmann::json> parseAdminResponse(std::string_view line);

}  // namespace pb
