// SPDX-License-Identifier: Apache-2.0
// Paged lists (issue 10, item 8): `devices` and `registry.list` return at most one page and a
// cursor, so the reply stays bounded at any fleet size. Runs on the fake store and on SQLite.
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "admin/admin_handler.hpp"
#include "core/reasons.hpp"
#include "support/fake_store.hpp"
#include "test_support.hpp"

namespace pb {
namespace {

using nlohmann::json;

constexpr int kDevices = 2500;

std::vector<RegistryRow> rows(int n) {
  std::vector<RegistryRow> out;
  for (int i = 0; i < n; ++i) {
    RegistryRow r;
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", i);
    r.serial = "SN-" + std::to_string(100000 + i);
    r.smbiosUuid = uuid;
    r.model = "Latitude 7440";
    r.owner = "Alice";
    r.ownerEmail = "alice@example.org";
    r.tenant = "lab";
    r.windowFrom = 1'767'225'600;   // 2026-01-01
    r.windowUntil = 1'798'761'600;  // 2027-01-01
    r.line = i + 2;
    out.push_back(std::move(r));
  }
  return out;
}

class PagingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      auto s = Store::open(dir_.path() + "/inventory.db", Bytes(32, 0x42), clock_);
      ASSERT_TRUE(s.ok()) << s.error().message;
      store_ = std::move(*s);
    }
    if (!store_) store_ = std::make_unique<test::FakeStore>(clock_);
    auto imported = store_->importRegistry(rows(kDevices), "uid:0", "big.csv");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    handler_ = std::make_unique<StoreAdminHandler>(*store_, clock_, [] { return json::object(); });
  }

  json call(const std::string& cmd, json args) {
    AdminCall c;
    c.cmd = cmd;
    c.args = std::move(args);
    c.role = Role::Admin;
    return handler_->handle(c);
  }

  // Follows the cursors to the end; returns every id in order and counts the pages.
  std::vector<std::string> walk(const std::string& cmd, json args, int limit, int& pages) {
    std::vector<std::string> ids;
    pages = 0;
    for (;;) {
      args["limit"] = limit;
      json r = call(cmd, args);
      EXPECT_EQ(r["ok"], true) << r.dump().substr(0, 300);
      if (r["ok"] != true) break;
      ++pages;
      EXPECT_LE(r["result"].size(), static_cast<std::size_t>(limit));
      for (const auto& d : r["result"]) ids.push_back(d["id"]);
      if (r["next"].is_null()) break;
      EXPECT_EQ(r["next"], ids.back());  // the cursor is the last id of the page
      args["after"] = r["next"];
      if (pages > kDevices) break;  // a runaway loop would be a bug; stop the test, not CI
    }
    return ids;
  }

  test::AdminTempDir dir_;
  FixedClock clock_{1'780'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreAdminHandler> handler_;
};

TEST_P(PagingTest, DevicesPagesCoverEveryDeviceOnceInIdOrder) {
  int pages = 0;
  auto ids = walk("devices", json::object(), 100, pages);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(pages, kDevices / 100);  // 2,500 / 100: the 25th page is the last, no empty 26th
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_P(PagingTest, RegistryListPagesWithAPartialLastPage) {
  int pages = 0;
  auto ids = walk("registry.list", json::object(), 300, pages);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(pages, 9);  // 8 full pages and 100 on the last
}

TEST_P(PagingTest, TheLastPageSaysNextNull) {
  json r = call("devices", {{"limit", 7}, {"after", "dev-002495"}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["result"].size(), 5u);
  EXPECT_TRUE(r["next"].is_null());
  // Past the end: an empty page, also final.
  json past = call("devices", {{"after", "dev-002500"}});
  EXPECT_TRUE(past["result"].empty());
  EXPECT_TRUE(past["next"].is_null());
}

TEST_P(PagingTest, WithoutALimitTheServerCapsThePage) {
  json r = call("devices", json::object());
  ASSERT_EQ(r["ok"], true);
  EXPECT_EQ(r["result"].size(), static_cast<std::size_t>(kMaxAdminPageSize));
  EXPECT_EQ(r["next"], "dev-001000");
  json reg = call("registry.list", json::object());
  EXPECT_EQ(reg["result"].size(), static_cast<std::size_t>(kMaxAdminPageSize));
}

TEST_P(PagingTest, StateFilterAndUnseenArePagedToo) {
  int pages = 0;
  auto unseen = walk("devices", {{"state", "unseen"}}, 1000, pages);
  EXPECT_EQ(unseen.size(), static_cast<std::size_t>(kDevices));
  EXPECT_EQ(pages, 3);
  auto ready = walk("devices", {{"state", "ready"}}, 1000, pages);
  EXPECT_TRUE(ready.empty());
  EXPECT_EQ(pages, 1);
}

TEST_P(PagingTest, InvalidLimitsAreRefused) {
  for (const json& bad : {json(0), json(kMaxAdminPageSize + 1), json(-1), json("10"), json(1.5)}) {
    json r = call("devices", {{"limit", bad}});
    EXPECT_EQ(r["code"], reason::kAdminBadRequest) << bad.dump();
    EXPECT_NE(r["error"].get<std::string>().find("limit"), std::string::npos) << r.dump();
  }
}

TEST_P(PagingTest, InvalidCursorsAreRefused) {
  for (const json& bad :
       {json(""), json("dev-"), json("dev-12345"), json("dev-00000x"), json("' OR 1=1 --"),
        json(1000), json::array(), json("DEV-000001"), json("dev-000001\n")}) {
    for (const char* cmd : {"devices", "registry.list"}) {
      json r = call(cmd, {{"after", bad}});
      EXPECT_EQ(r["code"], reason::kAdminBadRequest) << cmd << " " << bad.dump();
      EXPECT_NE(r["error"].get<std::string>().find("\"after\""), std::string::npos) << r.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, PagingTest, ::testing::Values("fake", "sqlite"));

}  // namespace
}  // namespace pb
