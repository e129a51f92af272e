// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_commands.hpp"

#include <algorithm>
#include <array>

#include "core/device_state.hpp"

namespace pb {

namespace {
using nlohmann::json;
using T = AdminArgType;

// --- Arguments -----------------------------------------------------------------------------------
// Paged lists take a page size and the cursor of the previous page (keyset pagination by id).
constexpr AdminArgSpec kLimit{"limit", T::Integer,        false,
                              1,       kMaxAdminPageSize, "page size (default and maximum 1000)"};
constexpr AdminArgSpec kAfter{"after", T::Cursor, false, 0, 0, "the previous page's \"next\""};
constexpr AdminArgSpec kId{"id", T::DeviceId, true, 0, 0, "device id (dev-000001)"};
constexpr AdminArgSpec kReason{"reason", T::Reason, true, 0, 0, "why, for the audit log"};
constexpr AdminArgSpec kFileName{"file_name", T::FileName, true, 0, 0, "the file's base name"};
constexpr AdminArgSpec kContent{"content", T::Content, true, 0, 0, "the file's text"};

constexpr std::array<AdminArgSpec, 0> kNoArgs{};
constexpr std::array<AdminArgSpec, 3> kDevicesArgs{
    {{"state", T::State, false, 0, 0, "only devices in this state"}, kLimit, kAfter}};
constexpr std::array<AdminArgSpec, 2> kPageArgs{{kLimit, kAfter}};
constexpr std::array<AdminArgSpec, 1> kIdArg{{kId}};
constexpr std::array<AdminArgSpec, 2> kImportArgs{{kFileName, kContent}};
constexpr std::array<AdminArgSpec, 3> kApproveArgs{
    {kId,
     kReason,
     {"ttl_hours", T::Integer, false, 1, kMaxApprovalTtlHours,
      "approval lifetime (default: bench config)"}}};
constexpr std::array<AdminArgSpec, 2> kBlockArgs{{kId, kReason}};
constexpr std::array<AdminArgSpec, 1> kCountArg{
    {{"count", T::Integer, false, 1, kMaxAuditTail, "how many records (default 20)"}}};
constexpr std::array<AdminArgSpec, 1> kVerifyArgs{
    {{"full", T::Flag, false, 0, 0, "check every record"}}};
constexpr std::array<AdminArgSpec, 4> kPolicyLoadArgs{
    {kFileName,
     kContent,
     {"signature", T::Text, false, 0, 0, "detached signature (base64)"},
     {"dry_run", T::Flag, false, 0, 0, "change nothing"}}};

// --- benchctl options ----------------------------------------------------------------------------
constexpr std::array<AdminOptionSpec, 0> kNoOptions{};
constexpr std::array<AdminOptionSpec, 3> kDevicesOptions{{
    {"--state", "", "STATE", false, "only devices in STATE (see below)", "state"},
    {"--limit", "", "N", false, "show at most N devices (default: all)", ""},
    {"--all", "", "", false, "show every device (the default)", ""},
}};
constexpr std::array<AdminOptionSpec, 2> kListOptions{{
    {"--limit", "", "N", false, "show at most N devices (default: all)", ""},
    {"--all", "", "", false, "show every device (the default)", ""},
}};
constexpr std::array<AdminOptionSpec, 2> kApproveOptions{{
    {"--reason", "", "TEXT", true, "why the device may enroll (recorded in the audit log)",
     "reason"},
    {"--ttl-hours", "", "N", false, "approval lifetime in hours, 1..720 (default: bench config)",
     "ttl_hours"},
}};
constexpr std::array<AdminOptionSpec, 1> kReasonOption{{
    {"--reason", "", "TEXT", true, "why (recorded in the audit log)", "reason"},
}};
constexpr std::array<AdminOptionSpec, 1> kTailOptions{{
    {"--count", "-n", "N", false, "how many records, 1..1000 (default 20)", "count"},
}};
constexpr std::array<AdminOptionSpec, 1> kVerifyOptions{{
    {"--full", "", "", false, "check every record, not only those after the verified head", "full"},
}};
constexpr std::array<AdminOptionSpec, 2> kPolicyLoadOptions{{
    {"--sig", "", "FILE", false, "detached signature (default: FILE.sig if it exists)", ""},
    {"--dry-run", "", "", false, "validate and show what would change; change nothing", "dry_run"},
}};

// Read commands reveal inventory and audit data (ReadOnly); write commands change what the bench
// admits (Admin). A command missing here does not exist.
const std::array<AdminCommandSpec, 12> kCommands{{
    {"status", Role::ReadOnly, kNoArgs, "status", "", kNoOptions,
     "Show the appliance's status and device counts.", ""},
    {"devices", Role::ReadOnly, kDevicesArgs, "devices", "", kDevicesOptions,
     "List devices with their state and reason code.",
     "States: unseen (registered, never on the bench), discovered, identified, checked, attested,\n"
     "sealed, handed_off, ready, blocked, quarantined, failed, not_attestable.\n"
     "The list is fetched in pages of up to 1000 and printed as it arrives, so any fleet size\n"
     "works; with --json the output is one JSON array."},
    {"device.show", Role::ReadOnly, kIdArg, "device show", "ID", kNoOptions,
     "Show one device: register entry, state, remedy, sessions, approval, audit.",
     "ID is the device id shown by `benchctl devices` (dev-000001)."},
    {"registry.import", Role::Admin, kImportArgs, "registry import", "FILE", kNoOptions,
     "Import the asset register from a CSV (.csv) or YAML (.yaml, .yml) file.",
     "All rows or none: any problem is reported as FILE:LINE: field: message and nothing is\n"
     "imported. A serial that is already registered updates that device."},
    {"registry.list", Role::ReadOnly, kPageArgs, "registry list", "", kListOptions,
     "List the asset register.",
     "Fetched in pages of up to 1000 and printed as it arrives; with --json one JSON array."},
    {"approve", Role::Admin, kApproveArgs, "approve", "ID", kApproveOptions,
     "Approve a quarantined device, or one blocked with PB-1003 (approval required).",
     "The approval is bound to the device's identity and used by its next session."},
    {"block", Role::Admin, kBlockArgs, "block", "ID", kReasonOption,
     "Put a device on the block list.", ""},
    {"unblock", Role::Admin, kBlockArgs, "unblock", "ID", kReasonOption,
     "Take a device off the block list.", ""},
    {"audit.verify", Role::ReadOnly, kVerifyArgs, "audit verify", "", kVerifyOptions,
     "Verify the audit log's hash chain.",
     "Checks the records added since the last successful verification (the verified head, kept\n"
     "MACed in the database); --full checks the whole chain from record 1. Exits 1 when the\n"
     "chain is broken and says where."},
    {"audit.tail", Role::ReadOnly, kCountArg, "audit tail", "", kTailOptions,
     "Show the newest audit records.", ""},
    {"policy.show", Role::ReadOnly, kNoArgs, "policy show", "", kNoOptions,
     "Show the active policy: name, hash, signer, risk warnings and settings.", "", true},
    // A dry run changes nothing but still needs Admin: it reveals how every device would fare.
    {"policy.load", Role::Admin, kPolicyLoadArgs, "policy load", "FILE", kPolicyLoadOptions,
     "Validate, verify and load a policy; print the changes and affected devices.",
     "benchd checks every key (all errors at once), the signature against bench.yaml's\n"
     "policy.trusted_signers, then prints the changed settings (old -> new) and the devices\n"
     "whose admission verdict would change. Without --dry-run it applies the policy atomically:\n"
     "new sessions use it, sessions in progress finish under the old one.",
     true},
}};

bool hasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool isDeviceId(std::string_view s) {
  // "dev-" and at least six digits (deviceIdFor in the store).
  if (s.size() < 10 || s.size() > kMaxAdminIdBytes || s.substr(0, 4) != "dev-") return false;
  return std::all_of(s.begin() + 4, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One argument: its normalised value, or the error line. `present` is false when absent or null.
struct ArgCheck {
  json value;
  std::string error;
};

ArgCheck checkString(const std::string& cmd, const std::string& name, const json& v,
                     std::size_t maxBytes) {
  if (!v.is_string()) return {{}, cmd + ": \"" + name + "\" must be a string"};
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > maxBytes) {
    return {{}, cmd + ": \"" + name + "\" is longer than " + std::to_string(maxBytes) + " bytes"};
  }
  return {v, {}};
}

ArgCheck checkArg(const std::string& cmd, const AdminArgSpec& spec, const json& v) {
  const std::string name(spec.name);
  switch (spec.type) {
    case T::DeviceId: {
      ArgCheck c = checkString(cmd, name, v, kMaxAdminIdBytes);
      if (!c.error.empty()) return c;
      const auto& s = v.get_ref<const std::string&>();
      if (s.empty() || hasControlChars(s))
        return {{}, cmd + ": \"" + name + "\" must be a device id"};
      return c;
    }
    case T::Reason: {
      // An admin's free-text reason goes into the audit log: required, one line, bounded.
      ArgCheck c = checkString(cmd, name, v, kMaxAdminReasonBytes);
      if (!c.error.empty()) return c;
      std::string s(trim(v.get_ref<const std::string&>()));
      if (s.empty()) return {{}, cmd + ": \"" + name + "\" must not be empty"};
      if (hasControlChars(s)) return {{}, cmd + ": \"" + name + "\" must be one line of text"};
      return {json(std::move(s)), {}};
    }
    case T::FileName: {
      ArgCheck c = checkString(cmd, name, v, kMaxAdminFileNameBytes);
      if (!c.error.empty()) return c;
      const auto& s = v.get_ref<const std::string&>();
      if (s.empty() || hasControlChars(s))
        return {{}, cmd + ": \"" + name + "\" must be a file name"};
      return c;
    }
    case T::Content:
    case T::Text:
      if (!v.is_string()) return {{}, cmd + ": \"" + name + "\" must be a string"};
      return {v, {}};
    case T::Integer: {
      std::string range = std::to_string(spec.min) + ".." + std::to_string(spec.max);
      if (!v.is_number_integer()) {
        return {{}, cmd + ": \"" + name + "\" must be a whole number in " + range};
      }
      bool inRange = v.is_number_unsigned()
                         ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(spec.max) &&
                               static_cast<std::int64_t>(v.get<std::uint64_t>()) >= spec.min
                         : v.get<std::int64_t>() >= spec.min && v.get<std::int64_t>() <= spec.max;
      if (!inRange) return {{}, cmd + ": \"" + name + "\" must be in " + range};
      return {json(v.get<std::int64_t>()), {}};
    }
    case T::Flag:
      if (!v.is_boolean()) return {{}, cmd + ": \"" + name + "\" must be true or false"};
      return {v, {}};
    case T::State: {
      if (!v.is_string()) return {{}, cmd + ": \"" + name + "\" must be a string"};
      const auto& s = v.get_ref<const std::string&>();
      if (s != "unseen" && !deviceStateFromString(s)) {
        std::string shown = s.size() > 32 ? s.substr(0, 32) + "…" : s;
        return {{}, cmd + ": unknown state \"" + shown + "\"; valid states: " + adminStateNames()};
      }
      return {v, {}};
    }
    case T::Cursor:
      // The cursor is the id of the previous page's last device; anything else is refused rather
      // than silently restarting (or skipping) the listing.
      if (!v.is_string() || !isDeviceId(v.get_ref<const std::string&>())) {
        return {{}, cmd + ": \"" + name + "\" must be the \"next\" cursor of a previous page"};
      }
      return {v, {}};
  }
  return {{}, cmd + ": \"" + name + "\" is not understood"};
}

}  // namespace

std::string_view toString(Role role) {
  switch (role) {
    case Role::Admin:
      return "admin";
    case Role::ReadOnly:
      return "readonly";
    case Role::None:
      break;
  }
  return "none";
}

std::span<const AdminCommandSpec> adminCommands() {
  return kCommands;
}

const AdminCommandSpec* findAdminCommand(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const AdminArgSpec* findAdminArg(const AdminCommandSpec& command, std::string_view name) {
  for (const auto& a : command.args) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string adminStateNames() {
  std::string names = "unseen";
  for (int i = 0; i <= static_cast<int>(DeviceState::NotAttestable); ++i) {
    names += ", ";
    names += toString(static_cast<DeviceState>(i));
  }
  return names;
}

bool AdminArgs::has(std::string_view name) const {
  return values_.contains(name);
}

std::string AdminArgs::text(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> AdminArgs::integer(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

bool AdminArgs::flag(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->is_boolean() && it->get<bool>();
}

AdminArgsOrError validateAdminArgs(const AdminCommandSpec& command, const json& args) {
  const std::string cmd(command.name);
  json values = json::object();
  for (const auto& spec : command.args) {
    auto it = args.is_object() ? args.find(spec.name) : args.end();
    // Null is "not given" for optional arguments; a required one must be there (and typed).
    bool absent = it == args.end() || (it->is_null() && !spec.required);
    if (absent) {
      if (spec.required) {
        return {std::nullopt, cmd + ": missing argument \"" + std::string(spec.name) + "\""};
      }
      continue;
    }
    ArgCheck c = checkArg(cmd, spec, *it);
    if (!c.error.empty()) return {std::nullopt, std::move(c.error)};
    values[std::string(spec.name)] = std::move(c.value);
  }
  return {AdminArgs(std::move(values)), {}};
}

}  // namespace pb
