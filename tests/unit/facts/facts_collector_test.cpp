// SPDX-License-Identifier: Apache-2.0
// The agent's fact collector against the AMT firmware simulator over the real Unix socket
// transport, and every AMT access outcome as a distinct fact.
#include "agent/facts_collector.hpp"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <unistd.h>

#include "amt/amt_sim_server.hpp"
#include "mei/mei_transport.hpp"
#include "mei/unix_socket_transport.hpp"

namespace pb {
namespace {

using namespace std::chrono_literals;

class FactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-facts-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  UnixSocketTransport transportTo(const AmtSimConfig& c) {
    server_ = std::make_unique<AmtSimServer>(c, dir_ + "/amt.sock");
    EXPECT_TRUE(server_->start().ok());
    UnixSocketOptions o;
    o.path = dir_ + "/amt.sock";
    o.busyAttempts = 3;
    o.sleep = [](std::chrono::milliseconds) {};
    return UnixSocketTransport(o);
  }
  std::string dir_;
  std::unique_ptr<AmtSimServer> server_;
};

TEST_F(FactsTest, FactoryDeviceEveryField) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.uuid = *amthi::parseUuidText("939b524b-13d4-1d18-e487-1c697a6b7a2b");
  c.dnsSuffix = "amt.acme.example";
  c.redirection.sol = true;
  auto t = transportTo(c);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::Ok) << f.accessDetail;
  EXPECT_EQ(f.accessDetail, "");
  EXPECT_TRUE(f.failedCommands.empty());
  EXPECT_EQ(f.amtVersion, "16.1.25");
  EXPECT_EQ(f.buildNumber, "2124");
  EXPECT_EQ(f.sku, "16392");
  EXPECT_EQ(f.provisioningState, "pre");
  EXPECT_EQ(f.controlMode, "none");
  EXPECT_EQ(f.uuid, "939b524b-13d4-1d18-e487-1c697a6b7a2b");
  EXPECT_EQ(f.dnsSuffix, "amt.acme.example");
  ASSERT_EQ(f.hashes.size(), 25u);
  EXPECT_EQ(f.hashes[0].name, "Go Daddy Class 2 CA");
  EXPECT_EQ(f.hashes[0].algorithm, "sha256");
  EXPECT_EQ(f.hashes[0].hash, "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4");
  EXPECT_TRUE(f.hashes[0].isDefault);
  EXPECT_TRUE(f.hashes[0].isActive);
  EXPECT_EQ(f.hashes[24].name, "Acme Internal Root CA");
  EXPECT_FALSE(f.hashes[24].isDefault);
  EXPECT_EQ(f.remoteConfigurationEnabled, true);
  EXPECT_EQ(f.configServerPort, 9971);
  EXPECT_EQ(f.configServerAddress, "");
  EXPECT_EQ(f.solEnabled, true);
  EXPECT_EQ(f.iderEnabled, false);
  EXPECT_EQ(f.kvmEnabled, false);
  EXPECT_EQ(f.tlsEnabled, false);
  EXPECT_EQ(f.lanMac, "00:1b:21:00:00:01");
  EXPECT_EQ(f.dhcpEnabled, true);
}

TEST_F(FactsTest, OneBadEntryMarksTheHashTableIncomplete) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.truncated = "GetCertificateHashEntry";
  auto t = transportTo(c);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::Error);
  EXPECT_EQ(f.failedCommands, std::vector<std::string>{"GetCertificateHashEntry"});
  EXPECT_TRUE(f.hashes.empty());
  EXPECT_NE(f.accessDetail.find("amthi.bad_length"), std::string::npos);
  EXPECT_EQ(f.controlMode, "none");          // earlier commands kept
  EXPECT_EQ(f.lanMac, "00:1b:21:00:00:01");  // later commands still run
}

TEST_F(FactsTest, BadStatusOnOneCommand) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.badStatus = "GetConfigServerData";
  c.faults.badStatusCode = amthi::kStatusNotPermitted;
  auto t = transportTo(c);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::Error);
  EXPECT_EQ(f.failedCommands, std::vector<std::string>{"GetConfigServerData"});
  EXPECT_NE(f.accessDetail.find("NOT_PERMITTED"), std::string::npos);
  EXPECT_EQ(f.configServerPort, 0);
}

TEST_F(FactsTest, FailedCodeVersionsDoesNotHideTheRest) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.badStatus = "GetCodeVersions";
  auto t = transportTo(c);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::Error);
  EXPECT_EQ(f.failedCommands, std::vector<std::string>{"GetCodeVersions"});
  EXPECT_EQ(f.amtVersion, "");
  EXPECT_EQ(f.provisioningState, "pre");
  EXPECT_EQ(f.hashes.size(), 25u);
}

struct AccessCase {
  const char* name;
  void (*apply)(AmtSimFaults&);
  AmtAccess access;
};

class AccessOutcomes : public FactsTest, public ::testing::WithParamInterface<AccessCase> {};

TEST_P(AccessOutcomes, DistinctExplainedFact) {
  AmtSimConfig c = defaultAmtSimConfig();
  GetParam().apply(c.faults);
  auto t = transportTo(c);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, GetParam().access) << f.accessDetail;
  EXPECT_FALSE(f.accessDetail.empty());
  EXPECT_EQ(f.failedCommands.front(), "GetCodeVersions");
  if (GetParam().access != AmtAccess::Error) {
    EXPECT_EQ(f.failedCommands.size(), 1u);  // a dead interface is not asked twelve times
  }
}

std::string accessName(const ::testing::TestParamInfo<AccessCase>& p) {
  return p.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    All, AccessOutcomes,
    ::testing::Values(
        AccessCase{"busy", [](AmtSimFaults& f) { f.busyConnects = 100; }, AmtAccess::Busy},
        AccessCase{"no_client", [](AmtSimFaults& f) { f.noClient = true; }, AmtAccess::NoAmtClient},
        AccessCase{"disabled", [](AmtSimFaults& f) { f.disabled = true; }, AmtAccess::Disabled},
        AccessCase{"wrong_echo", [](AmtSimFaults& f) { f.wrongEcho = "all"; }, AmtAccess::Error},
        AccessCase{"truncated", [](AmtSimFaults& f) { f.truncated = "all"; }, AmtAccess::Error},
        AccessCase{"bad_status", [](AmtSimFaults& f) { f.badStatus = "all"; }, AmtAccess::Error}),
    accessName);

TEST_F(FactsTest, NoSimulatorIsNoMeiDevice) {
  UnixSocketOptions o;
  o.path = dir_ + "/absent.sock";
  UnixSocketTransport t(o);
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::NoMeiDevice);
  EXPECT_STREQ(amtAccessName(f.access), "no_mei_device");
}

TEST_F(FactsTest, NoMeiNodesIsNoMeiDevice) {
  MeiOptions o;
  o.devDir = dir_;  // empty directory: no mei0..3
  MeiTransport t(o, makeSystemMeiSyscalls());
  AmtFacts f = collectAmtFacts(t);
  EXPECT_EQ(f.access, AmtAccess::NoMeiDevice);
  EXPECT_NE(f.accessDetail.find("mei_me"), std::string::npos);
}

TEST_F(FactsTest, CollectFactsFillsFirmwareAndAmt) {
  auto t = transportTo(defaultAmtSimConfig());
  DeviceFacts d = collectFacts(PB_FIRMWARE_FIXTURES_DIR "/vpro-desktop", &t);
  ASSERT_TRUE(d.firmware.has_value());
  EXPECT_EQ(d.firmware->meFirmwareVersion, "16.1.25.2124");
  EXPECT_EQ(d.firmware->secureBoot, true);
  ASSERT_TRUE(d.amt.has_value());
  EXPECT_EQ(d.amt->access, AmtAccess::Ok);
  DeviceFacts none = collectFacts(PB_FIRMWARE_FIXTURES_DIR "/vpro-desktop", nullptr);
  EXPECT_FALSE(none.amt.has_value());
}

}  // namespace
}  // namespace pb
