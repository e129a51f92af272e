// SPDX-License-Identifier: Apache-2.0
// The listener on a real UDP socket (port 0, loopback): real-shape hellos reach the handler with
// the sender's address; garbage, truncated and oversize datagrams are dropped and counted.
#include "net/hello_listener.hpp"

#include <cstdio>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

namespace pb {
namespace {

namespace asio = boost::asio;

AmtHello sampleHello() {
  AmtHello h;
  h.adminCredentialsSet = true;
  h.retryCount = 2;
  h.uuid = {0x4B, 0x52, 0x9B, 0x93, 0xD4, 0x13, 0x18, 0x1D,
            0xE4, 0x87, 0x1C, 0x69, 0x7A, 0x6B, 0x7A, 0x2B};
  for (int i = 0; i < 24; ++i) h.hashes.push_back({2, Bytes(32, static_cast<std::uint8_t>(i))});
  return h;
}

class HelloListenerTest : public ::testing::Test {
 protected:
  HelloListenerTest() : devNull_(std::fopen("/dev/null", "w")), log_(devNull_) {}
  ~HelloListenerTest() override { std::fclose(devNull_); }

  // Sends each datagram, then one valid hello as an end marker; runs until the marker arrives.
  void sendAll(const std::vector<Bytes>& datagrams) {
    HelloListenerOptions opt;
    opt.address = "127.0.0.1";
    opt.port = 0;
    HelloListener listener(io_.get_executor(), opt, log_,
                           [&](const AmtHello& h, const std::string& peer) {
                             seen_.push_back(h);
                             peers_.push_back(peer);
                             if (h.retryCount == 14) listener_->stop();
                           });
    listener_ = &listener;
    auto port = listener.start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    ASSERT_NE(*port, 0);
    asio::ip::udp::socket sender(io_, asio::ip::udp::endpoint(asio::ip::udp::v4(), 0));
    asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), *port);
    for (const auto& d : datagrams) sender.send_to(asio::buffer(d), to);
    AmtHello marker = sampleHello();
    marker.retryCount = 14;
    sender.send_to(asio::buffer(buildHello(marker)), to);
    io_.run();
    received_ = listener.received();
    dropped_ = listener.dropped();
  }

  std::FILE* devNull_;
  Logger log_;
  asio::io_context io_;
  HelloListener* listener_ = nullptr;
  std::vector<AmtHello> seen_;
  std::vector<std::string> peers_;
  std::uint64_t received_ = 0;
  std::uint64_t dropped_ = 0;
};

TEST_F(HelloListenerTest, DeliversRealShapeHellosWithThePeer) {
  sendAll({buildHello(sampleHello())});
  ASSERT_EQ(seen_.size(), 2U);
  EXPECT_EQ(seen_[0].hashes.size(), 24U);
  EXPECT_TRUE(seen_[0].adminCredentialsSet);
  EXPECT_EQ(peers_[0], "127.0.0.1");
  EXPECT_EQ(dropped_, 0U);
}

TEST_F(HelloListenerTest, DropsGarbageTruncatedAndOversizeDatagrams) {
  Bytes good = buildHello(sampleHello());
  Bytes truncated(good.begin(), good.end() - 5);
  Bytes oversize(kHelloMaxSize + 100, 0);
  Bytes trailing = good;
  trailing.push_back(0);
  sendAll({Bytes{1, 2, 3}, truncated, oversize, trailing, Bytes(25, 0xFF)});
  EXPECT_EQ(seen_.size(), 1U) << "only the end marker";
  EXPECT_EQ(received_, 6U);
  EXPECT_EQ(dropped_, 5U);
}

TEST_F(HelloListenerTest, RefusesABadAddressAndADoubleStart) {
  HelloListenerOptions opt;
  opt.address = "not-an-address";
  HelloListener bad(io_.get_executor(), opt, log_, {});
  EXPECT_FALSE(bad.start().ok());
  opt.address = "127.0.0.1";
  HelloListener twice(io_.get_executor(), opt, log_, {});
  ASSERT_TRUE(twice.start().ok());
  EXPECT_FALSE(twice.start().ok());
  twice.stop();
}

}  // namespace
}  // namespace pb
