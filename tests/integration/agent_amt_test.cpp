// SPDX-License-Identifier: Apache-2.0
// The real bench-agent reads AMT from the AMT firmware simulator through --amt-socket (the same
// AMTHI code it runs over /dev/mei), and firmware facts from a fixture root. No appliance is
// needed: facts are collected before the agent connects.
#include <gtest/gtest.h>

#include "amt/amt_sim_server.hpp"
#include "harness.hpp"

namespace pb {
using namespace test;

namespace {

RunResult runAgent(const TempDir& dir, const std::vector<std::string>& extra) {
  writeFile(dir.file("pin"), "sha256:" + std::string(64, '0') + "\n");
  SpawnOptions o;
  o.args = {binDir() + "/bench-agent",
            "--appliance",
            "127.0.0.1:1",
            "--pin",
            dir.file("pin"),
            "--attempts",
            "1",
            "--timeout-ms",
            "500",
            "--root",
            sourceDir() + "/tests/fixtures/firmware/vpro-desktop"};
  o.args.insert(o.args.end(), extra.begin(), extra.end());
  return run(o);
}

TEST(AgentAmt, ReadsTheSimulatorThroughAmtSocket) {
  TempDir dir;
  AmtSimServer sim(defaultAmtSimConfig(), dir.file("amt.sock"));
  ASSERT_TRUE(sim.start().ok());
  RunResult r = runAgent(dir, {"--amt-socket", dir.file("amt.sock")});
  EXPECT_NE(r.err.find("amt: access ok, AMT 16.1.25, pre/none, 25 trusted-root hashes (25 active)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(sim.requestsHandled(), 36u);  // 11 commands + 25 hash entries, nothing else
}

TEST(AgentAmt, NoAmtClientIsReportedNotFatal) {
  TempDir dir;
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.noClient = true;
  AmtSimServer sim(c, dir.file("amt.sock"));
  ASSERT_TRUE(sim.start().ok());
  RunResult r = runAgent(dir, {"--amt-socket", dir.file("amt.sock")});
  EXPECT_NE(r.err.find("amt: access no_amt_client"), std::string::npos) << r.err;
  EXPECT_EQ(r.exitCode, 3);  // carried on to the (absent) appliance
}

TEST(AgentAmt, NoAmtSkipsIt) {
  TempDir dir;
  RunResult r = runAgent(dir, {"--no-amt"});
  EXPECT_EQ(r.err.find("amt:"), std::string::npos) << r.err;
}

// --dump-facts writes what the agent would send, without an appliance; `benchctl check` evaluates
// that file offline against a policy (the admin's loop for trying a policy on real devices).
TEST(AgentAmt, DumpedFactsAreCheckedOfflineByBenchctl) {
  TempDir dir;
  AmtSimServer sim(defaultAmtSimConfig(), dir.file("amt.sock"));
  ASSERT_TRUE(sim.start().ok());
  SpawnOptions dump;
  dump.args = {binDir() + "/bench-agent",
               "--dump-facts",
               dir.file("facts.json"),
               "--amt-socket",
               dir.file("amt.sock"),
               "--root",
               sourceDir() + "/tests/fixtures/firmware/vpro-desktop"};
  RunResult d = run(dump);
  ASSERT_EQ(d.exitCode, 0) << d.err;
  const std::string facts = readFile(dir.file("facts.json"));
  EXPECT_NE(facts.find("\"amt\""), std::string::npos) << facts;

  // The factory simulator trusts every external CA hash: the strict policy fails it, by name.
  writeFile(dir.file("policy.yaml"),
            "name: strict\ntenant: {id: acme}\namt:\n  presence: required\n"
            "  dns_suffix: amt.acme.example\n  minimum_me_firmware: {16: 16.1.25.0}\n");
  SpawnOptions check;
  check.args = {binDir() + "/benchctl", "check", "--policy", dir.file("policy.yaml"), "--facts",
                dir.file("facts.json"), "--json"};
  RunResult c = run(check);
  EXPECT_EQ(c.exitCode, 1) << c.out << c.err;  // a check fails
  EXPECT_NE(c.out.find("amt.thumbprints"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("PB-2004"), std::string::npos) << c.out;

  // A facts file that is not one is refused as invalid input, not evaluated.
  writeFile(dir.file("bad.json"), "{\"amt\": 7}");
  check.args[5] = dir.file("bad.json");
  EXPECT_EQ(run(check).exitCode, 4);
}

}  // namespace
}  // namespace pb
