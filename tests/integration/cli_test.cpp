// SPDX-License-Identifier: Apache-2.0
// benchd and benchctl as an operator meets them: config validation, first-start keys, access
// control by peer credentials.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"

namespace pb::test {
namespace {

RunResult benchd(std::vector<std::string> args) {
  SpawnOptions so;
  so.args = {binDir() + "/benchd"};
  so.args.insert(so.args.end(), args.begin(), args.end());
  return run(so);
}

TEST(BenchdConfig, InvalidConfigIsRejectedWithFileLineColumnAndKey) {
  TempDir dir;
  writeFile(dir.file("bench.yaml"),
            "bench_id: t1\n"
            "state_dir: " +
                dir.path() +
                "\n"
                "agent_listener:\n"
                "  adress: 127.0.0.1\n"
                "  port: 70000\n");
  RunResult r = benchd({"--config", dir.file("bench.yaml"), "--check-config"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find(dir.file("bench.yaml") + ":4:3: agent_listener.adress"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(":5:9: agent_listener.port"), std::string::npos) << r.err;
  // Nothing was created: an invalid config never gets as far as generating keys.
  struct stat st {};
  EXPECT_NE(::stat(dir.file("keys").c_str(), &st), 0);
}

TEST(BenchdConfig, CheckConfigAcceptsAValidFile) {
  TempDir dir;
  writeFile(dir.file("bench.yaml"), "bench_id: t1\nstate_dir: " + dir.path() + "\n");
  RunResult r = benchd({"--config", dir.file("bench.yaml"), "--check-config"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(BenchdConfig, HelpAndUsage) {
  EXPECT_EQ(benchd({"--help"}).exitCode, 0);
  EXPECT_EQ(benchd({}).exitCode, 2);
}

TEST(BenchdKeys, FirstStartGeneratesPrivateKeysAndReusesThem) {
  TempDir dir;
  std::string pin;
  {
    Benchd b(dir.path());
    ASSERT_TRUE(b.start()) << b.process()->err();
    for (const char* f : {"keys/agent-tls.key", "keys/audit.key", "keys/token.key"}) {
      struct stat st {};
      ASSERT_EQ(::stat(dir.file(f).c_str(), &st), 0) << f;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    pin = readFile(b.pinFile());
    EXPECT_EQ(pin.rfind("sha256:", 0), 0u);
  }
  Benchd again(dir.path());
  ASSERT_TRUE(again.start());
  EXPECT_EQ(readFile(again.pinFile()), pin);  // same identity after restart
}

TEST(BenchdKeys, GroupReadableSecretIsRefused) {
  TempDir dir;
  {
    Benchd b(dir.path());
    ASSERT_TRUE(b.start());
  }
  ASSERT_EQ(::chmod(dir.file("keys/audit.key").c_str(), 0640), 0);
  Benchd b(dir.path());
  EXPECT_FALSE(b.start());
  EXPECT_NE(b.process()->err().find("audit.key"), std::string::npos);
}

TEST(Benchctl, UnauthorisedCallerIsRefusedAndAudited) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a caller as uid 65534";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // let uid 65534 reach the socket file
  Benchd b(dir.path());
  ASSERT_TRUE(b.start());
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"devices"},
        std::vector<std::string>{"block", "dev-000001", "--reason", "x"}}) {
    SpawnOptions so;
    so.args = {binDir() + "/benchctl", "--socket", b.adminSocket()};
    so.args.insert(so.args.end(), cmd.begin(), cmd.end());
    so.uid = 65534;
    so.gid = 65534;
    RunResult r = run(so);
    EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("PB-9501"), std::string::npos) << r.out << r.err;
  }
  // Refusals are aggregated per uid and window: one record with the count, written when the
  // window closes or benchd stops.
  b.stop();
  ASSERT_TRUE(b.start());
  auto tail = b.benchctlJson({"audit", "tail", "-n", "5"});
  std::vector<nlohmann::json> denied;
  for (const auto& rec : tail) {
    if (rec.value("action", "") == "admin.denied" && rec.value("actor", "") == "uid:65534")
      denied.push_back(rec);
  }
  ASSERT_EQ(denied.size(), 1u) << tail.dump();
  EXPECT_EQ(denied[0]["details"]["count"], 2) << tail.dump();
}

TEST(Benchctl, UnreachableBenchdExitsThree) {
  TempDir dir;
  SpawnOptions so;
  so.args = {binDir() + "/benchctl", "--socket", dir.file("nope.sock"), "status"};
  RunResult r = run(so);
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_NE(r.err.find("nope.sock"), std::string::npos) << r.err;
}

TEST(Benchctl, BadRegistryFileImportsNothing) {
  TempDir dir;
  Benchd b(dir.path());
  ASSERT_TRUE(b.start());
  writeFile(dir.file("bad.csv"),
            "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until\n"
            "GOOD0001,6f1c2b3a-1111-4222-8333-944455556666,M,O,o@x.example,default,2026-01-01,2027-"
            "01-01\n"
            "To Be Filled By "
            "O.E.M.,6f1c2b3a-1111-4222-8333-944455556667,M,O,o@x.example,default,2026-01-01,2027-"
            "01-01\n");
  RunResult r = b.benchctl({"registry", "import", dir.file("bad.csv")});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE((r.out + r.err).find(":3:"), std::string::npos) << r.out << r.err;
  auto devices = b.benchctlJson({"devices"});
  EXPECT_TRUE(devices.is_array() && devices.empty()) << devices.dump();
}

}  // namespace
}  // namespace pb::test

namespace pb::test {
namespace {

// The reason codes are documented in one place: the catalogue in code. The committed document
// is its rendering and must not drift (regenerate with `benchctl reasons --markdown`).
TEST(ReasonCodes, CommittedDocumentMatchesTheCatalogue) {
  SpawnOptions so;
  so.args = {binDir() + "/benchctl", "reasons", "--markdown"};
  RunResult r = run(so);
  ASSERT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, readFile(sourceDir() + "/appliance/REASON_CODES.md"))
      << "regenerate: benchctl reasons --markdown > appliance/REASON_CODES.md";
}

}  // namespace
}  // namespace pb::test

namespace pb::test {
namespace {

// `benchctl platformcert show` on a real OEM certificate (tests/fixtures/platform_certs), offline.
TEST(PlatformcertShow, PrintsIdentityAndComponentsOfARealCertificate) {
  const std::string file = sourceDir() + "/tests/fixtures/platform_certs/Intel_nuc1.cer";
  SpawnOptions so;
  so.args = {binDir() + "/benchctl", "platformcert", "show", file};
  RunResult r = run(so);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("platform serial: DW1600420300110_BTDN732000QM"), std::string::npos);
  EXPECT_NE(r.out.find("Samsung | M471A5143EB0-CPB | serial"), std::string::npos);
  so.args = {binDir() + "/benchctl", "platformcert", "show", file, "--json"};
  r = run(so);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["platform"]["model"], "NUC7i5DNHE");
  EXPECT_EQ(j["components"].size(), 4U);
}

TEST(PlatformcertShow, MalformedFileFailsWithItsReasonCode) {
  SpawnOptions so;
  so.args = {binDir() + "/benchctl", "platformcert", "show",
             sourceDir() + "/tests/fixtures/platform_certs/README.md"};
  RunResult r = run(so);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("PB-3101"), std::string::npos);
}

}  // namespace
}  // namespace pb::test
