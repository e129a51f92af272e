// SPDX-License-Identifier: Apache-2.0
#include "benchctl/render.hpp"

#include <algorithm>
#include <map>

#include "core/reasons.hpp"

namespace pb {

namespace {
using nlohmann::json;

// A field as display text: strings sanitised, null or missing as "", anything else as JSON.
std::string field(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return sanitizeForTerminal(it->get_ref<const std::string&>());
  return sanitizeForTerminal(it->dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string orDash(std::string s) {
  return s.empty() ? "-" : s;
}

// Indents every line of a block (a table nested under a heading).
std::string indent(const std::string& block) {
  std::string out;
  std::size_t start = 0;
  while (start < block.size()) {
    std::size_t end = block.find('\n', start);
    if (end == std::string::npos) end = block.size() - 1;
    out += "  " + block.substr(start, end - start + 1);
    start = end + 1;
  }
  return out;
}

bool flag(const json& j, const char* key) {
  auto it = j.is_object() ? j.find(key) : j.end();
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::size_t displayWidth(std::string_view s) {
  // Code points, not bytes, so UTF-8 names line up; good enough for a terminal table.
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(std::string s, std::size_t width) {
  std::size_t w = displayWidth(s);
  if (w < width) s.append(width - w, ' ');
  return s;
}

// "label       value" lines with the labels padded to one width.
std::string keyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, displayWidth(k));
  std::string out;
  for (const auto& [k, v] : rows) out += pad(k, width) + "  " + v + "\n";
  return out;
}

std::string humanLabel(std::string key) {
  std::replace(key.begin(), key.end(), '_', ' ');
  if (!key.empty() && key[0] >= 'a' && key[0] <= 'z')
    key[0] = static_cast<char>(key[0] - 'a' + 'A');
  return key;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

json arrayOrEmpty(const json& j) {
  return j.is_array() ? j : json::array();
}

std::string stateText(const json& d) {
  std::string s = field(d, "state");
  if (flag(d, "blocked") && s != "blocked") s += ", block-listed";
  return s;
}

bool isNonReady(const json& d) {
  std::string s = field(d, "state");
  return s == "blocked" || s == "quarantined" || s == "failed" || s == "not_attestable" ||
         flag(d, "blocked");
}

// Loud lines for development mode and every accepted risk of the active policy.
std::string policyWarningLines(const json& policy) {
  std::string out;
  if (flag(policy, "development_mode")) {
    out +=
        "\nDEVELOPMENT MODE: bench.yaml policy.allow_unsigned is true; unsigned policies are "
        "accepted.\n";
  }
  for (const auto& w : arrayOrEmpty(policy.value("warnings", json::array()))) {
    out += "WARNING " + field(w, "setting") + ": " + field(w, "attack");
    if (std::string ack = field(w, "acknowledgement"); !ack.empty()) {
      out += " (accepted: \"" + ack + "\")";
    }
    out += "\n";
  }
  return out;
}

std::string renderPolicyShow(const json& r) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"Policy", orDash(field(r, "name"))},
      {"Tenant", orDash(field(r, "tenant"))},
      {"Hash", orDash(field(r, "hash"))},
      {"Source", orDash(field(r, "source"))},
      {"Signer", flag(r, "unsigned") ? "UNSIGNED" : orDash(field(r, "signer"))},
      {"Loaded", orDash(field(r, "loaded_at"))}};
  std::string out = keyValues(rows) + policyWarningLines(r);
  if (auto p = r.find("policy"); p != r.end()) {
    out +=
        "\n" + sanitizeForTerminal(p->dump(2, ' ', false, json::error_handler_t::replace)) + "\n";
  }
  return out;
}

std::string shortJson(const json& v) {
  std::string text =
      v.is_null() ? "(unset)" : v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 120) text = text.substr(0, 117) + "...";
  return sanitizeForTerminal(text);
}

std::string renderPolicyLoad(const json& r, std::string_view fileLabel) {
  const bool dry = flag(r, "dry_run");
  std::string file = fileLabel.empty() ? field(r, "name") : std::string(fileLabel);
  std::string out = std::string(dry ? "Dry run: " : "Loaded ") + sanitizeForTerminal(file) +
                    " (policy " + field(r, "name") + ")\n";
  out += "  hash   " + field(r, "old_hash") + " -> " + field(r, "new_hash") + "\n";
  out += "  signer " +
         (flag(r, "unsigned") ? std::string("UNSIGNED (development mode)")
                              : orDash(field(r, "signer"))) +
         "\n";
  json diff = arrayOrEmpty(r.value("diff", json::array()));
  out += "\nChanged settings (" + std::to_string(diff.size()) + "):\n";
  if (diff.empty()) out += "  none\n";
  for (const auto& d : diff) {
    out += "  " + field(d, "key") + ": " + shortJson(d.value("old", json())) + " -> " +
           shortJson(d.value("new", json())) + "\n";
  }
  json changes = arrayOrEmpty(r.value("verdict_changes", json::array()));
  out += "\nVerdicts that change (" + std::to_string(changes.size()) +
         "; admission on the register, checks on each device's last reported facts):\n";
  if (changes.empty()) out += "  none\n";
  for (const auto& c : changes) {
    const json o = c.value("old", json::object());
    const json n = c.value("new", json::object());
    const std::string stage = c.value("stage", "admission");
    out += "  " + field(c, "device_id") + " (" + field(c, "serial") + ") " + stage + ": " +
           field(o, "state") + " " + field(o, "code") + " -> " + field(n, "state") + " " +
           field(n, "code") + "\n";
    for (const auto& k : arrayOrEmpty(c.value("checks", json::array()))) {
      out +=
          "      " + field(k, "check") + ": " + field(k, "old") + " -> " + field(k, "new") + "\n";
    }
  }
  out += policyWarningLines(r);
  out += dry ? "\nNothing was changed (--dry-run).\n"
             : "\nNew sessions use this policy; sessions in progress finish under the old one.\n";
  return out;
}

std::string renderStatus(const json& r) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [key, value] : r.items()) {
    if (key == "devices" || key == "devices_total" || key == "devices_blocked" ||
        key == "audit_records" || key == "policy" || key == "risk_acknowledgements") {
      continue;
    }
    if (key == "amt_provisioning_certificate" && value.is_object()) {
      // "warning PB-2050: The AMT provisioning certificate expires in 30 days (…)"
      std::string line = field(value, "level");
      if (!field(value, "code").empty()) line += " " + field(value, "code");
      line += ": " + field(value, "message");
      rows.emplace_back("AMT provisioning cert", line);
      continue;
    }
    std::string text =
        value.is_string()
            ? sanitizeForTerminal(value.get_ref<const std::string&>())
            : sanitizeForTerminal(value.dump(-1, ' ', false, json::error_handler_t::replace));
    rows.emplace_back(humanLabel(key), text);
  }
  std::string counts;
  if (auto d = r.find("devices"); d != r.end() && d->is_object()) {
    for (const auto& [state, n] : d->items()) {
      if (n.is_number_integer() && n.get<std::int64_t>() != 0) {
        counts += (counts.empty() ? "" : ", ") + sanitizeForTerminal(state) + " " + n.dump();
      }
    }
  }
  std::string devices = field(r, "devices_total").empty() ? "?" : field(r, "devices_total");
  devices += " total";
  if (!counts.empty()) devices += " (" + counts + ")";
  if (std::string b = field(r, "devices_blocked"); !b.empty() && b != "0")
    devices += ", " + b + " block-listed";
  rows.emplace_back("Devices", devices);
  rows.emplace_back("Audit records", orDash(field(r, "audit_records")));
  std::string out = keyValues(rows);
  if (auto p = r.find("policy"); p != r.end() && p->is_object()) out += policyWarningLines(*p);
  return out;
}

// The remedies of the non-ready devices in a list, one per reason code.
std::string remedies(const json& list) {
  std::map<std::string, std::string> byCode;
  for (const auto& d : list) {
    std::string code = field(d, "reason_code");
    if (!isNonReady(d) || code.empty()) continue;
    byCode.emplace(code, field(d, "remediation"));
  }
  if (byCode.empty()) return {};
  std::string out = "\nWhat to do:\n";
  for (const auto& [code, remedy] : byCode) out += "  " + code + "  " + orDash(remedy) + "\n";
  return out;
}

std::string renderDevices(const json& list) {
  if (list.empty()) return "No devices.\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list) rows.push_back(deviceListRow(d));
  return renderTable(deviceListHeaders(), rows) + remedies(list) + "\n" +
         plural(list.size(), "device", "devices") + "\n";
}

std::string renderRegistry(const json& list) {
  if (list.empty()) return "The register is empty.\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list) rows.push_back(registryListRow(d));
  return renderTable(registryListHeaders(), rows) + "\n" +
         plural(list.size(), "device", "devices") + "\n";
}

std::string approvalLine(const json& a) {
  std::string s = "#" + field(a, "id") + " by " + field(a, "approved_by") + ", answers " +
                  orDash(field(a, "answers_code")) + ", expires " + field(a, "expires_at");
  if (!field(a, "consumed_at").empty()) s += ", used " + field(a, "consumed_at");
  return s + ": " + field(a, "reason");
}

// The latest firmware/AMT check results: one row per check, then what to do about each that did
// not pass.
std::string renderCheckRun(const json& run) {
  std::string out = "\nChecks";
  if (!run.is_object()) return out + ":\n  none\n";
  out += " (session " + field(run, "session_id") + ", " + field(run, "recorded_at") + ", policy " +
         field(run, "policy_hash").substr(0, 12) + "):\n";
  json results = arrayOrEmpty(run.value("results", json::array()));
  std::vector<std::vector<std::string>> rows;
  std::string fixes;
  for (const auto& c : results) {
    rows.push_back(
        {field(c, "id"), field(c, "outcome"), orDash(field(c, "code")), field(c, "message")});
    if (field(c, "outcome") != "pass" && !field(c, "remediation").empty()) {
      fixes += "  " + field(c, "id") + ": " + field(c, "remediation") + "\n";
    }
  }
  out += indent(renderTable({"CHECK", "OUTCOME", "CODE", "MESSAGE"}, rows));
  if (!fixes.empty()) out += "What to do:\n" + fixes;
  return out;
}

std::string renderDeviceShow(const json& r) {
  const json& d = r.contains("device") ? r.at("device") : json::object();
  std::vector<std::pair<std::string, std::string>> kv{
      {"Device", field(d, "id")},
      {"Serial", field(d, "serial")},
      {"SMBIOS UUID", field(d, "smbios_uuid")},
      {"Model", field(d, "model")},
      {"Owner", field(d, "owner") + " <" + field(d, "owner_email") + ">"},
      {"Tenant", field(d, "tenant")},
      {"Registered EK", orDash(field(d, "ek_sha256"))},
      {"Window", field(d, "window_from") + " .. " + field(d, "window_until")},
  };
  std::string state = field(d, "state");
  if (!field(d, "state_since").empty()) state += " since " + field(d, "state_since");
  if (!field(d, "slot").empty()) state += ", slot " + field(d, "slot");
  kv.emplace_back("State", state);
  if (!field(d, "reason_code").empty()) {
    kv.emplace_back("Reason", field(d, "reason_code") + ": " + orDash(field(d, "reason")));
    if (isNonReady(d)) kv.emplace_back("What to do", orDash(field(d, "remediation")));
    if (field(d, "state") == "failed")
      kv.emplace_back("Retryable", flag(d, "retryable") ? "yes" : "no");
  }
  kv.emplace_back("Block-listed", flag(d, "blocked") ? "yes: " + field(d, "block_reason") : "no");
  kv.emplace_back("Enrolled at", orDash(field(d, "enrolled_at")));
  kv.emplace_back("Bound EK", orDash(field(d, "bound_ek_sha256")));
  auto approval = r.find("approval");
  kv.emplace_back("Approval",
                  approval != r.end() && approval->is_object() ? approvalLine(*approval) : "none");
  std::string out = keyValues(kv);

  json sessions = arrayOrEmpty(r.value("sessions", json::array()));
  out += "\nSessions (newest first):\n";
  if (sessions.empty()) {
    out += "  none\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : sessions) {
      rows.push_back({field(s, "id"), field(s, "state"), orDash(field(s, "reason_code")),
                      orDash(field(s, "slot")), orDash(field(s, "source")), field(s, "started_at"),
                      flag(s, "open") ? "open" : "closed"});
    }
    out += indent(
        renderTable({"SESSION", "STATE", "CODE", "SLOT", "SOURCE", "STARTED", "STATUS"}, rows));
  }
  out += renderCheckRun(r.contains("checks") ? r.at("checks") : json(nullptr));
  json audit = arrayOrEmpty(r.value("audit", json::array()));
  out += "\nAudit records (oldest first):\n";
  if (audit.empty()) {
    out += "  none\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : audit) {
      std::string change = field(a, "before").empty() && field(a, "after").empty()
                               ? "-"
                               : orDash(field(a, "before")) + " -> " + orDash(field(a, "after"));
      rows.push_back({field(a, "seq"), field(a, "time"), field(a, "actor"), field(a, "action"),
                      change, orDash(field(a, "reason"))});
    }
    out += indent(renderTable({"SEQ", "TIME", "ACTOR", "ACTION", "CHANGE", "REASON"}, rows));
  }
  return out;
}

std::string rowErrorLines(const json& errors, std::string_view file, std::string_view suffix) {
  std::string out;
  std::string name = sanitizeForTerminal(file);
  for (const auto& e : arrayOrEmpty(errors)) {
    std::string line = field(e, "line");
    std::string where = name;
    if (!line.empty() && line != "0") where += ":" + line;
    std::string f = field(e, "field");
    out += where + ": " + (f.empty() ? "" : f + ": ") + field(e, "message") + std::string(suffix) +
           "\n";
  }
  return out;
}

std::string renderImport(const json& r, std::string_view fileLabel) {
  std::string file = fileLabel.empty() ? field(r, "file_name") : std::string(fileLabel);
  json devices = arrayOrEmpty(r.value("devices", json::array()));
  std::string out = "Imported " + sanitizeForTerminal(file) + ": " + orDash(field(r, "created")) +
                    " created, " + orDash(field(r, "updated")) + " updated";
  if (std::string same = field(r, "unchanged"); !same.empty() && same != "0")
    out += ", " + same + " unchanged";
  out += ".\n";
  if (!devices.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : devices) rows.push_back({field(d, "id"), field(d, "serial")});
    out += renderTable({"ID", "SERIAL"}, rows);
  }
  out += rowErrorLines(r.value("warnings", json::array()), file, " (warning)");
  return out;
}

std::string renderAuditTail(const json& list) {
  if (list.empty()) return "The audit log is empty.\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : list) {
    std::string change = field(a, "before").empty() && field(a, "after").empty()
                             ? "-"
                             : orDash(field(a, "before")) + " -> " + orDash(field(a, "after"));
    rows.push_back({field(a, "seq"), field(a, "time"), field(a, "actor"), field(a, "action"),
                    orDash(field(a, "device_id")), change, orDash(field(a, "reason"))});
  }
  return renderTable({"SEQ", "TIME", "ACTOR", "ACTION", "DEVICE", "CHANGE", "REASON"}, rows);
}

std::string renderAuditVerify(const json& r) {
  if (flag(r, "ok")) {
    // An incremental run names where it started: records before it were verified earlier.
    const bool incremental = r.contains("full") && !flag(r, "full");
    return "Audit log intact: " +
           plural(static_cast<std::size_t>(r.value("records", 0)), "record", "records") +
           (incremental ? " checked after record " + orDash(field(r, "verified_before")) +
                              " (verified earlier; --full checks all)"
                        : std::string()) +
           ", head " + orDash(field(r, "head_hash")) + ".\n";
  }
  return "Audit log BROKEN at record " + field(r, "first_bad_seq") + ": " +
         orDash(field(r, "problem")) + " (" + field(r, "records") +
         " records checked).\n"
         "Export the database and logs for investigation; do not repair it by hand.\n";
}

std::string escapeMarkdownCell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string sanitizeForTerminal(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::vector<std::string> deviceListHeaders() {
  return {"ID", "SERIAL", "MODEL", "STATE", "CODE", "REASON"};
}

std::vector<std::string> deviceListRow(const json& d) {
  return {field(d, "id"),
          field(d, "serial"),
          field(d, "model"),
          stateText(d),
          orDash(field(d, "reason_code")),
          orDash(field(d, "reason"))};
}

std::vector<std::string> registryListHeaders() {
  return {"ID", "SERIAL", "MODEL", "OWNER", "TENANT", "WINDOW"};
}

std::vector<std::string> registryListRow(const json& d) {
  return {field(d, "id"),     field(d, "serial"),
          field(d, "model"),  field(d, "owner"),
          field(d, "tenant"), field(d, "window_from") + " .. " + field(d, "window_until")};
}

std::optional<std::pair<std::string, std::string>> deviceRemedy(const json& d) {
  std::string code = field(d, "reason_code");
  if (!isNonReady(d) || code.empty()) return std::nullopt;
  return std::make_pair(code, orDash(field(d, "remediation")));
}

std::string renderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], displayWidth(row[i]));
    }
  };
  measure(headers);
  for (const auto& r : rows) measure(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : std::string();
      out += i + 1 == widths.size() ? cell : pad(cell, widths[i]) + "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string renderResult(std::string_view cmd, const json& result, std::string_view fileLabel) {
  if (cmd == "status" && result.is_object()) return renderStatus(result);
  if (cmd == "devices" && result.is_array()) return renderDevices(result);
  if (cmd == "device.show" && result.is_object()) return renderDeviceShow(result);
  if (cmd == "registry.import" && result.is_object()) return renderImport(result, fileLabel);
  if (cmd == "registry.list" && result.is_array()) return renderRegistry(result);
  if (cmd == "approve" && result.is_object()) {
    return "Approved " + field(result, "device_id") + " (answers " +
           orDash(field(result, "answers_code")) + "), approval #" + field(result, "id") +
           " valid until " + field(result, "expires_at") + ".\nReconnect the device to use it.\n";
  }
  if ((cmd == "block" || cmd == "unblock") && result.is_object()) {
    return std::string(cmd == "block" ? "Blocked " : "Unblocked ") + field(result, "id") + " (" +
           field(result, "serial") + ").\n";
  }
  if (cmd == "audit.verify" && result.is_object()) return renderAuditVerify(result);
  if (cmd == "audit.tail" && result.is_array()) return renderAuditTail(result);
  if (cmd == "policy.show" && result.is_object()) return renderPolicyShow(result);
  if (cmd == "policy.load" && result.is_object()) return renderPolicyLoad(result, fileLabel);
  // Unknown shape (a newer benchd): still show something faithful.
  return sanitizeForTerminal(result.dump(2, ' ', false, json::error_handler_t::replace)) + "\n";
}

std::string renderFailure(const json& response, std::string_view fileLabel) {
  std::string code = field(response, "code");
  const Reason* why = findReason(code);
  std::string out = "benchctl: " + orDash(code);
  if (why != nullptr) out += " " + std::string(why->name);
  out += ": " + field(response, "error") + "\n";
  auto errors = response.find("errors");
  if (errors != response.end() && errors->is_array() && !errors->empty() &&
      errors->front().is_string()) {
    // Policy errors arrive formatted: file:line:column: key.path: message.
    for (const auto& e : *errors) {
      out += sanitizeForTerminal(e.get_ref<const std::string&>()) + "\n";
    }
    return out;
  }
  if (errors != response.end() && errors->is_array() && !errors->empty()) {
    out += rowErrorLines(*errors, fileLabel.empty() ? "FILE" : fileLabel, "");
    return out;
  }
  if (why != nullptr) out += "What to do: " + std::string(why->remediation) + "\n";
  return out;
}

int exitCodeForResponse(std::string_view cmd, const json& response) {
  if (!flag(response, "ok")) return 1;
  if (cmd == "audit.verify") {
    auto r = response.find("result");
    return r != response.end() && flag(*r, "ok") ? 0 : 1;
  }
  return 0;
}

std::string renderReasons(bool markdown) {
  std::string out;
  if (markdown) {
    out =
        "# provbench reason codes\n\n"
        "Every non-ready device state, agent protocol error and refused admin request carries\n"
        "one of these stable codes. Generated by `benchctl reasons --markdown` from\n"
        "`appliance/core/reasons.cpp`; do not edit by hand.\n\n"
        "| code | name | meaning | what to do |\n"
        "|---|---|---|---|\n";
    for (const auto& r : allReasons()) {
      out += "| " + std::string(r.code) + " | " + escapeMarkdownCell(r.name) + " | " +
             escapeMarkdownCell(r.explanation) + " | " + escapeMarkdownCell(r.remediation) + " |\n";
    }
    return out;
  }
  for (const auto& r : allReasons()) {
    out += std::string(r.code) + "  " + std::string(r.name) + "\n    " +
           std::string(r.explanation) + "\n    What to do: " + std::string(r.remediation) + "\n";
  }
  return out;
}

json reasonsJson() {
  json out = json::array();
  for (const auto& r : allReasons()) {
    out.push_back(json{{"code", r.code},
                       {"name", r.name},
                       {"explanation", r.explanation},
                       {"remediation", r.remediation}});
  }
  return out;
}

}  // namespace pb
