// SPDX-License-Identifier: Apache-2.0
// Fuzzes the admin socket's parsers: a request line as benchd receives it from any local user,
// and a response line as benchctl receives it. Neither may crash, hang or throw; an accepted
// request must survive
// a re-encode round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "admin/admin_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto request = pb::parseAdminRequest(line);
  if (request) {
    const pb::AdminCommandSpec* spec = pb::findAdminCommand(request->cmd);
    if (spec == nullptr || !request->args.is_object()) std::abort();
    std::string encoded = pb::encodeAdminRequest(request->cmd, request->args);
    auto again = pb::parseAdminRequest(std::string_view(encoded).substr(0, encoded.size() - 1));
    // Arguments are not compared: an overflowing number parses as infinity and re-encodes as null.
    if (!again || again->cmd != request->cmd) std::abort();
    // Echoing the arguments back must produce a well-formed response line.
    std::string response = pb::encodeAdminResponse(pb::okResponse(request->args));
    if (!pb::parseAdminResponse(std::string_view(response).substr(0, response.size() - 1)))
      std::abort();
  }
  (void)pb::parseAdminResponse(line);
  return 0;
}
