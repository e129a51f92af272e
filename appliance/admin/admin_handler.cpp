// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_handler.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/reasons.hpp"
#include "registry/registry_import.hpp"

namespace pb {

namespace {
using nlohmann::json;

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
  const AdminCommandSpec* spec = findAdminCommand(call.cmd);
  if (spec == nullptr) return badRequest("unknown command \"" + call.cmd + "\"");
  if (spec->policyCommand) {
    if (!options_.policyCommands) {
      return errorResponse(reason::kInternalError, call.cmd + ": policy management is not wired");
    }
    return options_.policyCommands(call, actor);
  }
  // The registry's typed arguments, checked in declared order before any store access.
  AdminArgsOrError args = validateAdminArgs(*spec, call.args);
  if (!args.args) return badRequest(args.error);
  const AdminArgs& a = *args.args;
  // One handler per registered command (admin_commands.hpp); the admin tests fail when a
  // registered command has none.
  using Handler = json (StoreAdminHandler::*)(const AdminArgs&, const std::string&);
  static constexpr std::array<std::pair<std::string_view, Handler>, 10> kHandlers{{
      {"status", &StoreAdminHandler::status},
      {"devices", &StoreAdminHandler::devices},
      {"device.show", &StoreAdminHandler::deviceShow},
      {"registry.import", &StoreAdminHandler::registryImport},
      {"registry.list", &StoreAdminHandler::registryList},
      {"approve", &StoreAdminHandler::approve},
      {"block", &StoreAdminHandler::block},
      {"unblock", &StoreAdminHandler::unblock},
      {"audit.verify", &StoreAdminHandler::auditVerify},
      {"audit.tail", &StoreAdminHandler::auditTail},
  }};
  for (const auto& [name, handler] : kHandlers) {
    if (name == call.cmd) return (this->*handler)(a, actor);
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

json StoreAdminHandler::status(const AdminArgs& /*args*/, const std::string& /*actor*/) {
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

json StoreAdminHandler::devices(const AdminArgs& args, const std::string& /*actor*/) {
  std::optional<DeviceState> filter;
  bool unseenOnly = false;
  if (args.has("state")) {
    const std::string name = args.text("state");  // validated: "unseen" or a state name
    if (name == "unseen") {
      unseenOnly = true;
    } else {
      filter = deviceStateFromString(name);
    }
  }
  const int limit = static_cast<int>(args.integer("limit").value_or(kMaxAdminPageSize));
  auto list = store_.listDevicesPage(filter, unseenOnly, args.text("after"), limit + 1);
  if (!list) return storeError("devices", list.error());
  return pageResponse(*list, limit, deviceToJson);
}

json StoreAdminHandler::deviceShow(const AdminArgs& args, const std::string& /*actor*/) {
  const std::string id = args.text("id");
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

json StoreAdminHandler::registryImport(const AdminArgs& args, const std::string& actor) {
  const std::string cmd = "registry.import";
  const std::string fileName = args.text("file_name");
  auto format = registryFormatForFile(fileName);
  if (!format) {
    return badRequest(cmd + ": cannot tell the format of \"" + fileName +
                      "\": name it .csv, .yaml or .yml");
  }
  RegistryParse parsed = parseRegistry(args.text("content"), *format, clock_.nowUnix());
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

json StoreAdminHandler::registryList(const AdminArgs& args, const std::string& /*actor*/) {
  const int limit = static_cast<int>(args.integer("limit").value_or(kMaxAdminPageSize));
  auto list = store_.listDevicesPage(std::nullopt, false, args.text("after"), limit + 1);
  if (!list) return storeError("registry.list", list.error());
  return pageResponse(*list, limit, registryToJson);
}

json StoreAdminHandler::approve(const AdminArgs& args, const std::string& actor) {
  const std::string cmd = "approve";
  const std::string id = args.text("id");
  const std::string why = args.text("reason");
  const std::int64_t ttlHours =
      args.integer("ttl_hours").value_or(options_.defaultApprovalTtlHours);
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

json StoreAdminHandler::block(const AdminArgs& args, const std::string& actor) {
  return setBlocked(args, actor, true);
}

json StoreAdminHandler::unblock(const AdminArgs& args, const std::string& actor) {
  return setBlocked(args, actor, false);
}

json StoreAdminHandler::setBlocked(const AdminArgs& args, const std::string& actor, bool blocked) {
  const std::string cmd = blocked ? "block" : "unblock";
  const std::string id = args.text("id");
  const std::string why = args.text("reason");
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
  AdminArgsOrError args = validateAdminArgs(*findAdminCommand("audit.verify"), call.args);
  if (!args.args) co_return badRequest(args.error);
  const bool full = args.args->flag("full");
  // A named job, not a lambda inside the co_await expression (GCC 12 coroutine bug).
  StoreAdminHandlerOptions::ReadJob job = [full](Store& readOnly) {
    return full ? readOnly.verifyAudit() : readOnly.verifyAuditIncremental();
  };
  auto report = co_await options_.runOffLoop(std::move(job));
  co_return finishVerify(std::move(report));
}

json StoreAdminHandler::auditVerify(const AdminArgs& args, const std::string& /*actor*/) {
  return finishVerify(args.flag("full") ? store_.verifyAudit() : store_.verifyAuditIncremental());
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

json StoreAdminHandler::auditTail(const AdminArgs& args, const std::string& /*actor*/) {
  const std::int64_t count = args.integer("count").value_or(20);
  auto records = store_.auditTail(static_cast<int>(count));
  if (!records) return storeError("audit.tail", records.error());
  json out = json::array();
  for (const auto& r : *records) out.push_back(auditRecordToJson(r));
  return okResponse(std::move(out));
}

}  // namespace pb
