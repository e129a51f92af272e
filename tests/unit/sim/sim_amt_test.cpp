// SPDX-License-Identifier: Apache-2.0
// provbench-sim's per-device AMT simulator and firmware tree, read back by the agent's own
// collector (the same code bench-agent runs).
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/facts_collector.hpp"
#include "amt/hello_packet.hpp"
#include "mei/unix_socket_transport.hpp"
#include "sim/amt_sim_device.hpp"
#include "sim/fleet.hpp"
#include "sim/sim_runner.hpp"

namespace pb {
namespace {

class SimAmt : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-simamt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  DeviceFacts run(const FleetDevice& d) {
    EXPECT_TRUE(writeFixtureTree(d, dir_ + "/root").ok());
    auto sim = startAmtSimDevice(d, dir_ + "/amt.sock");
    EXPECT_TRUE(sim.ok()) << sim.error().message;
    UnixSocketOptions o;
    o.path = dir_ + "/amt.sock";
    o.busyAttempts = 2;
    o.sleep = [](std::chrono::milliseconds) {};
    UnixSocketTransport t(o);
    return collectFacts(dir_ + "/root", &t);
  }
  std::string dir_;
};

TEST_F(SimAmt, DefaultDeviceIsAFactoryDevicePlusInternalCa) {
  auto fleet = parseFleet(R"(devices:
  - name: plain
    serial: S1
    smbios_uuid: 939b524b-13d4-1d18-e487-1c697a6b7a2b
)",
                          "fleet.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  DeviceFacts f = run(fleet->devices[0]);
  ASSERT_TRUE(f.amt.has_value());
  EXPECT_EQ(f.amt->access, AmtAccess::Ok) << f.amt->accessDetail;
  EXPECT_EQ(f.amt->uuid, "939b524b-13d4-1d18-e487-1c697a6b7a2b");  // from the SMBIOS UUID
  EXPECT_EQ(f.amt->hashes.size(), 25u);
  EXPECT_EQ(f.amt->hashes.back().name, "Acme Internal Root CA");
  EXPECT_EQ(f.amt->remoteConfigurationEnabled, true);
  ASSERT_TRUE(f.firmware.has_value());
  EXPECT_EQ(f.firmware->meFirmwareVersion, "16.1.25.2124");
  EXPECT_EQ(f.firmware->secureBoot, true);
  EXPECT_EQ(f.firmware->setupMode, false);
  EXPECT_EQ(f.firmware->tpmVersion, "2.0");
  EXPECT_EQ(f.identity.serial, "S1");
}

TEST_F(SimAmt, FleetAmtAndFirmwareBlocks) {
  auto fleet = parseFleet(R"(devices:
  - name: hardened
    serial: S2
    amt:
      provisioning_state: post
      control_mode: acm
      uuid: 00112233-4455-6677-8899-aabbccddeeff
      dns_suffix: amt.acme.example
      remote_configuration: false
      factory_hashes: inactive
      config_server: {address: 10.0.0.5, port: 9972, fqdn: sca.acme.example}
    firmware:
      secure_boot: false
      setup_mode: true
      tpm: none
      me_version: 16.1.30.2307
  - name: lms-holds-it
    amt: {faults: {busy_connects: 50}}
)",
                          "fleet.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  DeviceFacts f = run(fleet->devices[0]);
  ASSERT_TRUE(f.amt.has_value());
  EXPECT_EQ(f.amt->provisioningState, "post");
  EXPECT_EQ(f.amt->controlMode, "acm");
  EXPECT_EQ(f.amt->uuid, "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(f.amt->remoteConfigurationEnabled, false);
  EXPECT_EQ(f.amt->configServerFqdn, "sca.acme.example");
  std::size_t active = 0;
  for (const auto& h : f.amt->hashes) active += h.isActive ? 1 : 0;
  EXPECT_EQ(active, 1u);
  EXPECT_EQ(f.firmware->secureBoot, false);
  EXPECT_EQ(f.firmware->setupMode, true);
  EXPECT_EQ(f.firmware->tpmPresent, false);
  EXPECT_EQ(f.firmware->meFirmwareVersion, "16.1.30.2307");

  std::filesystem::remove_all(dir_ + "/root");
  DeviceFacts busy = run(fleet->devices[1]);
  EXPECT_EQ(busy.amt->access, AmtAccess::Busy);
}

TEST_F(SimAmt, AmtHelloOptionSendsEveryRemoteConfigDevicesHello) {
  const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::getsockname(udp, reinterpret_cast<sockaddr*>(&a), &len), 0);
  auto fleet = parseFleet(R"(devices:
  - name: rcfg-on
    smbios_uuid: 939b524b-13d4-1d18-e487-1c697a6b7a2b
  - name: rcfg-off
    smbios_uuid: 00112233-4455-6677-8899-aabbccddeeff
    amt: {remote_configuration: false}
)",
                          "fleet.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  SimOptions o;
  o.agentPath = "/bin/true";  // the agents do not matter here: hellos go out at simulator start
  o.appliance = "127.0.0.1:1";
  o.pinFile = dir_ + "/pin";
  o.workDir = dir_;
  o.amtHelloTarget = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  auto results = runFleet(*fleet, o);
  ASSERT_TRUE(results.ok()) << results.error().message;
  Bytes buf(kHelloMaxSize);
  const ssize_t n = ::recv(udp, buf.data(), buf.size(), MSG_DONTWAIT);
  const ssize_t more = ::recv(udp, buf.data(), buf.size(), MSG_DONTWAIT);
  ::close(udp);
  ASSERT_GT(n, 0);
  EXPECT_LT(more, 0);  // rcfg-off sent none
  buf.resize(static_cast<std::size_t>(n));
  auto h = parseHello(buf);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(amthi::formatUuid(h->uuid), "939b524b-13d4-1d18-e487-1c697a6b7a2b");
}

TEST_F(SimAmt, AmtChecksFleetGivesEachDeviceItsFacts) {
  auto fleet = loadFleet(PB_FLEETS_DIR "/amt-checks.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  ASSERT_EQ(fleet->devices.size(), 16u);
  const std::map<std::string, AmtAccess> faulty = {{"no-amt", AmtAccess::NoAmtClient},
                                                   {"amt-disabled", AmtAccess::Disabled},
                                                   {"lms-busy", AmtAccess::Busy},
                                                   {"bad-firmware", AmtAccess::Error}};
  for (const auto& d : fleet->devices) {
    std::filesystem::remove_all(dir_ + "/root");
    DeviceFacts f = run(d);
    ASSERT_TRUE(f.amt.has_value());
    auto it = faulty.find(d.name);
    EXPECT_EQ(f.amt->access, it == faulty.end() ? AmtAccess::Ok : it->second) << d.name;
    EXPECT_EQ(f.amt->uuid.empty(), it != faulty.end()) << d.name;
  }
}

TEST(FleetAmt, BadBlocksAreReportedWithPositions) {
  auto fleet = parseFleet(R"(devices:
  - name: bad
    amt: {control_mode: root, faults: {wrong_echo: Nope}}
    firmware: {tpm: "3.0", colour: blue}
)",
                          "fleet.yaml");
  ASSERT_FALSE(fleet.ok());
  const std::string& m = fleet.error().message;
  EXPECT_NE(m.find("fleet.yaml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("control_mode"), std::string::npos) << m;
  EXPECT_NE(m.find("wrong_echo"), std::string::npos) << m;
  EXPECT_NE(m.find("tpm"), std::string::npos) << m;
  EXPECT_NE(m.find("colour"), std::string::npos) << m;
}

}  // namespace
}  // namespace pb
