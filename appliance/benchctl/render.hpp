// SPDX-License-Identifier: Apache-2.0
// benchctl's human output: admin-socket results (JSON) in, text out. Pure functions, no I/O.
//
// Every string that came from the appliance is sanitised before it reaches the terminal: device
// identity is self-reported by untrusted hardware and must not smuggle escape sequences.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pb {

// Control characters become '?', so text cannot move the cursor or recolour the terminal.
std::string sanitizeForTerminal(std::string_view text);

// Columns padded to the widest cell (counted in code points), two spaces apart, no trailing
// blanks; a header row first.
std::string renderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// The columns and rows of the paged lists (devices, registry.list), shared by renderResult and
// PagedListPrinter (paged_list.hpp). Cells are sanitised.
std::vector<std::string> deviceListHeaders();
std::vector<std::string> deviceListRow(const nlohmann::json& device);
std::vector<std::string> registryListHeaders();
std::vector<std::string> registryListRow(const nlohmann::json& device);
// A device that is not ready: its reason code and what to do; nullopt otherwise.
std::optional<std::pair<std::string, std::string>> deviceRemedy(const nlohmann::json& device);

// The text for a successful result of the wire command `cmd`. fileLabel names the imported file
// as the admin typed it (registry.import), for FILE:LINE messages.
std::string renderResult(std::string_view cmd, const nlohmann::json& result,
                         std::string_view fileLabel = {});

// The text for a refused or failed request ({"ok": false, ...}): the code, its name and message,
// the catalogue's remedy, and for registry.import every row error as FILE:LINE: field: message.
std::string renderFailure(const nlohmann::json& response, std::string_view fileLabel = {});

// 0 ok; 1 the server said no, or `audit verify` found the chain broken.
int exitCodeForResponse(std::string_view cmd, const nlohmann::json& response);

// The reason-code catalogue: a plain listing, or the Markdown document committed as
// appliance/REASON_CODES.md ("# provbench reason codes", table code | name | meaning | what to do).
std::string renderReasons(bool markdown);
nlohmann::json reasonsJson();

}  // namespace pb
