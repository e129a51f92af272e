// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_protocol.hpp"

#include "core/reasons.hpp"
#include "core/strict_json.hpp"

namespace pb {

namespace {
using nlohmann::json;

Error badRequest(std::string message) {
  return makeError(std::string(reason::kAdminBadRequest), std::move(message));
}

std::string dumpLine(const json& j) {
  // replace: a device's self-reported identity may hold invalid UTF-8; never throw on output.
  std::string out = j.dump(-1, ' ', false, json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}
}  // namespace

Result<AdminRequest> parseAdminRequest(std::string_view line) {
  if (line.size() > kMaxAdminRequestBytes) {
    return badRequest("request larger than " + std::to_string(kMaxAdminRequestBytes) + " bytes");
  }
  auto parsed = parseBoundedJson(line, kMaxAdminJsonDepth);
  if (!parsed) return badRequest("malformed request: " + parsed.error().message);
  json& j = *parsed;
  if (!j.is_object()) return badRequest("malformed request: expected a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "cmd" && key != "args")
      return badRequest("malformed request: unknown field \"" + key + "\"");
  }
  auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string()) {
    return badRequest("malformed request: \"cmd\" must be a string");
  }
  const AdminCommandSpec* spec = findAdminCommand(cmd->get_ref<const std::string&>());
  if (spec == nullptr) {
    std::string name = cmd->get<std::string>();
    if (name.size() > 64) name = name.substr(0, 64) + "…";
    return badRequest("unknown command \"" + name + "\"");
  }
  AdminRequest req;
  req.cmd = std::string(spec->name);
  if (auto args = j.find("args"); args != j.end()) {
    if (!args->is_object()) return badRequest(req.cmd + ": \"args\" must be an object");
    for (const auto& [key, value] : args->items()) {
      if (findAdminArg(*spec, key) == nullptr) {
        std::string k = key.size() > 64 ? key.substr(0, 64) + "…" : key;
        return badRequest(req.cmd + ": unknown argument \"" + k + "\"");
      }
    }
    req.args = std::move(*args);
  }
  return req;
}

std::string encodeAdminRequest(std::string_view cmd, const json& args) {
  return dumpLine(json{{"cmd", cmd}, {"args", args}});
}

json okResponse(json result) {
  return json{{"ok", true}, {"result", std::move(result)}};
}

json errorResponse(std::string_view code, std::string_view message) {
  return json{{"ok", false}, {"code", code}, {"error", message}};
}

std::string encodeAdminResponse(const json& response) {
  std::string line = dumpLine(response);
  if (line.size() > kMaxAdminResponseBytes) {
    return dumpLine(errorResponse(reason::kInternalError,
                                  "the response is larger than the admin protocol allows (" +
                                      std::to_string(kMaxAdminResponseBytes) +
                                      " bytes); narrow the request"));
  }
  return line;
}

Result<json> parseAdminResponse(std::string_view line) {
  if (line.size() > kMaxAdminResponseBytes) {
    return makeError("protocol",
                     "response larger than " + std::to_string(kMaxAdminResponseBytes) + " bytes");
  }
  // Responses nest deeper than requests (device.show embeds sessions and audit details).
  auto parsed = parseBoundedJson(line, 64);
  if (!parsed) return makeError("protocol", "malformed response: " + parsed.error().message);
  json& j = *parsed;
  auto ok = j.is_object() ? j.find("ok") : j.end();
  if (ok == j.end() || !ok->is_boolean()) {
    return makeError("protocol", "malformed response: no boolean \"ok\"");
  }
  if (ok->get<bool>()) {
    if (!j.contains("result")) return makeError("protocol", "malformed response: no \"result\"");
  } else {
    auto code = j.find("code");
    auto error = j.find("error");
    if (code == j.end() || !code->is_string() || error == j.end() || !error->is_string()) {
      return makeError("protocol", "malformed response: error without \"code\" and \"error\"");
    }
  }
  return std::move(j);
}

}  // namespace pb
