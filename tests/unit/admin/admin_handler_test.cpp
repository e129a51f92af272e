// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_handler.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"
#include "support/fake_store.hpp"
#include "test_support.hpp"

namespace pb {
namespace {

using nlohmann::json;

constexpr const char* kHeader =
    "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n";

std::string row(const std::string& serial, const std::string& uuid) {
  return serial + "," + uuid +
         ",Latitude 7440,Alice,alice@example.org,lab,,2026-01-01,2027-01-01\n";
}

std::int64_t at(const char* text) {
  std::int64_t t = 0;
  EXPECT_TRUE(parseUtc(text, t)) << text;
  return t;
}

// Runs against the in-memory fake and, when pb_store is built, the real SQLite store.
class HandlerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store_ = makeStore();
    ASSERT_NE(store_, nullptr);
    handler_ = std::make_unique<StoreAdminHandler>(*store_, clock_, [] {
      return json{{"bench_id", "bench-01"}, {"listener_port", 4433}};
    });
  }

  std::unique_ptr<Store> makeStore() {
    if (GetParam() == "sqlite") {
      auto s = Store::open(dir_.path() + "/inventory.db", Bytes(32, 0x42), clock_);
      EXPECT_TRUE(s.ok()) << s.error().message;
      return s.ok() ? std::move(*s) : nullptr;
    }
    return std::make_unique<test::FakeStore>(clock_);
  }

  json call(const std::string& cmd, json args = json::object(), uid_t uid = 1000) {
    AdminCall c;
    c.cmd = cmd;
    c.args = std::move(args);
    c.uid = uid;
    c.gid = uid;
    c.pid = 4242;
    c.role = Role::Admin;
    return handler_->handle(c);
  }

  // Imports SN-1 and SN-2 (dev-000001, dev-000002).
  void importTwo() {
    json r = call(
        "registry.import",
        {{"file_name", "register.csv"},
         {"content", std::string(kHeader) + row("SN-1", "4c4c4544-0031-3410-8033-b2c04f4e3232") +
                         row("SN-2", "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")}});
    ASSERT_EQ(r["ok"], true) << r.dump();
  }

  std::string idOf(const std::string& serial) {
    auto d = store_->findDeviceBySerial(serial);
    EXPECT_TRUE(d.ok() && d->has_value()) << serial;
    return d.ok() && d->has_value() ? (*d)->id : "";
  }

  // Runs a session for the device that ends in `to` with `code`, the way the session manager does.
  void moveTo(const std::string& deviceId, DeviceState to, std::string_view code) {
    SessionRecord init;
    init.deviceId = deviceId;
    init.source = "10.0.0.9";
    init.slot = "3";
    auto s = store_->createSession(init, "benchd");
    ASSERT_TRUE(s.ok()) << s.error().message;
    Transition t;
    t.sessionId = s->id;
    t.deviceId = deviceId;
    t.to = to;
    t.reasonCode = std::string(code);
    t.closeSession = true;
    t.actor = "session:" + s->id;
    t.action = "admission.verdict";
    auto st = store_->applyTransition(t);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  void expectError(const json& r, std::string_view code, std::string_view fragment) {
    EXPECT_EQ(r["ok"], false) << r.dump();
    EXPECT_EQ(r["code"], code) << r.dump();
    EXPECT_NE(r.value("error", "").find(fragment), std::string::npos) << r.dump();
  }

  test::AdminTempDir dir_;
  FixedClock clock_{at("2026-06-01T12:00:00Z")};
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreAdminHandler> handler_;
};

// ---- status ----

TEST_P(HandlerTest, StatusMergesProviderAndCounts) {
  importTwo();
  moveTo(idOf("SN-2"), DeviceState::Quarantined, reason::kReEnrollment);
  json r = call("status");
  ASSERT_EQ(r["ok"], true) << r.dump();
  const json& s = r["result"];
  EXPECT_EQ(s["bench_id"], "bench-01");
  EXPECT_EQ(s["listener_port"], 4433);
  EXPECT_EQ(s["devices"]["unseen"], 1);
  EXPECT_EQ(s["devices"]["quarantined"], 1);
  EXPECT_EQ(s["devices"]["ready"], 0);
  EXPECT_EQ(s["devices_total"], 2);
  EXPECT_GT(s["audit_records"].get<int>(), 0);
}

// ---- devices ----

TEST_P(HandlerTest, DevicesListsEveryDeviceWithReasonTexts) {
  importTwo();
  moveTo(idOf("SN-1"), DeviceState::Blocked, reason::kApprovalRequired);
  json r = call("devices");
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(r["result"].size(), 2u);
  json blocked;
  json unseen;
  for (const auto& d : r["result"]) (d["serial"] == "SN-1" ? blocked : unseen) = d;
  EXPECT_EQ(blocked["state"], "blocked");
  EXPECT_EQ(blocked["reason_code"], "PB-1003");
  EXPECT_EQ(blocked["reason"], findReason("PB-1003")->explanation);
  EXPECT_EQ(blocked["remediation"], findReason("PB-1003")->remediation);
  EXPECT_EQ(blocked["slot"].is_string(), true);
  EXPECT_EQ(unseen["state"], "unseen");
  EXPECT_EQ(unseen["reason_code"], "");
  EXPECT_EQ(unseen["window_from"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(unseen["window_until"], "2027-01-01T00:00:00Z");
  EXPECT_EQ(unseen["smbios_uuid"], "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d");
  for (auto key : {"id", "model", "owner", "owner_email", "tenant", "ek_sha256", "blocked",
                   "block_reason", "retryable", "state_since", "enrolled_at", "bound_ek_sha256"}) {
    EXPECT_TRUE(unseen.contains(key)) << key;
  }
}

TEST_P(HandlerTest, DevicesFiltersByState) {
  importTwo();
  moveTo(idOf("SN-2"), DeviceState::Quarantined, reason::kUuidMismatch);
  json q = call("devices", {{"state", "quarantined"}});
  ASSERT_EQ(q["result"].size(), 1u) << q.dump();
  EXPECT_EQ(q["result"][0]["serial"], "SN-2");
  json u = call("devices", {{"state", "unseen"}});
  ASSERT_EQ(u["result"].size(), 1u) << u.dump();
  EXPECT_EQ(u["result"][0]["serial"], "SN-1");
  EXPECT_TRUE(call("devices", {{"state", "ready"}})["result"].empty());
}

TEST_P(HandlerTest, DevicesRejectsUnknownStateListingValidNames) {
  json r = call("devices", {{"state", "happy"}});
  expectError(r, reason::kAdminBadRequest, "unknown state");
  EXPECT_NE(r["error"].get<std::string>().find("unseen, discovered"), std::string::npos);
  EXPECT_NE(r["error"].get<std::string>().find("not_attestable"), std::string::npos);
  expectError(call("devices", {{"state", 3}}), reason::kAdminBadRequest, "string");
}

// ---- device.show ----

TEST_P(HandlerTest, DeviceShowHasSessionsApprovalAndAudit) {
  importTwo();
  std::string id = idOf("SN-2");
  moveTo(id, DeviceState::Quarantined, reason::kReEnrollment);
  json r = call("device.show", {{"id", id}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["device"]["id"], id);
  EXPECT_EQ(r["result"]["device"]["state"], "quarantined");
  ASSERT_EQ(r["result"]["sessions"].size(), 1u);
  EXPECT_EQ(r["result"]["sessions"][0]["state"], "quarantined");
  EXPECT_TRUE(r["result"]["approval"].is_null());
  EXPECT_FALSE(r["result"]["audit"].empty());

  ASSERT_EQ(call("approve", {{"id", id}, {"reason", "back from repair"}})["ok"], true);
  json after = call("device.show", {{"id", id}});
  EXPECT_EQ(after["result"]["approval"]["answers_code"], "PB-1020");
}

TEST_P(HandlerTest, DeviceShowHasTheLatestCheckResults) {
  importTwo();
  std::string id = idOf("SN-1");
  json none = call("device.show", {{"id", id}});
  EXPECT_TRUE(none["result"]["checks"].is_null()) << none.dump();
  moveTo(id, DeviceState::Failed, reason::kAmtForeignThumbprint);
  auto sessions = store_->sessionsForDevice(id, 1);
  ASSERT_TRUE(sessions.ok());
  CheckRun run;
  run.sessionId = sessions->at(0).id;
  run.deviceId = id;
  run.policyHash = std::string(64, 'c');
  run.checks = {{"amt.presence", "pass", "", "AMT present", ""},
                {"amt.thumbprints", "fail", "PB-2004", "Default external CA thumbprints are active",
                 "reflash"}};
  ASSERT_TRUE(store_->recordCheckRun(run, "session:" + run.sessionId).ok());
  json r = call("device.show", {{"id", id}});
  const json& checks = r["result"]["checks"];
  EXPECT_EQ(checks["session_id"], run.sessionId);
  EXPECT_EQ(checks["policy_hash"], std::string(64, 'c'));
  ASSERT_EQ(checks["results"].size(), 2u);
  EXPECT_EQ(checks["results"][1]["code"], "PB-2004");
  EXPECT_EQ(checks["results"][1]["outcome"], "fail");
}

TEST_P(HandlerTest, DeviceShowLimitsHistory) {
  importTwo();
  std::string id = idOf("SN-1");
  for (int i = 0; i < 12; ++i) moveTo(id, DeviceState::Failed, reason::kTimeout);
  json r = call("device.show", {{"id", id}});
  EXPECT_EQ(r["result"]["sessions"].size(), 10u);
  EXPECT_EQ(r["result"]["audit"].size(), 20u);
}

TEST_P(HandlerTest, DeviceShowErrors) {
  expectError(call("device.show"), reason::kAdminBadRequest, "missing argument \"id\"");
  expectError(call("device.show", {{"id", 5}}), reason::kAdminBadRequest, "string");
  expectError(call("device.show", {{"id", ""}}), reason::kAdminBadRequest, "device id");
  expectError(call("device.show", {{"id", std::string(100, 'x')}}), reason::kAdminBadRequest,
              "longer");
  expectError(call("device.show", {{"id", "dev-999999"}}), reason::kAdminNotFound, "dev-999999");
}

// ---- registry.import / registry.list ----

TEST_P(HandlerTest, RegistryImportCreatesUpdatesAndSkipsUnchanged) {
  std::string content = std::string(kHeader) + row("SN-1", "4c4c4544-0031-3410-8033-b2c04f4e3232");
  json r = call("registry.import", {{"file_name", "register.csv"}, {"content", content}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["created"], 1);
  EXPECT_EQ(r["result"]["updated"], 0);
  ASSERT_EQ(r["result"]["devices"].size(), 1u);
  EXPECT_EQ(r["result"]["devices"][0]["serial"], "SN-1");
  std::string id = r["result"]["devices"][0]["id"];
  EXPECT_FALSE(id.empty());

  json same = call("registry.import", {{"file_name", "register.csv"}, {"content", content}});
  ASSERT_EQ(same["ok"], true) << same.dump();
  EXPECT_EQ(same["result"]["created"], 0);
  EXPECT_EQ(same["result"]["updated"], 0);
  EXPECT_EQ(same["result"]["unchanged"], 1);

  std::string changed = content;
  changed.replace(changed.find("Latitude 7440"), 13, "Latitude 7450");
  json upd = call("registry.import", {{"file_name", "register.csv"}, {"content", changed}});
  ASSERT_EQ(upd["ok"], true) << upd.dump();
  EXPECT_EQ(upd["result"]["created"], 0);
  EXPECT_EQ(upd["result"]["updated"], 1);
  EXPECT_EQ(upd["result"]["devices"][0]["id"], id);
}

TEST_P(HandlerTest, RegistryImportRecordsTheActor) {
  importTwo();
  auto tail = store_->auditTail(50);
  ASSERT_TRUE(tail.ok());
  bool found = false;
  for (const auto& rec : *tail)
    found = found || (rec.actor == "uid:1000" && rec.action.rfind("registry.", 0) == 0);
  EXPECT_TRUE(found);
}

TEST_P(HandlerTest, RegistryImportReportsEveryRowErrorAndImportsNothing) {
  std::string content = std::string(kHeader) + row("SN-1", "4c4c4544-0031-3410-8033-b2c04f4e3232") +
                        row("", "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d") + row("SN-3", "not-a-uuid");
  json r = call("registry.import", {{"file_name", "register.csv"}, {"content", content}});
  expectError(r, reason::kAdminBadRequest, "nothing was imported");
  ASSERT_TRUE(r["errors"].is_array()) << r.dump();
  ASSERT_GE(r["errors"].size(), 2u) << r.dump();
  bool line3 = false;
  bool line4 = false;
  for (const auto& e : r["errors"]) {
    EXPECT_TRUE(e.contains("line") && e.contains("field") && e.contains("message")) << e.dump();
    line3 = line3 || (e["line"] == 3 && e["field"] == "serial");
    line4 = line4 || (e["line"] == 4 && e["field"] == "smbios_uuid");
  }
  EXPECT_TRUE(line3) << r.dump();
  EXPECT_TRUE(line4) << r.dump();
  auto all = store_->listDevices(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_P(HandlerTest, RegistryImportAcceptsYaml) {
  std::string yaml =
      "- serial: SN-Y\n"
      "  smbios_uuid: 4c4c4544-0031-3410-8033-b2c04f4e3232\n"
      "  model: X1\n  owner: Bob\n  owner_email: bob@example.org\n  tenant: lab\n"
      "  window_from: 2026-01-01\n  window_until: 2027-01-01\n";
  json r = call("registry.import", {{"file_name", "register.yaml"}, {"content", yaml}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["created"], 1);
}

TEST_P(HandlerTest, RegistryImportArgumentErrors) {
  expectError(call("registry.import", {{"file_name", "register.txt"}, {"content", kHeader}}),
              reason::kAdminBadRequest, "format");
  expectError(call("registry.import", {{"content", kHeader}}), reason::kAdminBadRequest,
              "file_name");
  expectError(call("registry.import", {{"file_name", "r.csv"}}), reason::kAdminBadRequest,
              "content");
  expectError(call("registry.import", {{"file_name", "r.csv"}, {"content", 1}}),
              reason::kAdminBadRequest, "string");
  expectError(call("registry.import", {{"file_name", "a\nb.csv"}, {"content", kHeader}}),
              reason::kAdminBadRequest, "file name");
  expectError(call("registry.import", {{"file_name", "r.csv"}, {"content", kHeader}}),
              reason::kAdminBadRequest, "no devices");
}

TEST_P(HandlerTest, RegistryListHasRegisterFieldsOnly) {
  importTwo();
  moveTo(idOf("SN-1"), DeviceState::Failed, reason::kTimeout);
  json r = call("registry.list");
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(r["result"].size(), 2u);
  for (const auto& d : r["result"]) {
    EXPECT_TRUE(d.contains("serial"));
    EXPECT_TRUE(d.contains("window_until"));
    EXPECT_FALSE(d.contains("state"));
    EXPECT_FALSE(d.contains("reason_code"));
  }
}

// ---- approve ----

TEST_P(HandlerTest, ApproveQuarantinedDeviceWithDefaultTtl) {
  importTwo();
  std::string id = idOf("SN-2");
  moveTo(id, DeviceState::Quarantined, reason::kUuidMismatch);
  json r = call("approve", {{"id", id}, {"reason", "mainboard swap, ticket 42"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["device_id"], id);
  EXPECT_EQ(r["result"]["answers_code"], "PB-1021");
  EXPECT_EQ(r["result"]["approved_by"], "uid:1000");
  EXPECT_EQ(r["result"]["reason"], "mainboard swap, ticket 42");
  EXPECT_EQ(r["result"]["expires_at"], formatUtc(clock_.nowUnix() + 24 * 3600));
}

TEST_P(HandlerTest, ApproveDeviceAwaitingApprovalWithTtl) {
  importTwo();
  std::string id = idOf("SN-1");
  moveTo(id, DeviceState::Blocked, reason::kApprovalRequired);
  json r = call("approve", {{"id", id}, {"reason", "first enrollment"}, {"ttl_hours", 2}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["answers_code"], "PB-1003");
  EXPECT_EQ(r["result"]["expires_at"], formatUtc(clock_.nowUnix() + 2 * 3600));
}

TEST_P(HandlerTest, ApproveRefusesDevicesThatDoNotNeedIt) {
  importTwo();
  expectError(call("approve", {{"id", idOf("SN-1")}, {"reason", "x"}}), reason::kAdminConflict,
              "unseen");
  std::string id = idOf("SN-2");
  moveTo(id, DeviceState::Blocked, reason::kWindowClosed);
  expectError(call("approve", {{"id", id}, {"reason", "x"}}), reason::kAdminConflict,
              "blocked (PB-1005)");
  moveTo(id, DeviceState::Failed, reason::kTimeout);
  expectError(call("approve", {{"id", id}, {"reason", "x"}}), reason::kAdminConflict, "failed");
  auto active = store_->activeApproval(id);
  ASSERT_TRUE(active.ok());
  EXPECT_FALSE(active->has_value());
}

TEST_P(HandlerTest, ApproveRefusesABlockListedDevice) {
  importTwo();
  std::string id = idOf("SN-2");
  moveTo(id, DeviceState::Quarantined, reason::kReEnrollment);
  ASSERT_EQ(call("block", {{"id", id}, {"reason", "stolen"}})["ok"], true);
  expectError(call("approve", {{"id", id}, {"reason", "x"}}), reason::kAdminConflict, "block list");
}

TEST_P(HandlerTest, ApproveArgumentErrors) {
  importTwo();
  std::string id = idOf("SN-2");
  moveTo(id, DeviceState::Quarantined, reason::kReEnrollment);
  expectError(call("approve", {{"id", id}}), reason::kAdminBadRequest, "reason");
  expectError(call("approve", {{"id", id}, {"reason", "   "}}), reason::kAdminBadRequest, "empty");
  expectError(call("approve", {{"id", id}, {"reason", "a\nb"}}), reason::kAdminBadRequest,
              "one line");
  expectError(call("approve", {{"id", id}, {"reason", std::string(2000, 'x')}}),
              reason::kAdminBadRequest, "longer");
  for (json ttl : {json(0), json(721), json(-1), json("5"), json(1.5), json(true),
                   json(std::uint64_t{18446744073709551615ull})}) {
    expectError(call("approve", {{"id", id}, {"reason", "x"}, {"ttl_hours", ttl}}),
                reason::kAdminBadRequest, "ttl_hours");
  }
  expectError(call("approve", {{"id", "dev-999999"}, {"reason", "x"}}), reason::kAdminNotFound,
              "dev-999999");
}

// ---- block / unblock ----

TEST_P(HandlerTest, BlockAndUnblock) {
  importTwo();
  std::string id = idOf("SN-1");
  json b = call("block", {{"id", id}, {"reason", "reported stolen"}}, 0);
  ASSERT_EQ(b["ok"], true) << b.dump();
  EXPECT_EQ(b["result"]["blocked"], true);
  EXPECT_EQ(b["result"]["block_reason"], "reported stolen");
  expectError(call("block", {{"id", id}, {"reason", "again"}}), reason::kAdminConflict,
              "already blocked");

  json u = call("unblock", {{"id", id}, {"reason", "found"}}, 0);
  ASSERT_EQ(u["ok"], true) << u.dump();
  EXPECT_EQ(u["result"]["blocked"], false);
  expectError(call("unblock", {{"id", id}, {"reason", "again"}}), reason::kAdminConflict,
              "not blocked");

  auto tail = store_->auditForDevice(id, 10);
  ASSERT_TRUE(tail.ok());
  int byRoot = 0;
  for (const auto& rec : *tail) byRoot += rec.actor == "uid:0";
  EXPECT_EQ(byRoot, 2);
}

TEST_P(HandlerTest, BlockErrors) {
  importTwo();
  expectError(call("block", {{"id", idOf("SN-1")}}), reason::kAdminBadRequest, "reason");
  expectError(call("block", {{"id", idOf("SN-1")}, {"reason", ""}}), reason::kAdminBadRequest,
              "empty");
  expectError(call("unblock", {{"reason", "x"}}), reason::kAdminBadRequest, "\"id\"");
  expectError(call("block", {{"id", "dev-999999"}, {"reason", "x"}}), reason::kAdminNotFound,
              "dev-999999");
}

// ---- audit ----

TEST_P(HandlerTest, AuditVerifyReportsTheChain) {
  importTwo();
  json r = call("audit.verify");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"]["ok"], true);
  EXPECT_GT(r["result"]["records"].get<int>(), 0);
  EXPECT_EQ(r["result"]["first_bad_seq"], 0);
  EXPECT_TRUE(r["result"].contains("head_hash"));
  EXPECT_TRUE(r["result"].contains("full"));
  expectError(call("audit.verify", {{"full", 1}}), reason::kAdminBadRequest, "full");
  json full = call("audit.verify", {{"full", true}});
  ASSERT_EQ(full["ok"], true) << full.dump();
  EXPECT_EQ(full["result"]["full"], true);
}

TEST_P(HandlerTest, AuditTailCountsAndOrder) {
  importTwo();
  moveTo(idOf("SN-1"), DeviceState::Failed, reason::kTimeout);
  json all = call("audit.tail");
  ASSERT_EQ(all["ok"], true);
  ASSERT_GE(all["result"].size(), 3u);
  json two = call("audit.tail", {{"count", 2}});
  ASSERT_EQ(two["result"].size(), 2u);
  EXPECT_LT(two["result"][0]["seq"].get<int>(),
            two["result"][1]["seq"].get<int>());  // oldest first
  EXPECT_EQ(two["result"][1]["seq"], all["result"].back()["seq"]);
  expectError(call("audit.tail", {{"count", 0}}), reason::kAdminBadRequest, "1..1000");
  expectError(call("audit.tail", {{"count", 1001}}), reason::kAdminBadRequest, "1..1000");
  expectError(call("audit.tail", {{"count", "5"}}), reason::kAdminBadRequest, "count");
}

TEST_P(HandlerTest, DeniedRequestsAreAuditedAsOneRecordPerSummary) {
  DenialSummary d;
  d.uid = 65534;
  d.gid = 65534;
  d.pid = 77;
  d.role = Role::None;
  d.count = 20000;
  d.commands = {{std::string(kDeniedAtConnect), 19999}, {"registry.import", 1}};
  d.firstUnix = 1'700'000'000;
  d.lastUnix = 1'700'000'059;
  handler_->auditDenied(d);
  auto tail = store_->auditTail(2);
  ASSERT_TRUE(tail.ok());
  ASSERT_FALSE(tail->empty());
  const AuditRecord& rec = tail->back();
  EXPECT_EQ(rec.actor, "uid:65534");
  EXPECT_EQ(rec.action, "admin.denied");
  EXPECT_EQ(rec.reason, reason::kAdminUnauthorised);
  EXPECT_EQ(rec.details["count"], 20000);
  EXPECT_EQ(rec.details["commands"]["(connect)"], 19999);
  EXPECT_EQ(rec.details["commands"]["registry.import"], 1);
  EXPECT_EQ(rec.details["pid"], 77);
  EXPECT_EQ(rec.details["role"], "none");
  EXPECT_EQ(rec.details["first_at"], formatUtc(1'700'000'000));
  EXPECT_EQ(rec.details["last_at"], formatUtc(1'700'000'059));
}

INSTANTIATE_TEST_SUITE_P(Stores, HandlerTest, ::testing::Values("fake", "sqlite"));

// ---- failures the real database cannot be made to produce on demand ----

TEST(HandlerFailures, StoreErrorsBecomeInternalErrorsWithoutCrashing) {
  FixedClock clock(at("2026-06-01T12:00:00Z"));
  test::FakeStore store(clock);
  StoreAdminHandler handler(store, clock, nullptr);
  store.failWith = makeError("io", "disk on fire");
  AdminCall c;
  c.role = Role::Admin;
  for (auto cmd : {"status", "devices", "registry.list", "audit.verify", "audit.tail"}) {
    c.cmd = cmd;
    json r = handler.handle(c);
    EXPECT_EQ(r["ok"], false) << cmd;
    EXPECT_EQ(r["code"], reason::kInternalError) << cmd;
    EXPECT_NE(r["error"].get<std::string>().find("disk on fire"), std::string::npos);
  }
}

TEST(HandlerFailures, StoreReasonCodesArePassedThrough) {
  FixedClock clock(at("2026-06-01T12:00:00Z"));
  test::FakeStore store(clock);
  StoreAdminHandler handler(store, clock, nullptr);
  store.failWith = makeError(std::string(reason::kAdminConflict), "serial claimed twice");
  AdminCall c;
  c.cmd = "device.show";
  c.args = {{"id", "dev-000001"}};
  json r = handler.handle(c);
  EXPECT_EQ(r["code"], reason::kAdminConflict);
}

TEST(HandlerFailures, StatusWithoutProviderStillCounts) {
  FixedClock clock(at("2026-06-01T12:00:00Z"));
  test::FakeStore store(clock);
  StoreAdminHandler handler(store, clock, nullptr);
  AdminCall c;
  c.cmd = "status";
  json r = handler.handle(c);
  ASSERT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"]["devices_total"], 0);
}

TEST(HandlerFailures, RejectsAnInvalidDefaultTtl) {
  FixedClock clock(0);
  test::FakeStore store(clock);
  StoreAdminHandlerOptions options;
  options.defaultApprovalTtlHours = 0;
  EXPECT_THROW(StoreAdminHandler(store, clock, nullptr, options), std::invalid_argument);
}

}  // namespace
}  // namespace pb
