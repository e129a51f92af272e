// SPDX-License-Identifier: Apache-2.0
#include "benchctl/check_command.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include "benchctl/cli.hpp"
#include "protocol/device_facts_json.hpp"
#include "test_facts.hpp"

namespace pb {
namespace {

class CheckCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-check-cmd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    policy_ = write("policy.yaml", "name: try-me\ntenant:\n  id: lab\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  // A device without AMT (so the built-in policy's AMT settings do not matter) and good firmware.
  static DeviceFacts noAmtFacts() {
    DeviceFacts f = test::goodFacts();
    f.amt = AmtFacts{};
    f.amt->access = AmtAccess::NoAmtClient;
    return f;
  }

  std::string dir_;
  std::string policy_;
  FixedClock clock_{1'780'000'000};
};

TEST_F(CheckCommandTest, AllPassExitsZeroWithATable) {
  auto facts = write("facts.json", toJson(noAmtFacts()).dump());
  auto r = runCheckCommand(policy_, facts, false, clock_);
  EXPECT_EQ(r.exitCode, kCheckExitPassed) << r.out << r.err;
  EXPECT_NE(r.out.find("Policy try-me"), std::string::npos);
  EXPECT_NE(r.out.find("amt.thumbprints"), std::string::npos);
  EXPECT_NE(r.out.find("12 checks: 12 pass, 0 warn, 0 fail, 0 missing data — PASSED"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(r.err.empty());
}

TEST_F(CheckCommandTest, AFailureExitsOneAndSaysWhatToDo) {
  DeviceFacts f = noAmtFacts();
  f.firmware->secureBoot = false;
  auto facts = write("facts.json", toJson(f).dump());
  auto r = runCheckCommand(policy_, facts, false, clock_);
  EXPECT_EQ(r.exitCode, kCheckExitNotPassed);
  EXPECT_NE(r.out.find("PB-2020"), std::string::npos);
  EXPECT_NE(r.out.find("What to do:\n  firmware.secure_boot: Turn Secure Boot on"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("NOT PASSED"), std::string::npos);
}

TEST_F(CheckCommandTest, JsonOutputCarriesEveryResult) {
  DeviceFacts f = test::goodFacts();  // AMT present: the built-in policy has no DNS suffix
  auto facts = write("facts.json", toJson(f).dump());
  auto r = runCheckCommand(policy_, facts, true, clock_);
  EXPECT_EQ(r.exitCode, kCheckExitNotPassed);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["policy"], "try-me");
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["results"].size(), 12u);
  EXPECT_EQ(j["results"][5]["id"], "amt.dns_suffix");
  EXPECT_EQ(j["results"][5]["code"], "PB-2092");
}

TEST_F(CheckCommandTest, InvalidInputsExitFour) {
  auto good = write("facts.json", toJson(noAmtFacts()).dump());
  auto badPolicy = write("bad.yaml", "name: x\nsurprise: 1\n");
  auto r1 = runCheckCommand(badPolicy, good, false, clock_);
  EXPECT_EQ(r1.exitCode, kCheckExitInvalidInput);
  EXPECT_NE(r1.err.find("benchctl: policy"), std::string::npos);
  auto typo = write("typo.json", R"({"firmware":{"secure_bot":true}})");
  auto r2 = runCheckCommand(policy_, typo, false, clock_);
  EXPECT_EQ(r2.exitCode, kCheckExitInvalidInput);
  EXPECT_NE(r2.err.find("unknown key \"secure_bot\""), std::string::npos) << r2.err;
  EXPECT_EQ(runCheckCommand(policy_, dir_ + "/absent.json", false, clock_).exitCode,
            kCheckExitInvalidInput);
}

TEST(CheckCommandLine, ParsesAndRequiresBothFiles) {
  auto ok = parseCommandLine({"check", "--policy", "p.yaml", "--facts", "f.json", "--json"}, "");
  ASSERT_TRUE(std::holds_alternative<Invocation>(ok));
  const auto& inv = std::get<Invocation>(ok);
  EXPECT_EQ(inv.action, Invocation::Action::Check);
  EXPECT_EQ(inv.policyPath, "p.yaml");
  EXPECT_EQ(inv.factsPath, "f.json");
  EXPECT_TRUE(inv.json);
  auto missing = parseCommandLine({"check", "--policy", "p.yaml"}, "");
  ASSERT_TRUE(std::holds_alternative<UsageError>(missing));
  EXPECT_EQ(std::get<UsageError>(missing).message, "missing --facts FILE");
  auto extra = parseCommandLine({"check", "--policy", "p", "--facts", "f", "x"}, "");
  ASSERT_TRUE(std::holds_alternative<UsageError>(extra));
}

}  // namespace
}  // namespace pb
