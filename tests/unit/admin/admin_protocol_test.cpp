// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_protocol.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"

namespace pb {
namespace {

using nlohmann::json;

void expectBadRequest(std::string_view line, std::string_view fragment) {
  auto r = parseAdminRequest(line);
  ASSERT_FALSE(r.ok()) << line;
  EXPECT_EQ(r.error().code, reason::kAdminBadRequest);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(AdminProtocol, ParsesRequestWithArgs) {
  auto r = parseAdminRequest(R"({"cmd":"devices","args":{"state":"ready"}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->cmd, "devices");
  EXPECT_EQ(r->args, (json{{"state", "ready"}}));
}

TEST(AdminProtocol, ArgsAreOptional) {
  auto r = parseAdminRequest(R"({"cmd":"status"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->args.is_object());
  EXPECT_TRUE(r->args.empty());
}

TEST(AdminProtocol, RejectsMalformedJson) {
  expectBadRequest(R"({"cmd":"status")", "malformed");
}
TEST(AdminProtocol, RejectsEmptyLine) {
  expectBadRequest("", "malformed");
}
TEST(AdminProtocol, RejectsNonObject) {
  expectBadRequest(R"(["status"])", "object");
}
TEST(AdminProtocol, RejectsMissingCmd) {
  expectBadRequest(R"({"args":{}})", "\"cmd\"");
}
TEST(AdminProtocol, RejectsNonStringCmd) {
  expectBadRequest(R"({"cmd":7})", "\"cmd\"");
}
TEST(AdminProtocol, RejectsUnknownCommand) {
  expectBadRequest(R"({"cmd":"rm -rf"})", "unknown command");
}
TEST(AdminProtocol, RejectsUnknownTopLevelField) {
  expectBadRequest(R"({"cmd":"status","as_root":true})", "unknown field");
}
TEST(AdminProtocol, RejectsUnknownArgument) {
  expectBadRequest(R"({"cmd":"block","args":{"id":"dev-000001","force":true}})",
                   "unknown argument");
}
TEST(AdminProtocol, RejectsNonObjectArgs) {
  expectBadRequest(R"({"cmd":"status","args":[]})", "\"args\"");
}

TEST(AdminProtocol, RejectsDuplicateKeys) {
  // {"cmd":"status","cmd":"block"}: the role check and the handler must never see different
  // commands, so a repeated key is refused rather than resolved.
  expectBadRequest(R"({"cmd":"status","cmd":"block"})", "duplicate key \"cmd\"");
  expectBadRequest(R"({"cmd":"block","args":{"id":"dev-000001","id":"dev-000002","reason":"x"}})",
                   "duplicate key \"id\"");
  expectBadRequest(R"({"cmd":"status","args":{},"args":{}})", "duplicate key");
}

TEST(AdminProtocol, RejectsDuplicateKeysInsideArgumentValues) {
  expectBadRequest(R"({"cmd":"devices","args":{"state":{"a":1,"a":2}}})", "duplicate key");
}

TEST(AdminProtocol, ParseResponseRejectsDuplicateKeys) {
  auto r = parseAdminResponse(R"({"ok":false,"ok":true,"result":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("duplicate key"), std::string::npos);
}

TEST(AdminProtocol, RejectsDeepNesting) {
  std::string deep =
      R"({"cmd":"status","args":{"x":)" + std::string(100, '[') + std::string(100, ']') + "}}";
  expectBadRequest(deep, "nested");
}

TEST(AdminProtocol, BracketsInsideStringsDoNotCountAsNesting) {
  std::string s =
      R"({"cmd":"block","args":{"id":"d","reason":")" + std::string(100, '[') + R"(\"{{"}})";
  auto r = parseAdminRequest(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->args["reason"].get<std::string>().size(), 103u);
}

TEST(AdminProtocol, RejectsOversizeRequest) {
  std::string big(kMaxAdminRequestBytes + 1, ' ');
  expectBadRequest(big, "larger than");
}

TEST(AdminProtocol, CommandTableRoles) {
  for (auto read : {"status", "devices", "device.show", "registry.list", "audit.verify",
                    "audit.tail", "policy.show"}) {
    ASSERT_NE(findAdminCommand(read), nullptr) << read;
    EXPECT_EQ(findAdminCommand(read)->requiredRole, Role::ReadOnly) << read;
  }
  for (auto write : {"registry.import", "approve", "block", "unblock", "policy.load"}) {
    ASSERT_NE(findAdminCommand(write), nullptr) << write;
    EXPECT_EQ(findAdminCommand(write)->requiredRole, Role::Admin) << write;
  }
  EXPECT_EQ(adminCommands().size(), 12u);
  EXPECT_EQ(findAdminCommand("shutdown"), nullptr);
}

TEST(AdminCommands, EveryEntryDescribesItsCommandOnce) {
  for (const auto& c : adminCommands()) {
    EXPECT_FALSE(c.words.empty()) << c.name;
    EXPECT_FALSE(c.summary.empty()) << c.name;
    // Every benchctl option that sets a wire argument names one the command accepts.
    for (const auto& o : c.options) {
      if (!o.arg.empty()) {
        EXPECT_NE(findAdminArg(c, o.arg), nullptr) << c.name << " " << o.name;
      }
    }
  }
}

TEST(AdminCommands, TypedArgumentsAreCheckedInDeclaredOrder) {
  const AdminCommandSpec& approve = *findAdminCommand("approve");
  auto missing = validateAdminArgs(approve, json::object());
  EXPECT_FALSE(missing.args);
  EXPECT_EQ(missing.error, "approve: missing argument \"id\"");
  auto ttl = validateAdminArgs(approve,
                               json{{"id", "dev-000001"}, {"reason", " ok "}, {"ttl_hours", 721}});
  EXPECT_EQ(ttl.error, "approve: \"ttl_hours\" must be in 1..720");
  auto good = validateAdminArgs(approve, json{{"id", "dev-000001"}, {"reason", " ok "}});
  ASSERT_TRUE(good.args) << good.error;
  EXPECT_EQ(good.args->text("reason"), "ok");  // trimmed
  EXPECT_FALSE(good.args->integer("ttl_hours"));
  auto state = validateAdminArgs(*findAdminCommand("devices"), json{{"state", "happy"}});
  EXPECT_NE(state.error.find("unknown state \"happy\"; valid states: unseen, "), std::string::npos)
      << state.error;
  auto cursor = validateAdminArgs(*findAdminCommand("registry.list"), json{{"after", "x"}});
  EXPECT_NE(cursor.error.find("cursor"), std::string::npos);
  auto full = validateAdminArgs(*findAdminCommand("audit.verify"), json{{"full", "yes"}});
  EXPECT_EQ(full.error, "audit.verify: \"full\" must be true or false");
}

TEST(AdminProtocol, EncodeRequestIsOneLine) {
  std::string line = encodeAdminRequest("block", json{{"id", "a\nb"}, {"reason", "x"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto back = parseAdminRequest(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->args["id"], "a\nb");
}

TEST(AdminProtocol, EncodeResponseRepairsInvalidUtf8) {
  std::string line = encodeAdminResponse(okResponse(json{{"serial", std::string("SN\xff\xfe")}}));
  auto back = parseAdminResponse(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)["result"]["serial"].get<std::string>().substr(0, 2), "SN");
}

TEST(AdminProtocol, OversizeResponseBecomesInternalError) {
  std::string line = encodeAdminResponse(okResponse(std::string(kMaxAdminResponseBytes, 'x')));
  auto back = parseAdminResponse(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE((*back)["ok"].get<bool>());
  EXPECT_EQ((*back)["code"], reason::kInternalError);
}

TEST(AdminProtocol, ParseResponseAcceptsBothShapes) {
  EXPECT_TRUE(parseAdminResponse(R"({"ok":true,"result":[]})").ok());
  EXPECT_TRUE(parseAdminResponse(R"({"ok":false,"code":"PB-9501","error":"no"})").ok());
}

TEST(AdminProtocol, ParseResponseRejectsMalformed) {
  for (auto bad :
       {"", "[]", R"({"ok":"yes"})", R"({"ok":true})", R"({"ok":false,"code":"PB-9501"})",
        R"({"ok":false,"code":1,"error":"x"})", "{\"ok\":true,\"result\":"}) {
    auto r = parseAdminResponse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "protocol");
  }
}

TEST(AdminProtocol, RoleNames) {
  EXPECT_EQ(toString(Role::Admin), "admin");
  EXPECT_EQ(toString(Role::ReadOnly), "readonly");
  EXPECT_EQ(toString(Role::None), "none");
}

}  // namespace
}  // namespace pb
