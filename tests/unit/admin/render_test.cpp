// SPDX-License-Identifier: Apache-2.0
#include "benchctl/render.hpp"

#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"

namespace pb {
namespace {

using nlohmann::json;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

json device(std::string id, std::string serial, std::string state, std::string code) {
  const Reason* r = findReason(code);
  return json{{"id", id},
              {"serial", serial},
              {"model", "Latitude 7440"},
              {"state", state},
              {"reason_code", code},
              {"reason", r ? std::string(r->explanation) : ""},
              {"remediation", r ? std::string(r->remediation) : ""},
              {"blocked", false}};
}

TEST(Render, TableColumnsAreAligned) {
  std::string t = renderTable({"ID", "NAME"}, {{"a", "x"}, {"longer-id", "y"}});
  auto l = lines(t);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0], "ID         NAME");
  EXPECT_EQ(l[1], "a          x");
  EXPECT_EQ(l[2], "longer-id  y");
}

TEST(Render, TableCountsCodePointsNotBytes) {
  auto l = lines(renderTable({"OWNER", "X"}, {{"Jürgen", "1"}, {"Jane", "2"}}));
  EXPECT_EQ(l[1], "Jürgen  1");
  EXPECT_EQ(l[2], "Jane    2");
}

TEST(Render, SanitizesControlCharacters) {
  EXPECT_EQ(sanitizeForTerminal("SN\x1b[31mRED\n"), "SN?[31mRED?");
  json list = json::array({device("dev-000001", "EVIL\x1b]0;pwned\x07", "ready", "")});
  std::string out = renderResult("devices", list);
  EXPECT_FALSE(contains(out, "\x1b"));
  EXPECT_FALSE(contains(out, "\x07"));
}

TEST(Render, DevicesTableWithRemedies) {
  json list = json::array({device("dev-000001", "SN1", "ready", ""),
                           device("dev-000002", "SN2", "quarantined", "PB-1021"),
                           device("dev-000003", "SN3", "blocked", "PB-1003")});
  std::string out = renderResult("devices", list);
  auto l = lines(out);
  ASSERT_GE(l.size(), 4u);
  EXPECT_EQ(l[0].rfind("ID          SERIAL  MODEL          STATE        CODE     REASON", 0), 0u)
      << l[0];
  EXPECT_TRUE(contains(l[1], "dev-000001")) << out;
  EXPECT_TRUE(contains(l[1], "ready"));
  EXPECT_TRUE(contains(l[2], "PB-1021"));
  EXPECT_TRUE(contains(l[2], std::string(findReason("PB-1021")->explanation)));
  EXPECT_TRUE(contains(out, "What to do:"));
  EXPECT_TRUE(contains(out, std::string(findReason("PB-1003")->remediation)));
  EXPECT_TRUE(contains(out, std::string(findReason("PB-1021")->remediation)));
  EXPECT_TRUE(contains(out, "3 devices"));
}

TEST(Render, ReadyDevicesGetNoRemedy) {
  std::string out =
      renderResult("devices", json::array({device("dev-000001", "SN1", "ready", "")}));
  EXPECT_FALSE(contains(out, "What to do"));
  EXPECT_TRUE(contains(out, "1 device"));
}

TEST(Render, EmptyDeviceList) {
  EXPECT_EQ(renderResult("devices", json::array()), "No devices.\n");
}

TEST(Render, BlockListedDeviceIsMarked) {
  json d = device("dev-000004", "SN4", "unseen", "");
  d["blocked"] = true;
  EXPECT_TRUE(contains(renderResult("devices", json::array({d})), "unseen, block-listed"));
}

TEST(Render, DeviceShowIncludesRemedyApprovalSessionsAndAudit) {
  json d = device("dev-000002", "SN2", "quarantined", "PB-1020");
  d["state_since"] = "2026-11-22T12:00:00Z";
  json r{{"device", d},
         {"sessions", json::array({json{{"id", "s-0123456789abcdef"},
                                        {"state", "quarantined"},
                                        {"reason_code", "PB-1020"},
                                        {"slot", "3"},
                                        {"source", "10.0.0.9"},
                                        {"started_at", "2026-11-22T12:00:00Z"},
                                        {"open", false}}})},
         {"approval", json{{"id", 7},
                           {"approved_by", "uid:0"},
                           {"answers_code", "PB-1020"},
                           {"expires_at", "2026-11-23T12:00:00Z"},
                           {"reason", "returned from repair"}}},
         {"audit", json::array({json{{"seq", 12},
                                     {"time", "2026-11-22T12:00:00Z"},
                                     {"actor", "benchd"},
                                     {"action", "admission.quarantined"},
                                     {"before", "discovered"},
                                     {"after", "quarantined"},
                                     {"reason", "PB-1020"}}})}};
  std::string out = renderResult("device.show", r);
  EXPECT_TRUE(contains(out, "dev-000002"));
  EXPECT_TRUE(contains(out, "quarantined since 2026-11-22T12:00:00Z"));
  EXPECT_TRUE(contains(out, std::string(findReason("PB-1020")->explanation)));
  EXPECT_TRUE(contains(out, "What to do"));
  EXPECT_TRUE(contains(out, std::string(findReason("PB-1020")->remediation)));
  EXPECT_TRUE(contains(out, "#7 by uid:0"));
  EXPECT_TRUE(contains(out, "s-0123456789abcdef"));
  EXPECT_TRUE(contains(out, "discovered -> quarantined"));
  EXPECT_TRUE(contains(out, "\n  SESSION ")) << out;  // nested tables are indented
  EXPECT_TRUE(contains(out, "\n  SEQ "));
}

TEST(Render, StatusShowsTheProvisioningCertificateInOneLine) {
  json r{{"bench_id", "b1"},
         {"amt_provisioning_certificate",
          {{"level", "warning"},
           {"code", "PB-2050"},
           {"message", "The AMT provisioning certificate expires in 30 days"},
           {"days_left", 30}}},
         {"devices_total", 0}};
  std::string out = renderResult("status", r);
  EXPECT_TRUE(contains(out, "warning PB-2050: The AMT provisioning certificate expires in 30 days"))
      << out;
}

TEST(Render, DeviceShowListsChecksAndWhatToDo) {
  json r{{"device", device("dev-000001", "SN1", "failed", "PB-2004")},
         {"sessions", json::array()},
         {"approval", nullptr},
         {"checks",
          {{"session_id", "s-0123456789abcdef"},
           {"policy_hash", std::string(64, 'c')},
           {"recorded_at", "2026-11-22T12:00:00Z"},
           {"results",
            json::array({json{{"id", "amt.presence"},
                              {"outcome", "pass"},
                              {"code", ""},
                              {"message", "AMT present"},
                              {"remediation", ""}},
                         json{{"id", "amt.thumbprints"},
                              {"outcome", "fail"},
                              {"code", "PB-2004"},
                              {"message", "Default external CA thumbprints are active\x1b[2J"},
                              {"remediation", "Reflash with the custom firmware image."}}})}}},
         {"audit", json::array()}};
  std::string out = renderResult("device.show", r);
  EXPECT_TRUE(contains(out, "Checks (session s-0123456789abcdef")) << out;
  EXPECT_TRUE(contains(out, "policy cccccccccccc)"));
  EXPECT_TRUE(contains(out, "\n  CHECK "));
  EXPECT_TRUE(contains(out, "amt.thumbprints: Reflash with the custom firmware image."));
  EXPECT_FALSE(contains(out, "\x1b")) << "device-reported text is sanitised";
}

TEST(Render, DeviceShowWithoutHistory) {
  json r{{"device", device("dev-000001", "SN1", "unseen", "")},
         {"sessions", json::array()},
         {"approval", nullptr},
         {"audit", json::array()}};
  std::string out = renderResult("device.show", r);
  EXPECT_TRUE(contains(out, "none"));
  EXPECT_FALSE(contains(out, "What to do"));
}

TEST(Render, ImportErrorsOnePerLine) {
  json response{
      {"ok", false},
      {"code", "PB-9502"},
      {"error", "register.csv: 2 problems; nothing was imported"},
      {"errors",
       json::array({json{{"line", 3}, {"field", "serial"}, {"message", "is empty"}},
                    json{{"line", 7}, {"field", "smbios_uuid"}, {"message", "not a UUID"}},
                    json{{"line", 0}, {"field", ""}, {"message", "file too large"}}})}};
  std::string out = renderFailure(response, "/srv/register.csv");
  EXPECT_TRUE(contains(out, "PB-9502"));
  EXPECT_TRUE(contains(out, "/srv/register.csv:3: serial: is empty\n"));
  EXPECT_TRUE(contains(out, "/srv/register.csv:7: smbios_uuid: not a UUID\n"));
  EXPECT_TRUE(contains(out, "/srv/register.csv: file too large\n"));
  EXPECT_EQ(exitCodeForResponse("registry.import", response), 1);
}

TEST(Render, ImportSuccess) {
  json result{
      {"file_name", "r.csv"},
      {"created", 2},
      {"updated", 1},
      {"unchanged", 4},
      {"devices", json::array({json{{"id", "dev-000001"}, {"serial", "SN1"}}})},
      {"warnings",
       json::array({json{{"line", 4}, {"field", "window_until"}, {"message", "already closed"}}})}};
  std::string out = renderResult("registry.import", result, "in/r.csv");
  EXPECT_TRUE(contains(out, "Imported in/r.csv: 2 created, 1 updated, 4 unchanged."));
  EXPECT_TRUE(contains(out, "dev-000001  SN1"));
  EXPECT_TRUE(contains(out, "in/r.csv:4: window_until: already closed (warning)"));
}

TEST(Render, FailureShowsCodeNameAndRemedy) {
  json response{{"ok", false}, {"code", "PB-9501"}, {"error", "\"block\" needs the admin role"}};
  std::string out = renderFailure(response);
  EXPECT_TRUE(contains(out, "PB-9501 admin_unauthorised: \"block\" needs the admin role"));
  EXPECT_TRUE(contains(out, "What to do: " + std::string(findReason("PB-9501")->remediation)));
}

TEST(Render, ExitCodes) {
  EXPECT_EQ(exitCodeForResponse("status", json{{"ok", true}, {"result", json::object()}}), 0);
  EXPECT_EQ(exitCodeForResponse("status", json{{"ok", false}, {"code", "PB-9501"}, {"error", "x"}}),
            1);
  EXPECT_EQ(exitCodeForResponse("audit.verify", json{{"ok", true}, {"result", {{"ok", true}}}}), 0);
  EXPECT_EQ(exitCodeForResponse("audit.verify", json{{"ok", true}, {"result", {{"ok", false}}}}),
            1);
}

TEST(Render, AuditVerify) {
  EXPECT_TRUE(contains(
      renderResult("audit.verify", json{{"ok", true}, {"records", 42}, {"head_hash", "ab12"}}),
      "intact: 42 records, head ab12"));
  std::string broken = renderResult("audit.verify", json{{"ok", false},
                                                         {"records", 42},
                                                         {"first_bad_seq", 17},
                                                         {"problem", "record 17 was edited"}});
  EXPECT_TRUE(contains(broken, "BROKEN at record 17: record 17 was edited"));
  // An incremental run says where it started and how to check everything.
  std::string incremental = renderResult("audit.verify", json{{"ok", true},
                                                              {"records", 3},
                                                              {"head_hash", "ab12"},
                                                              {"full", false},
                                                              {"verified_before", 40}});
  EXPECT_TRUE(contains(incremental, "3 records checked after record 40")) << incremental;
  EXPECT_TRUE(contains(incremental, "--full")) << incremental;
}

TEST(Render, AuditTail) {
  json list = json::array({json{{"seq", 1},
                                {"time", "2026-11-22T12:00:00Z"},
                                {"actor", "uid:0"},
                                {"action", "registry.import"},
                                {"device_id", ""},
                                {"before", ""},
                                {"after", ""},
                                {"reason", ""}}});
  std::string out = renderResult("audit.tail", list);
  EXPECT_TRUE(contains(lines(out)[0], "SEQ"));
  EXPECT_TRUE(contains(out, "registry.import"));
  EXPECT_EQ(renderResult("audit.tail", json::array()), "The audit log is empty.\n");
}

TEST(Render, StatusShowsProviderFieldsAndCounts) {
  json s{{"bench_id", "bench-01"},
         {"version", "0.1.0"},
         {"devices", {{"ready", 3}, {"unseen", 2}, {"failed", 0}}},
         {"devices_total", 5},
         {"devices_blocked", 1},
         {"audit_records", 99}};
  std::string out = renderResult("status", s);
  EXPECT_TRUE(contains(out, "Bench id"));
  EXPECT_TRUE(contains(out, "bench-01"));
  EXPECT_TRUE(contains(out, "5 total (ready 3, unseen 2), 1 block-listed"));
  EXPECT_FALSE(contains(out, "failed 0"));
  EXPECT_TRUE(contains(out, "99"));
}

TEST(Render, ApproveBlockUnblock) {
  EXPECT_TRUE(contains(
      renderResult("approve", json{{"id", 3},
                                   {"device_id", "dev-000002"},
                                   {"answers_code", "PB-1003"},
                                   {"expires_at", "2026-11-23T12:00:00Z"}}),
      "Approved dev-000002 (answers PB-1003), approval #3 valid until 2026-11-23T12:00:00Z"));
  EXPECT_EQ(renderResult("block", json{{"id", "dev-000002"}, {"serial", "SN2"}}),
            "Blocked dev-000002 (SN2).\n");
  EXPECT_EQ(renderResult("unblock", json{{"id", "dev-000002"}, {"serial", "SN2"}}),
            "Unblocked dev-000002 (SN2).\n");
}

TEST(Render, UnknownShapesFallBackToJson) {
  EXPECT_TRUE(contains(renderResult("devices", json{{"surprise", 1}}), "\"surprise\": 1"));
}

TEST(Render, ReasonsMarkdownDocument) {
  std::string md = renderReasons(true);
  EXPECT_EQ(md.rfind("# provbench reason codes\n", 0), 0u);
  EXPECT_TRUE(contains(md, "| code | name | meaning | what to do |"));
  for (const auto& r : allReasons()) {
    EXPECT_TRUE(contains(md, "| " + std::string(r.code) + " | " + std::string(r.name) + " | "))
        << r.code;
  }
  // Every table row has exactly the four columns (no unescaped '|' inside a cell).
  for (const auto& l : lines(md)) {
    if (l.rfind("| PB-", 0) != 0) continue;
    int bars = 0;
    for (std::size_t i = 0; i < l.size(); ++i) bars += l[i] == '|' && (i == 0 || l[i - 1] != '\\');
    EXPECT_EQ(bars, 5) << l;
  }
}

TEST(Render, ReasonsPlainAndJson) {
  std::string plain = renderReasons(false);
  EXPECT_TRUE(contains(plain, "PB-1001  not_registered"));
  EXPECT_TRUE(contains(plain, "What to do: "));
  EXPECT_EQ(reasonsJson().size(), allReasons().size());
}

}  // namespace
}  // namespace pb
