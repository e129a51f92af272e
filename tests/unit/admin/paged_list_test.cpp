// SPDX-License-Identifier: Apache-2.0
// benchctl's paged listing against a scripted server: cursors followed, --limit honoured, one JSON
// array with --json, errors mid-way reported.
#include "benchctl/paged_list.hpp"

#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace pb {
namespace {

using nlohmann::json;

Invocation parsedOk(std::vector<std::string> args) {
  auto r = parseCommandLine(args, "");
  EXPECT_TRUE(std::holds_alternative<Invocation>(r));
  return std::holds_alternative<Invocation>(r) ? std::get<Invocation>(r) : Invocation{};
}

std::string idFor(int i) {
  std::string d = std::to_string(i);
  return "dev-" + std::string(6 - d.size(), '0') + d;
}

// A server holding `total` devices that pages them like benchd does, recording each request.
struct ScriptedServer {
  int total = 0;
  std::vector<json> requests;
  Result<json> operator()(const json& args) {
    requests.push_back(args);
    int limit = args.value("limit", 1000);
    int start = 1;
    if (auto a = args.find("after"); a != args.end())
      start = std::stoi(a->get<std::string>().substr(4)) + 1;
    json items = json::array();
    for (int i = start; i <= total && static_cast<int>(items.size()) < limit; ++i) {
      items.push_back(json{{"id", idFor(i)},
                           {"serial", "SN-" + std::to_string(i)},
                           {"model", "M"},
                           {"state", i % 2 == 0 ? "blocked" : "ready"},
                           {"reason_code", i % 2 == 0 ? "PB-1003" : ""},
                           {"remediation", "approve it"}});
    }
    int last = start + static_cast<int>(items.size()) - 1;
    json r{{"ok", true}, {"result", items}, {"next", nullptr}};
    if (last < total) r["next"] = idFor(last);
    return r;
  }
};

TEST(PagedList, FollowsCursorsToTheEndAndPrintsOneTable) {
  ScriptedServer server{25, {}};
  Invocation inv = parsedOk({"devices"});
  std::ostringstream out, err;
  auto o = printPagedList(inv, std::ref(server), 10, out, err);
  EXPECT_EQ(o.exitCode, 0) << err.str();
  EXPECT_EQ(o.printed, 25);
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_FALSE(server.requests[0].contains("after"));
  EXPECT_EQ(server.requests[1]["after"], "dev-000010");
  EXPECT_EQ(server.requests[2]["after"], "dev-000020");
  std::string text = out.str();
  EXPECT_EQ(text.find("ID "), 0u);
  EXPECT_EQ(text.find("ID ", 1), std::string::npos);  // one header, not one per page
  EXPECT_NE(text.find("dev-000025"), std::string::npos);
  EXPECT_NE(text.find("What to do:\n  PB-1003  approve it\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n25 devices\n"), std::string::npos);
}

TEST(PagedList, JsonIsOneValidArrayAcrossPages) {
  ScriptedServer server{25, {}};
  Invocation inv = parsedOk({"--json", "registry", "list"});
  std::ostringstream out, err;
  auto o = printPagedList(inv, std::ref(server), 10, out, err);
  EXPECT_EQ(o.exitCode, 0);
  json all = json::parse(out.str(), nullptr, false);
  ASSERT_TRUE(all.is_array()) << out.str();
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all[24]["id"], "dev-000025");
}

TEST(PagedList, AnEmptyListIsAnEmptyArrayOrAMessage) {
  ScriptedServer server{0, {}};
  std::ostringstream out, err;
  printPagedList(parsedOk({"--json", "devices"}), std::ref(server), 10, out, err);
  EXPECT_EQ(json::parse(out.str(), nullptr, false), json::array());
  std::ostringstream text;
  printPagedList(parsedOk({"registry", "list"}), std::ref(server), 10, text, err);
  EXPECT_EQ(text.str(), "The register is empty.\n");
}

TEST(PagedList, LimitStopsEarlyAndAsksOnlyForWhatItPrints) {
  ScriptedServer server{100, {}};
  Invocation inv = parsedOk({"devices", "--limit", "15", "--state", "blocked"});
  std::ostringstream out, err;
  auto o = printPagedList(inv, std::ref(server), 10, out, err);
  EXPECT_EQ(o.printed, 15);
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0]["limit"], 10);
  EXPECT_EQ(server.requests[1]["limit"], 5);
  EXPECT_EQ(server.requests[1]["state"], "blocked");  // the filter travels with every page
}

TEST(PagedList, AFailedPageIsReportedWithItsExitCode) {
  int calls = 0;
  PageCall failing = [&](const json&) -> Result<json> {
    if (++calls == 1)
      return json{
          {"ok", true}, {"result", json::array({{{"id", "dev-000001"}}})}, {"next", "dev-000001"}};
    return json{{"ok", false}, {"code", "PB-9502"}, {"error", "\"after\" must be the cursor"}};
  };
  std::ostringstream out, err;
  auto o = printPagedList(parsedOk({"devices"}), failing, 1, out, err);
  EXPECT_EQ(o.exitCode, 1);
  EXPECT_NE(err.str().find("PB-9502"), std::string::npos) << err.str();
  PageCall unreachable = [](const json&) -> Result<json> {
    return makeError("unreachable", "benchd closed the connection");
  };
  EXPECT_EQ(printPagedList(parsedOk({"devices"}), unreachable, 1, out, err).exitCode, 3);
}

TEST(PagedList, ACursorThatDoesNotAdvanceStopsTheLoop) {
  PageCall stuck = [](const json&) -> Result<json> {
    return json{
        {"ok", true}, {"result", json::array({{{"id", "dev-000001"}}})}, {"next", "dev-000001"}};
  };
  std::ostringstream out, err;
  auto o = printPagedList(parsedOk({"devices"}), stuck, 1, out, err);
  EXPECT_EQ(o.exitCode, 1);
  EXPECT_NE(err.str().find("does not advance"), std::string::npos);
}

TEST(PagedList, CommandLineLimitAndAll) {
  EXPECT_EQ(parsedOk({"devices", "--limit", "5"}).listLimit, 5);
  EXPECT_EQ(parsedOk({"devices", "--all"}).listLimit, 0);
  EXPECT_EQ(parsedOk({"registry", "list", "--limit=100000"}).listLimit, 100000);
  for (std::vector<std::string> bad : {std::vector<std::string>{"devices", "--limit", "0"},
                                       {"devices", "--limit", "x"},
                                       {"devices", "--limit", "-3"},
                                       {"devices", "--limit", "5", "--all"},
                                       {"status", "--limit", "5"}}) {
    EXPECT_TRUE(std::holds_alternative<UsageError>(parseCommandLine(bad, ""))) << bad[0];
  }
}

}  // namespace
}  // namespace pb
