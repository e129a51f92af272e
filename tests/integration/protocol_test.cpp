// SPDX-License-Identifier: Apache-2.0
// Agent-protocol negatives against a real benchd: every malformed or hostile peer gets a clear
// error frame or is dropped, and benchd keeps serving well-behaved agents afterwards.
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "sim/raw_client.hpp"

namespace pb::test {
namespace {

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BenchdOptions o;
    // Short I/O timeout so the slowloris case finishes quickly; it is the behaviour under test.
    o.limitsYaml = "  io_timeout_ms: 400\n  handshake_timeout_ms: 400\n  max_frame_bytes: 4096\n";
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
  }

  // A well-behaved session still works (unregistered device: blocked PB-1001).
  void expectStillServing() {
    RawClient c(benchd_->port(), benchd_->pinFile());
    ASSERT_TRUE(c.connected());
    c.writeFrame(helloJson("HEALTH0001", "6f1c2b3a-1111-4222-8333-944455556666"));
    auto welcome = c.readFrame();
    ASSERT_TRUE(welcome.has_value());
    EXPECT_EQ(welcome->value("type", ""), "welcome");
    auto verdict = c.readFrame();
    ASSERT_TRUE(verdict.has_value());
    EXPECT_EQ(verdict->value("code", ""), "PB-1001");
  }

  std::optional<nlohmann::json> errorAfter(const std::string& raw) {
    RawClient c(benchd_->port(), benchd_->pinFile());
    EXPECT_TRUE(c.connected());
    c.writeRaw(raw);
    return c.readFrame();
  }

  TempDir dir_;
  std::unique_ptr<Benchd> benchd_;
};

TEST_F(ProtocolTest, MalformedJsonGetsErrorFrame) {
  auto e = errorAfter(frameBytes("{\"type\": \"hello\", "));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value("type", ""), "error");
  EXPECT_EQ(e->value("code", ""), "PB-0001");
  expectStillServing();
}

TEST_F(ProtocolTest, OversizeFrameRejectedBeforeBodyIsRead) {
  std::string header = frameBytes(std::string(8192, 'x')).substr(0, 4);
  auto e = errorAfter(header);  // announce 8 KiB (> 4 KiB limit) and send nothing else
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value("code", ""), "PB-0002");
  expectStillServing();
}

TEST_F(ProtocolTest, UnknownMessageTypeFirst) {
  auto e = errorAfter(frameBytes(R"({"type":"gimme_secrets"})"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value("code", ""), "PB-0005");
}

TEST_F(ProtocolTest, HelloWithMissingIdentityIsMalformed) {
  auto e = errorAfter(frameBytes(R"({"type":"hello","versions":[1],"agent":"x"})"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value("code", ""), "PB-0001");
}

TEST_F(ProtocolTest, WrongProtocolVersion) {
  auto e =
      errorAfter(frameBytes(helloJson("PF1", "6f1c2b3a-1111-4222-8333-944455556666", 7).dump()));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->value("code", ""), "PB-0003");
  EXPECT_NE(e->value("message", "").find("version 1"), std::string::npos);
}

TEST_F(ProtocolTest, SlowlorisIsDroppedAfterIoTimeout) {
  RawClient c(benchd_->port(), benchd_->pinFile());
  ASSERT_TRUE(c.connected());
  c.writeRaw(
      frameBytes(helloJson("PF1", "6f1c2b3a-1111-4222-8333-944455556666").dump()).substr(0, 6));
  // benchd must give up on the half-sent frame by itself (io_timeout_ms = 400).
  EXPECT_TRUE(c.closedByPeer());
  expectStillServing();
}

TEST_F(ProtocolTest, SilentClientIsDropped) {
  RawClient c(benchd_->port(), benchd_->pinFile());
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(ProtocolTest, TruncatedFrameThenCloseLeavesBenchdHealthy) {
  {
    RawClient c(benchd_->port(), benchd_->pinFile());
    ASSERT_TRUE(c.connected());
    c.writeRaw(frameBytes(std::string(100, ' ')).substr(0, 14));
  }  // closes mid-frame
  expectStillServing();
}

TEST_F(ProtocolTest, WrongPinIsRefusedByTheAgent) {
  writeFile(dir_.file("wrong.pin"),
            "sha256:0000000000000000000000000000000000000000000000000000000000000000\n");
  SpawnOptions so;
  so.args = {binDir() + "/bench-agent",
             "--appliance",
             benchd_->appliance(),
             "--pin",
             dir_.file("wrong.pin"),
             "--root",
             sourceDir() + "/tests/fixtures/sysfs/laptop-thinkpad",
             "--json"};
  RunResult r = run(so);
  EXPECT_EQ(r.exitCode, 4) << r.err;
  EXPECT_NE(r.out.find("pin"), std::string::npos) << r.out;
}

TEST_F(ProtocolTest, ThousandConnectionsOpenedAndDropped) {
  {
    boost::asio::io_context io;
    for (int i = 0; i < 1000; ++i) {
      boost::asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), benchd_->port()}, ec);
      ASSERT_FALSE(ec) << "connection " << i << ": " << ec.message();
      if (i % 2 == 0) {
        // half of them start a TLS handshake and vanish mid-way
        const char hello[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00";
        boost::asio::write(s, boost::asio::buffer(hello, sizeof hello - 1), ec);
      }
      s.close();
    }
  }
  expectStillServing();
}

// The same faults played by provbench-sim from a fleet file, all at once.
TEST_F(ProtocolTest, SimulatedFaultyFleetIsRejected) {
  SpawnOptions so;
  so.args = {binDir() + "/provbench-sim",
             "--fleet",
             sourceDir() + "/tests/fixtures/fleets/protocol-faults.yaml",
             "--appliance",
             benchd_->appliance(),
             "--pin",
             benchd_->pinFile(),
             "--workdir",
             dir_.file("sim"),
             "--timeout-ms",
             "5000",
             "--json"};
  RunResult r = run(so);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  auto results = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(results.is_array()) << r.out;
  EXPECT_EQ(results.size(), 6u);
  expectStillServing();
}

}  // namespace
}  // namespace pb::test
