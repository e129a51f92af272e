// SPDX-License-Identifier: Apache-2.0
// kill -9 benchd in the middle of a fleet run, restart it on the same port: every agent
// reconnects and finishes, no device is lost or duplicated, no session is left open, and the
// audit chain still verifies.
#include <sstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace pb::test {
namespace {

constexpr int kDevices = 48;

std::string uuidFor(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "6f1c2b3a-%04x-4222-8333-9444%08x", i, i);
  return buf;
}

TEST(Crash, Kill9DuringFleetRunLosesNothing) {
  TempDir dir;
  std::ostringstream reg, fleet;
  reg << "serial,smbios_uuid,model,owner,owner_email,tenant,window_from,window_until\n";
  fleet << "devices:\n";
  for (int i = 1; i <= kDevices; ++i) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "CRASH%04d", i);
    reg << serial << "," << uuidFor(i) << ",M,Owner,o@x.example,default,2026-01-01,2099-01-01\n";
    fleet << "  - name: d" << i << "\n    serial: " << serial << "\n    smbios_uuid: " << uuidFor(i)
          << "\n    expect: {state: identified}\n";
  }
  writeFile(dir.file("registry.csv"), reg.str());
  writeFile(dir.file("fleet.yaml"), fleet.str());

  const std::string state = dir.file("state");
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  Benchd b(state);
  ASSERT_TRUE(b.start()) << b.process()->err();
  ASSERT_EQ(b.benchctl({"registry", "import", dir.file("registry.csv")}).exitCode, 0);

  SpawnOptions so;
  so.args = {binDir() + "/provbench-sim",
             "--fleet",
             dir.file("fleet.yaml"),
             "--appliance",
             b.appliance(),
             "--pin",
             b.pinFile(),
             "--workdir",
             dir.file("sim"),
             "--json"};
  Process sim(so);
  // Wait until benchd has durably recorded some sessions, then pull the plug.
  auto isTransition = [](const std::string& l) {
    return l.find("\"session.transition\"") != std::string::npos;
  };
  ASSERT_TRUE(b.process()->waitForErrLines(isTransition, 5, std::chrono::seconds(60)));
  b.kill9();
  ASSERT_TRUE(b.start()) << b.process()->err();  // same state dir, same port

  int simExit = sim.wait();
  EXPECT_EQ(simExit, 0) << sim.out() << sim.err();

  auto devices = b.benchctlJson({"devices"});
  ASSERT_TRUE(devices.is_array());
  EXPECT_EQ(devices.size(), static_cast<std::size_t>(kDevices));
  std::set<std::string> serials;
  for (const auto& d : devices) {
    serials.insert(d.value("serial", ""));
    EXPECT_EQ(d.value("state", ""), "identified") << d.dump();
  }
  EXPECT_EQ(serials.size(), static_cast<std::size_t>(kDevices));  // no duplicates

  auto status = b.benchctlJson({"status"});
  EXPECT_EQ(status.value("sessions_open", -1), 0) << status.dump();
  auto verify = b.benchctlJson({"audit", "verify"});
  EXPECT_TRUE(verify.value("ok", false)) << verify.dump();
}

}  // namespace
}  // namespace pb::test
