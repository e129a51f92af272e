// SPDX-License-Identifier: Apache-2.0
#include "benchctl/cli.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "admin/admin_commands.hpp"

namespace pb {
namespace {

using nlohmann::json;

Invocation parsed(std::vector<std::string> args, std::string_view env = "") {
  auto r = parseCommandLine(args, env);
  if (auto* e = std::get_if<UsageError>(&r)) {
    ADD_FAILURE() << "usage error: " << e->message;
    return {};
  }
  return std::get<Invocation>(r);
}

UsageError usageError(std::vector<std::string> args) {
  auto r = parseCommandLine(args, "");
  if (auto* e = std::get_if<UsageError>(&r)) return *e;
  ADD_FAILURE() << "expected a usage error";
  return {};
}

void expectUsage(std::vector<std::string> args, std::string_view fragment) {
  UsageError e = usageError(args);
  EXPECT_NE(e.message.find(fragment), std::string::npos) << e.message;
  EXPECT_FALSE(e.usage.empty());
}

TEST(Cli, Status) {
  Invocation inv = parsed({"status"});
  EXPECT_EQ(inv.action, Invocation::Action::Remote);
  EXPECT_EQ(inv.cmd, "status");
  EXPECT_EQ(inv.args, json::object());
  EXPECT_EQ(inv.socketPath, kDefaultAdminSocket);
  EXPECT_FALSE(inv.json);
}

TEST(Cli, SocketFromEnvironmentThenFlag) {
  EXPECT_EQ(parsed({"status"}, "/tmp/env.sock").socketPath, "/tmp/env.sock");
  EXPECT_EQ(parsed({"--socket", "/tmp/a.sock", "status"}, "/tmp/env.sock").socketPath,
            "/tmp/a.sock");
  EXPECT_EQ(parsed({"status", "--socket=/tmp/b.sock"}).socketPath, "/tmp/b.sock");
  expectUsage({"--socket"}, "needs a value");
  expectUsage({"--socket=", "status"}, "--socket");
}

TEST(Cli, JsonFlagAnywhere) {
  EXPECT_TRUE(parsed({"--json", "devices"}).json);
  EXPECT_TRUE(parsed({"devices", "--json"}).json);
  expectUsage({"--json=yes", "status"}, "takes no value");
}

TEST(Cli, Devices) {
  EXPECT_EQ(parsed({"devices"}).args, json::object());
  Invocation inv = parsed({"devices", "--state", "quarantined"});
  EXPECT_EQ(inv.cmd, "devices");
  EXPECT_EQ(inv.args, (json{{"state", "quarantined"}}));
  EXPECT_EQ(parsed({"devices", "--state=unseen"}).args["state"], "unseen");
  expectUsage({"devices", "--state", "happy"}, "unknown state");
  expectUsage({"devices", "--state"}, "needs a value");
  expectUsage({"devices", "extra"}, "unexpected argument");
}

TEST(Cli, DeviceShow) {
  Invocation inv = parsed({"device", "show", "dev-000001"});
  EXPECT_EQ(inv.cmd, "device.show");
  EXPECT_EQ(inv.args, (json{{"id", "dev-000001"}}));
  expectUsage({"device", "show"}, "missing ID");
  expectUsage({"device"}, "missing subcommand");
  expectUsage({"device", "explode", "x"}, "unknown command \"device explode\"");
  expectUsage({"device", "show", "a", "b"}, "unexpected argument \"b\"");
}

TEST(Cli, RegistryImport) {
  Invocation inv = parsed({"registry", "import", "/srv/in/register.csv"});
  EXPECT_EQ(inv.cmd, "registry.import");
  EXPECT_EQ(inv.importPath, "/srv/in/register.csv");
  EXPECT_EQ(inv.args, (json{{"file_name", "register.csv"}}));  // content is added by main
  EXPECT_EQ(parsed({"registry", "import", "r.yaml"}).args["file_name"], "r.yaml");
  expectUsage({"registry", "import"}, "missing FILE");
  expectUsage({"registry", "import", "/srv/in/"}, "directory");
}

TEST(Cli, RegistryList) {
  EXPECT_EQ(parsed({"registry", "list"}).cmd, "registry.list");
  expectUsage({"registry", "list", "x"}, "unexpected argument");
}

TEST(Cli, Approve) {
  Invocation inv = parsed({"approve", "dev-000002", "--reason", "mainboard swapped, ticket 42"});
  EXPECT_EQ(inv.cmd, "approve");
  EXPECT_EQ(inv.args, (json{{"id", "dev-000002"}, {"reason", "mainboard swapped, ticket 42"}}));
  Invocation ttl = parsed({"approve", "--reason=ok", "--ttl-hours", "48", "dev-000002"});
  EXPECT_EQ(ttl.args["ttl_hours"], 48);
  EXPECT_EQ(ttl.args["id"], "dev-000002");
  expectUsage({"approve", "dev-000002"}, "missing --reason");
  expectUsage({"approve", "--reason", "x"}, "missing ID");
  expectUsage({"approve", "dev-000002", "--reason", "  "}, "--reason must not be empty");
  expectUsage({"approve", "dev-000002", "--reason", "x", "--ttl-hours", "0"}, "1..720");
  expectUsage({"approve", "dev-000002", "--reason", "x", "--ttl-hours", "721"}, "1..720");
  expectUsage({"approve", "dev-000002", "--reason", "x", "--ttl-hours", "12h"}, "1..720");
  expectUsage({"approve", "dev-000002", "--reason", "a", "--reason", "b"}, "given twice");
}

TEST(Cli, BlockAndUnblock) {
  Invocation b = parsed({"block", "dev-000003", "--reason", "reported stolen"});
  EXPECT_EQ(b.cmd, "block");
  EXPECT_EQ(b.args, (json{{"id", "dev-000003"}, {"reason", "reported stolen"}}));
  EXPECT_EQ(parsed({"unblock", "dev-000003", "--reason", "found"}).cmd, "unblock");
  expectUsage({"block", "dev-000003"}, "missing --reason");
  expectUsage({"unblock", "--reason", "x"}, "missing ID");
  expectUsage({"block", "dev-000003", "--reason", "x", "--ttl-hours", "2"},
              "unknown option --ttl-hours");
}

TEST(Cli, Audit) {
  EXPECT_EQ(parsed({"audit", "verify"}).cmd, "audit.verify");
  EXPECT_EQ(parsed({"audit", "verify"}).args, json::object());
  EXPECT_EQ(parsed({"audit", "verify", "--full"}).args, (json{{"full", true}}));
  Invocation tail = parsed({"audit", "tail", "-n", "50"});
  EXPECT_EQ(tail.cmd, "audit.tail");
  EXPECT_EQ(tail.args, (json{{"count", 50}}));
  EXPECT_EQ(parsed({"audit", "tail"}).args, json::object());
  EXPECT_EQ(parsed({"audit", "tail", "--count=5"}).args["count"], 5);
  expectUsage({"audit", "tail", "-n", "0"}, "1..1000");
  expectUsage({"audit", "tail", "-n", "1001"}, "1..1000");
  expectUsage({"audit", "tail", "-n"}, "needs a value");
  expectUsage({"audit"}, "missing subcommand");
}

TEST(Cli, ReasonsIsOffline) {
  Invocation inv = parsed({"reasons"});
  EXPECT_EQ(inv.action, Invocation::Action::Reasons);
  EXPECT_FALSE(inv.markdown);
  EXPECT_TRUE(parsed({"reasons", "--markdown"}).markdown);
  expectUsage({"reasons", "--html"}, "unknown option --html");
}

TEST(Cli, HelpEverywhere) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {},
                                             {"devices", "--help"},
                                             {"device", "show", "--help"},
                                             {"device", "--help"},
                                             {"approve", "-h"},
                                             {"registry", "import", "--help"},
                                             {"audit", "tail", "--help"},
                                             {"reasons", "--help"}}) {
    auto r = parseCommandLine(args, "");
    if (args.empty()) {
      // No arguments at all is a usage error, not help.
      EXPECT_TRUE(std::holds_alternative<UsageError>(r));
      continue;
    }
    ASSERT_TRUE(std::holds_alternative<Invocation>(r)) << args[0];
    const auto& inv = std::get<Invocation>(r);
    EXPECT_EQ(inv.action, Invocation::Action::Help) << args[0];
    EXPECT_NE(inv.text.find("Usage:"), std::string::npos);
  }
}

TEST(Cli, HelpIsSpecificToTheCommand) {
  std::string approve = parsed({"approve", "--help"}).text;
  EXPECT_NE(approve.find("approve ID --reason TEXT [--ttl-hours N]"), std::string::npos) << approve;
  EXPECT_EQ(approve.find("registry import"), std::string::npos);
  std::string global = parsed({"--help"}).text;
  for (auto cmd : {"status", "devices [--state STATE]", "device show ID", "registry import FILE",
                   "registry list", "approve ID", "block ID", "unblock ID", "audit verify",
                   "audit tail [-n N]", "reasons"}) {
    EXPECT_NE(global.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_NE(global.find("Exit codes"), std::string::npos);
  std::string device = parsed({"device", "--help"}).text;
  EXPECT_NE(device.find("device show ID"), std::string::npos);
}

TEST(Cli, HelpListsEveryRegisteredAdminCommand) {
  std::string global = parsed({"--help"}).text;
  for (const auto& c : adminCommands()) {
    EXPECT_NE(global.find(std::string(c.summary)), std::string::npos) << c.name;
    std::vector<std::string> words;
    std::string w(c.words);
    for (std::size_t at = 0; at != std::string::npos;) {
      std::size_t sp = w.find(' ', at);
      words.push_back(w.substr(at, sp == std::string::npos ? sp : sp - at));
      at = sp == std::string::npos ? sp : sp + 1;
    }
    words.push_back("--help");
    EXPECT_NE(parsed(words).text.find(std::string(c.details)), std::string::npos) << c.name;
  }
  // The offline commands keep their place: reasons is listed before policy show.
  EXPECT_LT(global.find("  reasons"), global.find("  policy show"));
}

TEST(Cli, HelpWinsOverIncompleteCommands) {
  EXPECT_EQ(parsed({"approve", "--help"}).action,
            Invocation::Action::Help);  // ID and --reason missing
  EXPECT_EQ(parsed({"devices", "--bogus", "--help"}).action, Invocation::Action::Help);
}

TEST(Cli, Version) {
  Invocation inv = parsed({"--version"});
  EXPECT_EQ(inv.action, Invocation::Action::Version);
  EXPECT_EQ(inv.text.rfind("benchctl ", 0), 0u);
}

TEST(Cli, UnknownCommandAndFlag) {
  expectUsage({"frobnicate"}, "unknown command \"frobnicate\"");
  expectUsage({"--frobnicate", "status"}, "unknown option --frobnicate");
  expectUsage({"status", "--state", "ready"}, "unknown option --state");
  expectUsage({"status", "-x"}, "unknown option -x");
}

TEST(Cli, DoubleDashEndsOptions) {
  Invocation inv = parsed({"block", "--reason", "x", "--", "-odd-id"});
  EXPECT_EQ(inv.args["id"], "-odd-id");
}

TEST(Cli, UsageErrorCarriesTheCommandsUsage) {
  UsageError e = usageError({"block", "dev-1"});
  EXPECT_NE(e.usage.find("block ID --reason TEXT"), std::string::npos) << e.usage;
}

}  // namespace
}  // namespace pb
