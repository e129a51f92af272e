// SPDX-License-Identifier: Apache-2.0
// The admin command registry: the one place that describes an admin command. Each entry names the
// command, the role it needs, its typed arguments (with their bounds and help), and how benchctl
// presents it (words, positional argument, options, summary). From it:
//   - the server refuses unknown commands and argument names before any handler runs
//     (parseAdminRequest) and checks the caller's role (AdminServer);
//   - the handler validates the typed arguments into an AdminArgs view (validateAdminArgs) and
//     dispatches to the command's handler (admin_handler.cpp, a table keyed by name);
//   - benchctl builds its command line, `benchctl --help` and each command's help (cli.cpp), and
//     renders the result (render.cpp, a table keyed by name).
// Adding a command is one entry here plus its handler and its renderer; the admin and benchctl
// tests fail when a registered command lacks either.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pb {

// What a caller may do. Ordered: a higher role can do everything a lower one can.
enum class Role { None = 0, ReadOnly = 1, Admin = 2 };

std::string_view toString(Role role);

inline constexpr int kMaxApprovalTtlHours = 720;
inline constexpr int kMaxAuditTail = 1000;
inline constexpr std::size_t kMaxAdminReasonBytes = 1024;
inline constexpr std::size_t kMaxAdminIdBytes = 64;
inline constexpr std::size_t kMaxAdminFileNameBytes = 255;
// The largest page of a paged list; a device is about 1 KB of JSON, so a page stays far below
// kMaxAdminResponseBytes however large the fleet.
inline constexpr int kMaxAdminPageSize = 1000;

enum class AdminArgType {
  DeviceId,  // a device id: 1..64 bytes, no control characters
  Reason,    // the admin's free text for the audit log: trimmed, one line, 1..1024 bytes
  FileName,  // a file's base name: 1..255 bytes, no control characters
  Content,   // a file's text (bounded by the request size)
  Text,      // any string (bounded by the request size)
  Integer,   // a whole number in min..max
  Flag,      // true or false
  State,     // a device state name, or "unseen"
  Cursor,    // the "next" cursor of a previous page (a device id)
};

struct AdminArgSpec {
  std::string_view name;  // the wire name, "ttl_hours"
  AdminArgType type;
  bool required = false;
  std::int64_t min = 0;  // Integer bounds
  std::int64_t max = 0;
  std::string_view help;
};

// One benchctl option of a command. `arg` names the wire argument it sets, or is "" when benchctl
// handles the option itself (--limit pages the listing, --sig reads a file).
struct AdminOptionSpec {
  std::string_view name;       // "--reason"
  std::string_view shortName;  // "-n", or ""
  std::string_view value;      // "TEXT"; "" for a flag
  bool required;
  std::string_view help;
  std::string_view arg;
};

struct AdminCommandSpec {
  std::string_view name;  // the wire name, "device.show"
  Role requiredRole;
  std::span<const AdminArgSpec> args;  // the arguments the command accepts, in checking order
  // How benchctl presents it.
  std::string_view words;       // "device show"
  std::string_view positional;  // "ID", "FILE" or ""
  std::span<const AdminOptionSpec> options;
  std::string_view summary;
  std::string_view details;
  // Handled by benchd's policy manager (which checks these arguments itself), not by the store
  // handler.
  bool policyCommand = false;
};

// Every admin command, in the order `benchctl --help` lists them.
std::span<const AdminCommandSpec> adminCommands();
// nullptr for an unknown command.
const AdminCommandSpec* findAdminCommand(std::string_view name);
// The spec of one argument of a command; nullptr when it takes no such argument.
const AdminArgSpec* findAdminArg(const AdminCommandSpec& command, std::string_view name);

// The arguments of one request after validateAdminArgs: every value has its declared type.
class AdminArgs {
 public:
  AdminArgs() = default;
  explicit AdminArgs(nlohmann::json values) : values_(std::move(values)) {}
  [[nodiscard]] bool has(std::string_view name) const;
  // "" when absent.
  [[nodiscard]] std::string text(std::string_view name) const;
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name) const;
  [[nodiscard]] bool flag(std::string_view name) const;

 private:
  nlohmann::json values_ = nlohmann::json::object();
};

// Checks a request's arguments against the command's typed arguments, in declared order: the
// first problem is returned as one line, "approve: missing argument \"id\"",
// "audit.tail: \"count\" must be in 1..1000", … (for an error response with
// reason::kAdminBadRequest).
struct AdminArgsOrError {
  std::optional<AdminArgs> args;
  std::string error;
};
AdminArgsOrError validateAdminArgs(const AdminCommandSpec& command, const nlohmann::json& args);

// The device states a `devices --state` filter accepts, comma-separated.
std::string adminStateNames();

}  // namespace pb
