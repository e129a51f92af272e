// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_handler.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/reasons.hpp"
#include "registry/registry_import.hpp"

namespace pb {

namespace {
using nlohmann::json;

constexpr std::size_t kMaxIdBytes = 64;
constexpr std::size_t kMaxFileNameBytes = 255;
constexpr int kShowSessions = 10;
constexpr int kShowAuditRecords = 20;

json badRequest(const std::string& message) {
  return errorResponse(reason::kAdminBadRequest, message);
}
json notFound(const std::string& id) {
  return errorResponse(reason::kAdminNotFound, "no device with id \"" + id + "\"");
}
json conflict(const std::string& message) {
  return errorResponse(reason::kAdminConflict, message);
}

// Store errors keep their reason code when they have one; anything else is internal.
json storeError(const std::string& what, const Error& e) {
  bool reasonCode = e.code.rfind("PB-", 0) == 0;
  return errorResponse(reasonCode ? std::string_view(e.code) : reason::kInternalError,
                       what + ": " + e.message);
}

json timeOrNull(std::int64_t t) {
  return t == 0 ? json(nullptr) : json(formatUtc(t));
}

bool hasControlChars(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Argument readers: Result<T> with the complete error response in the error message would be
// awkward, so they return the response to send (nullopt when the argument is fine).
std::optional<json> readString(const json& args, const std::string& cmd, const char* name,
                               std::size_t maxBytes, std::string& out) {
  auto it = args.find(name);
  if (it == args.end()) return badRequest(cmd + ": missing argument \"" + name + "\"");
  if (!it->is_string()) return badRequest(cmd + ": \"" + name + "\" must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > maxBytes) {
    return badRequest(cmd + ": \"" + name + "\" is longer than " + std::to_string(maxBytes) +
                      " bytes");
  }
  out = s;
  return std::nullopt;
}

std::optional<json> readId(const json& args, const std::string& cmd, std::string& out) {
  if (auto e = readString(args, cmd, "id", kMaxIdBytes, out)) return e;
  if (out.empty() || hasControlChars(out)) return badRequest(cmd + ": \"id\" must be a device id");
  return std::nullopt;
}

// An admin's free-text reason goes into the audit log: required, one line, bounded.
std::optional<json> readReason(const json& args, const std::string& cmd, std::string& out) {
  if (auto e = readString(args, cmd, "reason", kMaxAdminReasonBytes, out)) return e;
  out = std::string(trim(out));
  if (out.empty()) return badRequest(cmd + ": \"reason\" must not be empty");
  if (hasControlChars(out)) return badRequest(cmd + ": \"reason\" must be one line of text");
  return std::nullopt;
}

std::optional<json> readOptionalInt(const json& args, const std::string& cmd, const char* name,
                                    std::int64_t min, std::int64_t max, std::int64_t& out) {
  auto it = args.find(name);
  if (it == args.end() || it->is_null()) return std::nullopt;
  std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (!it->is_number_integer()) {
    return badRequest(cmd + ": \"" + name + "\" must be a whole number in " + range);
  }
  bool inRange = it->is_number_unsigned()
                     ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(max) &&
                           static_cast<std::int64_t>(it->get<std::uint64_t>()) >= min
                     : it->get<std::int64_t>() >= min && it->get<std::int64_t>() <= max;
  if (!inRange) return badRequest(cmd + ": \"" + name + "\" must be in " + range);
  out = it->get<std::int64_t>();
  return std::nullopt;
}

// A page request: its size and cursor, or the response to send when they are invalid.
struct PageRequest {
  int limit = kMaxAdminPageSize;
  std::string after;
};

bool isDeviceId(std::string_view s) {
  // "dev-" and at least six digits (deviceIdFor in the store).
  if (s.size() < 10 || s.size() > kMaxIdBytes || s.substr(0, 4) != "dev-") return false;
  return std::all_of(s.begin() + 4, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<json> readPage(const json& args, const std::string& cmd, PageRequest& out) {
  std::int64_t limit = kMaxAdminPageSize;
  if (auto e = readOptionalInt(args, cmd, "limit", 1, kMaxAdminPageSize, limit)) return e;
  out.limit = static_cast<int>(limit);
  if (auto it = args.find("after"); it != args.end() && !it->is_null()) {
    // The cursor is the id of the previous page's last device; anything else is refused rather
    // than silently restarting (or skipping) the listing.
    if (!it->is_string() || !isDeviceId(it->get_ref<const std::string&>())) {
      return badRequest(cmd + ": \"after\" must be the \"next\" cursor of a previous page");
    }
    out.after = it->get<std::string>();
  }
  return std::nullopt;
}

// One page as a response: the items, and "next" when more may follow (one row past the page was
// asked for, so the last page says null rather than leading to an empty one).
template <class ToJson>
json pageResponse(std::vector<DeviceRecord>& rows, int limit, ToJson toJson) {
  json next = nullptr;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    next = rows.back().id;
  }
  json items = json::array();
  for (const auto& d : rows) items.push_back(toJson(d));
  json response = okResponse(std::move(items));
  response["next"] = std::move(next);
  return response;
}

json rowErrorToJson(const RowError& e) {
  return json{{"line", e.line}, {"field", e.field}, {"message", e.message}};
}

std::string validStateNames() {
  std::string names = "unseen";
  for (int i = 0; i <= static_cast<int>(DeviceState::NotAttestable); ++i) {
    names += ", ";
    names += toString(static_cast<DeviceState>(i));
  }
  return names;
}

}  // namespace

json registryToJson(const DeviceRecord& d) {
  const RegistryRow& r = d.registry;
  return json{{"id", d.id},
              {"serial", r.serial},
              {"smbios_uuid", r.smbiosUuid},
              {"model", r.model},
              {"owner", r.owner},
              {"owner_email", r.ownerEmail},
              {"tenant", r.tenant},
              {"ek_sha256", r.ekSha256},
              {"window_from", formatUtc(r.windowFrom)},
              {"window_until", formatUtc(r.windowUntil)},
              {"created_at", timeOrNull(d.createdAt)},
              {"updated_at", timeOrNull(d.updatedAt)}};
}

json deviceToJson(const DeviceRecord& d) {
  json j = registryToJson(d);
  const Reason* why = d.reasonCode.empty() ? nullptr : findReason(d.reasonCode);
  j["blocked"] = d.blocked;
  j["block_reason"] = d.blockReason;
  j["state"] = d.state ? std::string(toString(*d.state)) : std::string("unseen");
  j["reason_code"] = d.reasonCode;
  j["reason"] = why != nullptr ? std::string(why->explanation) : std::string();
  j["remediation"] = why != nullptr ? std::string(why->remediation) : std::string();
  j["retryable"] = d.retryable;
  j["slot"] = d.slot;
  j["state_since"] = timeOrNull(d.stateSince);
  j["enrolled_at"] = timeOrNull(d.enrolledAt);
  j["bound_ek_sha256"] = d.boundEkSha256;
  j["last_session_id"] = d.lastSessionId;
  return j;
}

json sessionToJson(const SessionRecord& s) {
  return json{{"id", s.id},
              {"device_id", s.deviceId},
              {"source", s.source},
              {"slot", s.slot},
              {"identity", s.identity},
              {"state", toString(s.state)},
              {"reason_code", s.reasonCode},
              {"retryable", s.retryable},
              {"open", s.open},
              {"policy_hash", s.policyHash},
              {"started_at", timeOrNull(s.startedAt)},
              {"updated_at", timeOrNull(s.updatedAt)}};
}

json approvalToJson(const Approval& a) {
  return json{{"id", a.id},
              {"device_id", a.deviceId},
              {"serial", a.serial},
              {"smbios_uuid", a.smbiosUuid},
              {"answers_code", a.answersCode},
              {"approved_by", a.approvedBy},
              {"reason", a.reason},
              {"created_at", timeOrNull(a.createdAt)},
              {"expires_at", timeOrNull(a.expiresAt)},
              {"consumed_at", timeOrNull(a.consumedAt)}};
}

json checkRunToJson(const CheckRun& run) {
  json checks = json::array();
  for (const auto& c : run.checks) {
    checks.push_back(json{{"id", c.checkId},
                          {"outcome", c.outcome},
                          {"code", c.code},
                          {"message", c.message},
                          {"remediation", c.remediation}});
  }
  return json{{"session_id", run.sessionId},
              {"policy_hash", run.policyHash},
              {"recorded_at", timeOrNull(run.recordedAt)},
              {"results", std::move(checks)}};
}

json auditRecordToJson(const AuditRecord& r) {
  return json{{"seq", r.seq},
              {"time", timeOrNull(r.time)},
              {"actor", r.actor},
              {"action", r.action},
              {"device_id", r.deviceId},
              {"session_id", r.sessionId},
              {"before", r.before},
              {"after", r.after},
              {"reason", r.reason},
              {"policy_hash", r.policyHash},
              {"details", r.details},
              {"prev_hash", r.prevHash},
              {"hash", r.hash}};
}

json auditReportToJson(const AuditVerifyReport& r) {
  return json{{"ok", r.ok},
              {"records", r.records},
              {"first_bad_seq", r.firstBadSeq},
              {"problem", r.problem},
              {"head_hash", r.headHash},
              {"head_seq", r.headSeq},
              {"full", r.full},
              {"verified_before", r.fromSeq - 1}};
}

StoreAdminHandler::StoreAdminHandler(Store& store, const Clock& clock,
                                     std::function<json()> statusProvider,
                                     StoreAdminHandlerOptions options)
    : store_(store), clock_(clock), statusProvider_(std::move(statusProvider)), options_(options) {
  if (options_.defaultApprovalTtlHours < 1 ||
      options_.defaultApprovalTtlHours > kMaxApprovalTtlHours) {
    throw std::invalid_argument("defaultApprovalTtlHours must be 1..720");
  }
}

json StoreAdminHandler::handle(const AdminCall& call) {
  const std::string actor = "uid:" + std::to_string(call.uid);
  const json& a = call.args;
  if (call.cmd == "status") return status();
  if (call.cmd == "devices") return devices(a);
  if (call.cmd == "device.show") return deviceShow(a);
  if (call.cmd == "registry.import") return registryImport(a, actor);
  if (call.cmd == "registry.list") return registryList(a);
  if (call.cmd == "approve") return approve(a, actor);
  if (call.cmd == "block") return setBlocked(a, actor, true);
  if (call.cmd == "unblock") return setBlocked(a, actor, false);
  if (call.cmd == "audit.verify") {
    bool full = false;
    if (auto e = readFull(a, full)) return *e;
    return finishVerify(full ? store_.verifyAudit() : store_.verifyAuditIncremental());
  }
  if (call.cmd == "audit.tail") return auditTail(a);
  if (call.cmd == "policy.show" || call.cmd == "policy.load") {
    if (!options_.policyCommands) {
      return errorResponse(reason::kInternalError, call.cmd + ": policy management is not wired");
    }
    return options_.policyCommands(call, actor);
  }
  return badRequest("unknown command \"" + call.cmd + "\"");
}

void StoreAdminHandler::auditDenied(const DenialSummary& denials) {
  AuditRecord r;
  r.actor = "uid:" + std::to_string(denials.uid);
  r.action = "admin.denied";
  r.reason = std::string(reason::kAdminUnauthorised);
  // Counts and command names only, never arguments: a refused import carries a whole file.
  json commands = json::object();
  for (const auto& [cmd, n] : denials.commands) commands[cmd] = n;
  r.details = json{{"uid", denials.uid},
                   {"gid", denials.gid},
                   {"pid", denials.pid},
                   {"role", toString(denials.role)},
                   {"count", denials.count},
                   {"commands", std::move(commands)},
                   {"first_at", timeOrNull(denials.firstUnix)},
                   {"last_at", timeOrNull(denials.lastUnix)}};
  if (auto st = store_.appendAudit(std::move(r)); !st && options_.logger != nullptr) {
    options_.logger->error("admin.audit_failed",
                           {{"action", "admin.denied"}, {"error", st.error().message}});
  }
}

json StoreAdminHandler::status() {
  json result = statusProvider_ ? statusProvider_() : json::object();
  if (!result.is_object()) result = json::object();
  // Aggregate queries, not a listing: `status` stays cheap at any register size, so it is
  // answered on the loop (it must not queue behind an audit verification on the worker).
  auto all = store_.deviceCounts();
  if (!all) return storeError("status", all.error());
  json counts = json::object();
  counts["unseen"] = 0;
  for (int i = 0; i <= static_cast<int>(DeviceState::NotAttestable); ++i) {
    counts[std::string(toString(static_cast<DeviceState>(i)))] = 0;
  }
  for (const auto& [state, n] : all->byState) counts[state] = n;
  auto records = store_.auditCount();
  if (!records) return storeError("status", records.error());
  result["devices"] = counts;
  result["devices_total"] = all->total;
  result["devices_blocked"] = all->blocked;
  result["audit_records"] = *records;
  return okResponse(std::move(result));
}

json StoreAdminHandler::devices(const json& args) {
  std::optional<DeviceState> filter;
  bool unseenOnly = false;
  if (auto it = args.find("state"); it != args.end() && !it->is_null()) {
    if (!it->is_string()) return badRequest("devices: \"state\" must be a string");
    const auto& name = it->get_ref<const std::string&>();
    if (name == "unseen") {
      unseenOnly = true;
    } else if (auto s = deviceStateFromString(name)) {
      filter = *s;
    } else {
      std::string shown = name.size() > 32 ? name.substr(0, 32) + "…" : name;
      return badRequest("devices: unknown state \"" + shown +
                        "\"; valid states: " + validStateNames());
    }
  }
  PageRequest page;
  if (auto e = readPage(args, "devices", page)) return *e;
  auto list = store_.listDevicesPage(filter, unseenOnly, page.after, page.limit + 1);
  if (!list) return storeError("devices", list.error());
  return pageResponse(*list, page.limit, deviceToJson);
}

json StoreAdminHandler::deviceShow(const json& args) {
  std::string id;
  if (auto e = readId(args, "device.show", id)) return *e;
  auto dev = store_.findDevice(id);
  if (!dev) return storeError("device.show", dev.error());
  if (!dev->has_value()) return notFound(id);
  auto sessions = store_.sessionsForDevice(id, kShowSessions);
  if (!sessions) return storeError("device.show", sessions.error());
  auto approval = store_.activeApproval(id);
  if (!approval) return storeError("device.show", approval.error());
  auto audit = store_.auditForDevice(id, kShowAuditRecords);
  if (!audit) return storeError("device.show", audit.error());
  auto checks = store_.latestCheckRunForDevice(id);
  if (!checks) return storeError("device.show", checks.error());
  json out{{"device", deviceToJson(**dev)},
           {"sessions", json::array()},
           {"approval", approval->has_value() ? approvalToJson(**approval) : json(nullptr)},
           {"checks", checks->has_value() ? checkRunToJson(**checks) : json(nullptr)},
           {"audit", json::array()}};
  for (const auto& s : *sessions) out["sessions"].push_back(sessionToJson(s));
  for (const auto& r : *audit) out["audit"].push_back(auditRecordToJson(r));
  return okResponse(std::move(out));
}

json StoreAdminHandler::registryImport(const json& args, const std::string& actor) {
  const std::string cmd = "registry.import";
  std::string fileName;
  if (auto e = readString(args, cmd, "file_name", kMaxFileNameBytes, fileName)) return *e;
  if (fileName.empty() || hasControlChars(fileName)) {
    return badRequest(cmd + ": \"file_name\" must be a file name");
  }
  auto content = args.find("content");
  if (content == args.end()) return badRequest(cmd + ": missing argument \"content\"");
  if (!content->is_string()) return badRequest(cmd + ": \"content\" must be a string");
  auto format = registryFormatForFile(fileName);
  if (!format) {
    return badRequest(cmd + ": cannot tell the format of \"" + fileName +
                      "\": name it .csv, .yaml or .yml");
  }
  RegistryParse parsed =
      parseRegistry(content->get_ref<const std::string&>(), *format, clock_.nowUnix());
  json warnings = json::array();
  for (const auto& w : parsed.warnings) warnings.push_back(rowErrorToJson(w));
  if (!parsed.errors.empty()) {
    // All or nothing: the admin fixes every problem in one pass, then imports again.
    json response = badRequest(fileName + ": " + std::to_string(parsed.errors.size()) +
                               (parsed.errors.size() == 1 ? " problem" : " problems") +
                               "; nothing was imported");
    response["errors"] = json::array();
    for (const auto& e : parsed.errors) response["errors"].push_back(rowErrorToJson(e));
    response["warnings"] = std::move(warnings);
    return response;
  }
  if (parsed.rows.empty())
    return badRequest(fileName + ": no devices in the file; nothing was imported");
  auto summary = store_.importRegistry(parsed.rows, actor, fileName);
  if (!summary) return storeError(cmd, summary.error());
  json devices = json::array();
  for (const auto& d : summary->devices)
    devices.push_back(json{{"id", d.id}, {"serial", d.registry.serial}});
  return okResponse(json{{"file_name", fileName},
                         {"created", summary->created},
                         {"updated", summary->updated},
                         {"unchanged", summary->unchanged},
                         {"devices", std::move(devices)},
                         {"warnings", std::move(warnings)}});
}

json StoreAdminHandler::registryList(const json& args) {
  PageRequest page;
  if (auto e = readPage(args, "registry.list", page)) return *e;
  auto list = store_.listDevicesPage(std::nullopt, false, page.after, page.limit + 1);
  if (!list) return storeError("registry.list", list.error());
  return pageResponse(*list, page.limit, registryToJson);
}

json StoreAdminHandler::approve(const json& args, const std::string& actor) {
  const std::string cmd = "approve";
  std::string id;
  std::string why;
  std::int64_t ttlHours = options_.defaultApprovalTtlHours;
  if (auto e = readId(args, cmd, id)) return *e;
  if (auto e = readReason(args, cmd, why)) return *e;
  if (auto e = readOptionalInt(args, cmd, "ttl_hours", 1, kMaxApprovalTtlHours, ttlHours))
    return *e;
  auto dev = store_.findDevice(id);
  if (!dev) return storeError(cmd, dev.error());
  if (!dev->has_value()) return notFound(id);
  const DeviceRecord& d = **dev;
  // An approval answers one specific question admission asked (approval required, re-enrollment,
  // identity mismatch). Approving anything else would be a blank cheque for the next session.
  if (d.blocked) return conflict(id + " is on the block list; unblock it first");
  bool quarantined = d.state == DeviceState::Quarantined;
  bool awaitingApproval =
      d.state == DeviceState::Blocked && d.reasonCode == reason::kApprovalRequired;
  if (!quarantined && !awaitingApproval && !d.boundEkSha256.empty()) {
    // A device with a bound EK keeps its record against sessions that have not proven it, so a
    // returning device's re-enrollment question is on its latest session (store.hpp).
    auto latest = store_.sessionsForDevice(id, 1);
    if (!latest) return storeError(cmd, latest.error());
    if (!latest->empty()) {
      const SessionRecord& last = latest->front();
      quarantined = last.state == DeviceState::Quarantined;
      awaitingApproval =
          last.state == DeviceState::Blocked && last.reasonCode == reason::kApprovalRequired;
    }
  }
  if (!quarantined && !awaitingApproval) {
    std::string state = d.state ? std::string(toString(*d.state)) : "unseen";
    if (!d.reasonCode.empty()) state += " (" + d.reasonCode + ")";
    return conflict(id + " is " + state +
                    "; only a quarantined device or one blocked with PB-1003 (approval required) "
                    "can be approved");
  }
  auto approval = store_.addApproval(id, actor, why, ttlHours * 3600);
  if (!approval) return storeError(cmd, approval.error());
  return okResponse(approvalToJson(*approval));
}

json StoreAdminHandler::setBlocked(const json& args, const std::string& actor, bool blocked) {
  const std::string cmd = blocked ? "block" : "unblock";
  std::string id;
  std::string why;
  if (auto e = readId(args, cmd, id)) return *e;
  if (auto e = readReason(args, cmd, why)) return *e;
  auto dev = store_.findDevice(id);
  if (!dev) return storeError(cmd, dev.error());
  if (!dev->has_value()) return notFound(id);
  // Refusing a no-op keeps the audit log free of records that change nothing, and tells the
  // admin their picture of the device is out of date.
  if ((*dev)->blocked == blocked) {
    return conflict(id + (blocked ? " is already blocked" : " is not blocked"));
  }
  if (auto st = store_.setBlocked(id, blocked, actor, why); !st) return storeError(cmd, st.error());
  auto after = store_.findDevice(id);
  if (!after) return storeError(cmd, after.error());
  if (!after->has_value()) return notFound(id);
  return okResponse(deviceToJson(**after));
}

boost::asio::awaitable<json> StoreAdminHandler::handleAsync(const AdminCall& call) {
  // Only the O(history) reads leave the loop; everything else is answered here as before.
  if (call.cmd == "policy.load" && options_.policyLoadAsync) {
    const std::string actor = "uid:" + std::to_string(call.uid);
    co_return co_await options_.policyLoadAsync(call, actor);
  }
  if (call.cmd != "audit.verify" || !options_.runOffLoop) co_return handle(call);
  bool full = false;
  if (auto e = readFull(call.args, full)) co_return *e;
  // A named job, not a lambda inside the co_await expression (GCC 12 coroutine bug).
  StoreAdminHandlerOptions::ReadJob job = [full](Store& readOnly) {
    return full ? readOnly.verifyAudit() : readOnly.verifyAuditIncremental();
  };
  auto report = co_await options_.runOffLoop(std::move(job));
  co_return finishVerify(std::move(report));
}

std::optional<json> StoreAdminHandler::readFull(const json& args, bool& full) {
  auto it = args.find("full");
  if (it == args.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return badRequest("audit.verify: \"full\" must be true or false");
  full = it->get<bool>();
  return std::nullopt;
}

// On the loop thread: the verified head is written through the loop's (only writing) connection.
json StoreAdminHandler::finishVerify(Result<AuditVerifyReport> report) {
  if (!report) return storeError("audit.verify", report.error());
  if (report->ok) {
    if (auto st = store_.recordVerifiedHead(report->headSeq, report->headHash);
        !st && options_.logger != nullptr) {
      // The chain is intact either way; the next run just starts from the older head.
      options_.logger->warn("audit.verified_head_not_saved", {{"error", st.error().message}});
    }
  }
  return okResponse(auditReportToJson(*report));
}

json StoreAdminHandler::auditTail(const json& args) {
  std::int64_t count = 20;
  if (auto e = readOptionalInt(args, "audit.tail", "count", 1, kMaxAuditTail, count)) return *e;
  auto records = store_.auditTail(static_cast<int>(count));
  if (!records) return storeError("audit.tail", records.error());
  json out = json::array();
  for (const auto& r : *records) out.push_back(auditRecordToJson(r));
  return okResponse(std::move(out));
}

}  // namespace pb
