// SPDX-License-Identifier: Apache-2.0
// Client <-> simulator round trips over the real Unix socket transport, fault switches, the YAML
// description and hello sending.
#include "amt/amt_simulator.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "amt/amt_client.hpp"
#include "amt/amt_sim_server.hpp"
#include "mei/unix_socket_transport.hpp"

namespace pb {
namespace {

using namespace std::chrono_literals;
using amthi::Command;

class SimFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-amtsim-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  void startSim(AmtSimConfig cfg) {
    server_ = std::make_unique<AmtSimServer>(std::move(cfg), dir_ + "/amt.sock");
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    UnixSocketOptions o;
    o.path = dir_ + "/amt.sock";
    o.sleep = [](std::chrono::milliseconds) {};
    transport_ = std::make_unique<UnixSocketTransport>(o);
    client_ = std::make_unique<AmtClient>(*transport_, 2000ms);
  }
  std::string dir_;
  std::unique_ptr<AmtSimServer> server_;
  std::unique_ptr<UnixSocketTransport> transport_;
  std::unique_ptr<AmtClient> client_;
};

AmtSimConfig customConfig() {
  AmtSimConfig c = defaultAmtSimConfig();
  c.provisioningState = amthi::ProvisioningState::Post;
  c.controlMode = amthi::ControlMode::Admin;
  c.uuid = *amthi::parseUuidText("939b524b-13d4-1d18-e487-1c697a6b7a2b");
  c.dnsSuffix = "amt.acme.example";
  c.remoteConfiguration = false;
  c.configServer = {9971, "10.0.0.5", "ProvisionServer.acme.example"};
  c.tlsEnabled = true;
  c.redirection = {true, false, true};
  c.lan.mac = {0xaa, 0xbb, 0xcc, 0x00, 0x11, 0x22};
  return c;
}

TEST_F(SimFixture, RoundTripEveryCommand) {
  startSim(customConfig());
  auto v = client_->getCodeVersions();
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->find("AMT"), "16.1.25");
  EXPECT_EQ(v->find("Build Number"), "2124");
  EXPECT_EQ(v->biosVersion, "M1AKT52A");
  EXPECT_EQ(*client_->getProvisioningState(), amthi::ProvisioningState::Post);
  EXPECT_EQ(*client_->getControlMode(), amthi::ControlMode::Admin);
  EXPECT_EQ(amthi::formatUuid(*client_->getUuid()), "939b524b-13d4-1d18-e487-1c697a6b7a2b");
  EXPECT_EQ(*client_->getDnsSuffix(), "amt.acme.example");
  auto handles = client_->enumerateHashHandles();
  ASSERT_TRUE(handles.ok());
  ASSERT_EQ(handles->size(), 25u);  // 24 factory + internal CA
  auto first = client_->getCertificateHashEntry(handles->front());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->name, "Go Daddy Class 2 CA");
  EXPECT_TRUE(first->isDefault);
  EXPECT_TRUE(first->isActive);
  auto last = client_->getCertificateHashEntry(handles->back());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->name, kInternalCaName);
  EXPECT_FALSE(last->isDefault);
  EXPECT_EQ(toHex(last->hash), kInternalCaSha256);
  EXPECT_EQ(*client_->getZeroTouchEnabled(), false);
  auto cs = client_->getConfigServerData();
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->port, 9971);
  EXPECT_EQ(cs->address, "10.0.0.5");
  EXPECT_EQ(cs->fqdn, "ProvisionServer.acme.example");
  auto sp = client_->getSecurityParameters();
  ASSERT_TRUE(sp.ok());
  EXPECT_TRUE(sp->tlsEnabled);
  EXPECT_TRUE(sp->solEnabled);
  EXPECT_EQ(sp->provisioningState, 2u);
  auto rs = client_->getRedirectionState();
  ASSERT_TRUE(rs.ok());
  EXPECT_TRUE(rs->sol);
  EXPECT_FALSE(rs->ider);
  EXPECT_TRUE(rs->kvm);
  auto lan = client_->getLanInterfaceSettings(0);
  ASSERT_TRUE(lan.ok());
  EXPECT_EQ(lan->mac, (std::array<std::uint8_t, 6>{0xaa, 0xbb, 0xcc, 0x00, 0x11, 0x22}));
  EXPECT_TRUE(lan->dhcpEnabled);
}

TEST_F(SimFixture, UnknownHandleAndWirelessAreStatusErrors) {
  startSim(defaultAmtSimConfig());
  auto e = client_->getCertificateHashEntry(99);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, amthi::error::kStatus);
  EXPECT_NE(e.error().message.find("INVALID_HANDLE"), std::string::npos);
  EXPECT_EQ(client_->getLanInterfaceSettings(1).error().code, amthi::error::kStatus);
}

TEST(AmtSimulatorEngine, RefusesLocalSystemAccountAndMalformedRequests) {
  AmtSimulator sim(defaultAmtSimConfig());
  // GetLocalSystemAccount (Length 40): refused, no credentials in the simulator.
  Bytes req = {1, 1, 0, 0, 0x67, 0, 0, 4, 40, 0, 0, 0};
  req.resize(52, 0);
  Bytes r = sim.handle(req);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(r[12], amthi::kStatusNotPermitted);
  Bytes badLen = amthi::buildRequest(Command::GetUuid);
  badLen[8] = 4;
  EXPECT_EQ(sim.handle(badLen)[12], amthi::kStatusInvalidMessageLength);
  Bytes extraPayload = amthi::buildRequest(Command::GetUuid, {0, 0, 0, 0});
  EXPECT_EQ(sim.handle(extraPayload)[12], amthi::kStatusInvalidMessageLength);
}

struct FaultCase {
  const char* name;
  void (*apply)(AmtSimFaults&);
  std::string_view expectCode;
};

std::string faultName(const ::testing::TestParamInfo<FaultCase>& p) {
  return p.param.name;
}

class SimFaults : public SimFixture, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(SimFaults, DistinctOutcome) {
  AmtSimConfig c = defaultAmtSimConfig();
  GetParam().apply(c.faults);
  startSim(c);
  auto r = client_->getUuid();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, GetParam().expectCode) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, SimFaults,
    ::testing::Values(
        FaultCase{"busy", [](AmtSimFaults& f) { f.busyConnects = 100; }, mei_error::kBusy},
        FaultCase{"no_client", [](AmtSimFaults& f) { f.noClient = true; }, mei_error::kNoAmtClient},
        FaultCase{"disabled", [](AmtSimFaults& f) { f.disabled = true; }, mei_error::kDisabled},
        FaultCase{"truncated", [](AmtSimFaults& f) { f.truncated = "GetUUID"; },
                  amthi::error::kBadLength},
        FaultCase{"wrong_echo", [](AmtSimFaults& f) { f.wrongEcho = "all"; },
                  amthi::error::kWrongCommand},
        FaultCase{"bad_status", [](AmtSimFaults& f) { f.badStatus = "GetUUID"; },
                  amthi::error::kStatus}),
    faultName);

TEST_F(SimFixture, BusyThenFree) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.busyConnects = 2;
  startSim(c);
  EXPECT_TRUE(client_->getControlMode().ok());
}

TEST_F(SimFixture, FaultOnOneCommandLeavesOthersWorking) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.faults.truncated = "GetControlMode";
  startSim(c);
  EXPECT_FALSE(client_->getControlMode().ok());
  EXPECT_TRUE(client_->getProvisioningState().ok());  // reconnects after the failure
}

TEST_F(SimFixture, SecondConnectionIsBusyWhileTheFirstHoldsTheClient) {
  startSim(defaultAmtSimConfig());
  ASSERT_TRUE(client_->getControlMode().ok());  // the first connection stays open
  UnixSocketOptions o;
  o.path = dir_ + "/amt.sock";
  o.busyAttempts = 2;
  o.sleep = [](std::chrono::milliseconds) {};
  UnixSocketTransport second(o);
  AmtClient other(second, 2000ms);
  EXPECT_EQ(other.getControlMode().error().code, mei_error::kBusy);
}

TEST_F(SimFixture, HelloSentWhenRemoteConfigurationOn) {
  const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::getsockname(udp, reinterpret_cast<sockaddr*>(&a), &len), 0);
  AmtSimConfig c = defaultAmtSimConfig();
  c.uuid = *amthi::parseUuidText("939b524b-13d4-1d18-e487-1c697a6b7a2b");
  c.hashes[0].isActive = false;  // inactive entries are not announced
  c.hello.target = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  startSim(c);
  EXPECT_EQ(server_->hellosSent(), 1u);
  Bytes buf(kHelloMaxSize + 1);
  const ssize_t n =
      ::recv(udp, buf.data(), buf.size(), MSG_DONTWAIT);  // sent before start() returned
  ::close(udp);
  ASSERT_GT(n, 0);
  buf.resize(static_cast<std::size_t>(n));
  auto h = parseHello(buf);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(amthi::formatUuid(h->uuid), "939b524b-13d4-1d18-e487-1c697a6b7a2b");
  EXPECT_EQ(h->hashes.size(), 24u);  // 23 active factory + internal CA
}

TEST_F(SimFixture, NoHelloWhenRemoteConfigurationOff) {
  AmtSimConfig c = defaultAmtSimConfig();
  c.remoteConfiguration = false;
  c.hello.target = "127.0.0.1:9";
  startSim(c);
  EXPECT_EQ(server_->hellosSent(), 0u);
}

TEST(AmtSimYaml, ReadsEverySectionOverDefaults) {
  char tmpl[] = "/tmp/pb-amtsim-yaml-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string file = std::string(tmpl) + "/amt.yaml";
  std::ofstream(file) << R"(amt_version: "15.0.41"
build_number: "2400"
provisioning_state: post
control_mode: acm
uuid: 939b524b-13d4-1d18-e487-1c697a6b7a2b
dns_suffix: amt.acme.example
remote_configuration: false
factory_hashes: inactive
hashes:
  - {name: Acme Internal Root CA, algorithm: sha384, hash: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f", active: true}
config_server: {address: 10.0.0.5, port: 9972, fqdn: sca.acme.example}
redirection: {sol: true, ider: false, kvm: false}
lan: {enabled: true, dhcp: false, mac: "aa:bb:cc:dd:ee:ff"}
hello: {target: "127.0.0.1:9971", admin_credentials_set: true}
faults: {busy_connects: 2, bad_status: GetDnsSuffix, bad_status_code: 16}
)";
  auto c = loadAmtSimConfig(file);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->codeVersions.find("AMT"), "15.0.41");
  EXPECT_EQ(c->controlMode, amthi::ControlMode::Admin);
  EXPECT_FALSE(c->remoteConfiguration);
  ASSERT_EQ(c->hashes.size(), 25u);
  EXPECT_FALSE(c->hashes[0].isActive);
  EXPECT_EQ(c->hashes[24].algorithm, 3);
  EXPECT_EQ(c->configServer.port, 9972);
  EXPECT_EQ(c->faults.badStatus, "GetDnsSuffix");
  EXPECT_EQ(c->faults.badStatusCode, 16u);

  std::ofstream(file) << "control_mode: root\nfaults: {truncated: GetLocalSystemAccount}\n"
                         "hashes: [{name: x, algorithm: sha256, hash: abcd}]\nbogus: 1\n";
  auto bad = loadAmtSimConfig(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("control_mode"), std::string::npos);
  EXPECT_NE(bad.error().message.find("faults.truncated"), std::string::npos);
  EXPECT_NE(bad.error().message.find("hash"), std::string::npos);
  EXPECT_NE(bad.error().message.find("bogus"), std::string::npos);
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace pb
