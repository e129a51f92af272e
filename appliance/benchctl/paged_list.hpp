// SPDX-License-Identifier: Apache-2.0
// `benchctl devices` and `benchctl registry list` at any fleet size: the list is fetched page by
// page (the admin protocol's "limit"/"after"/"next") and printed as each page arrives, so neither
// side ever holds more than one page. No I/O of its own: the caller passes the request function.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "benchctl/cli.hpp"
#include "core/result.hpp"

namespace pb {

// Sends one request (the wire command with these args) and returns the complete response.
using PageCall = std::function<Result<nlohmann::json>(const nlohmann::json& args)>;

struct PagedListOutcome {
  int exitCode = 0;          // 0 ok; 1 the server refused a page; 3 the connection failed
  std::int64_t printed = 0;  // items written
};

// Prints inv.cmd ("devices" or "registry.list") with inv.args, at most inv.listLimit items (0:
// all), asking for pages of at most pageSize. Text: one table (columns sized by the first page),
// then the remedies and the total. --json: one JSON array, one item per line.
PagedListOutcome printPagedList(const Invocation& inv, const PageCall& call, int pageSize,
                                std::ostream& out, std::ostream& err);

}  // namespace pb
