// SPDX-License-Identifier: Apache-2.0
// Issue 10, items 3 and 4, end to end: a real benchd and a real fleet (provbench-sim, one real
// bench-agent per device) while the agent port is flooded with idle TLS connections from many
// loopback sources that never send a hello, and with bare TCP connects from one address that
// never send a ClientHello. Every genuine device must still complete with its expected verdict.
#include "flood.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace pb::test {
namespace {

using namespace std::chrono_literals;

constexpr int kDevices = 12;

std::string source(int slot) {
  return "127.0.1." + std::to_string(slot + 1);
}

class FloodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BenchdOptions o;
    o.policyYaml = readFile(sourceDir() + "/appliance/demo/policy.yaml");
    // Small enough that the idle flood alone would fill the bench, and an io timeout far longer
    // than the hello deadline so that the deadline is what sheds the idle connections.
    o.limitsYaml =
        "  io_timeout_ms: 10000\n  handshake_timeout_ms: 5000\n  hello_timeout_ms: 1000\n"
        "  max_sessions: 64\n  max_sessions_per_source: 4\n"
        "  unregistered_hellos_per_minute: 1\n";  // no refill while a test runs
    std::ostringstream slots;
    slots << "slots:\n";
    for (int i = 0; i < kDevices; ++i) {
      slots << "  - {id: s" << i + 1 << ", source: " << source(i) << "}\n";
    }
    o.extraConfig = slots.str();
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();

    std::ostringstream reg;
    reg << "serial,smbios_uuid,model,owner,owner_email,tenant,ek_sha256,window_from,window_until\n";
    std::ostringstream fleet;
    fleet << "devices:\n";
    for (int i = 0; i < kDevices; ++i) {
      char uuid[40];
      std::snprintf(uuid, sizeof uuid, "7a1c2b3a-0000-4222-8333-9444%08x", i + 1);
      const std::string serial = "FLOOD" + std::to_string(1000 + i);
      reg << serial << "," << uuid << ",ThinkPad T14,Owner " << i << ",o" << i
          << "@acme.example,acme,,2026-01-01,2027-12-31\n";
      fleet << "  - name: genuine-" << i << "\n"
            << "    source: " << source(i) << "\n"
            << "    serial: " << serial << "\n"
            << "    smbios_uuid: " << uuid << "\n"
            << "    model: ThinkPad T14\n"
            << "    expect: {state: identified, code: PB-0100}\n";
    }
    writeFile(dir_.file("registry.csv"), reg.str());
    writeFile(dir_.file("fleet.yaml"), fleet.str());
    RunResult imp = benchd_->benchctl({"registry", "import", dir_.file("registry.csv")});
    ASSERT_EQ(imp.exitCode, 0) << imp.out << imp.err;
  }

  RunResult sim() {
    SpawnOptions so;
    so.args = {binDir() + "/provbench-sim",
               "--fleet",
               dir_.file("fleet.yaml"),
               "--appliance",
               benchd_->appliance(),
               "--pin",
               benchd_->pinFile(),
               "--workdir",
               dir_.file("sim"),
               "--json"};
    return run(so);
  }

  TempDir dir_;
  std::unique_ptr<Benchd> benchd_;
};

TEST_F(FloodTest, EveryGenuineDeviceCompletesUnderBothFloods) {
  // 40 unmapped sources x 4 idle TLS connections (inside the per-source cap) = 160, far more
  // than the 64 sessions of the bench.
  FloodOptions idle;
  idle.kind = FloodKind::IdleTls;
  idle.port = benchd_->port();
  for (int i = 1; i <= 40; ++i) idle.sources.push_back("127.0.9." + std::to_string(i));
  idle.connections = 160;
  // 200 half-open connects from one address.
  FloodOptions bare;
  bare.kind = FloodKind::BareTcp;
  bare.port = benchd_->port();
  bare.sources = {"127.0.8.1"};
  bare.connections = 200;

  Flood idleFlood(idle);
  Flood bareFlood(bare);
  idleFlood.start();
  bareFlood.start();
  // Both floods are on before the first device connects.
  ASSERT_TRUE(idleFlood.waitConnects(160, 60s));
  ASSERT_TRUE(bareFlood.waitConnects(200, 60s));

  RunResult r = sim();

  const FloodStats idleStats = idleFlood.stats();
  const FloodStats bareStats = bareFlood.stats();
  idleFlood.stop();
  bareFlood.stop();
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  auto results = nlohmann::json::parse(r.out);
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kDevices));
  for (const auto& d : results) EXPECT_TRUE(d.value("meets_expectation", false)) << d.dump();

  // The floods did what they were meant to: idle TLS sessions were established and shed by the
  // server, and bare connects beyond the per-source cap were closed before any TLS work.
  EXPECT_GT(idleStats.tlsEstablished, 0);
  EXPECT_GT(idleStats.droppedByServer, 0);
  EXPECT_GT(bareStats.droppedByServer, 0);
  // benchd survived it and still answers.
  EXPECT_EQ(benchd_->benchctl({"status"}).exitCode, 0);
}

// Hellos of unregistered devices from one address: a burst gets session rows, the rest are
// refused with PB-0011 without a row, and the refusals are one audit record, not one per hello.
TEST_F(FloodTest, UnregisteredHelloStreamIsRateLimited) {
  std::ostringstream fleet;
  fleet << "devices:\n";
  for (int i = 0; i < 12; ++i) {
    fleet << "  - name: stranger-" << i << "\n"
          << "    source: 127.0.7.1\n"
          << "    serial: STRANGER" << i << "\n"
          << "    smbios_uuid: 9a1f6c2e-47d1-4b8a-9c3e-2f0d5b7a8e" << 10 + i << "\n";
  }
  writeFile(dir_.file("strangers.yaml"), fleet.str());
  SpawnOptions so;
  so.args = {binDir() + "/provbench-sim", "--fleet", dir_.file("strangers.yaml"), "--appliance",
             benchd_->appliance(),        "--pin",   benchd_->pinFile(),          "--workdir",
             dir_.file("strangers"),      "--json"};
  RunResult r = run(so);
  auto results = nlohmann::json::parse(r.out);
  int blocked = 0;
  int limited = 0;
  for (const auto& d : results) {
    if (d.value("code", "") == "PB-1001") ++blocked;
    if (d.value("code", "") == "PB-0011") ++limited;
  }
  // The default burst is 4 per address, and no token comes back within the test.
  EXPECT_EQ(blocked, 4) << r.out;
  EXPECT_EQ(limited, 8) << r.out;
  auto tail = benchd_->benchctlJson({"audit", "tail", "--count", "200"});
  int rateRecords = 0;
  for (const auto& rec : tail) {
    if (rec.value("action", "") == "agent.rate_limited") ++rateRecords;
  }
  EXPECT_EQ(rateRecords, 1) << tail.dump();
}

}  // namespace
}  // namespace pb::test
