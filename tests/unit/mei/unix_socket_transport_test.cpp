// SPDX-License-Identifier: Apache-2.0
// UnixSocketTransport against a scripted peer: each accepted connection gets the next script,
// a list of raw byte strings written after reading one frame each.
#include "mei/unix_socket_transport.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace pb {
namespace {

using namespace std::chrono_literals;

Bytes frame(const Bytes& payload) {
  Bytes out(4 + payload.size());
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  std::copy(payload.begin(), payload.end(), out.begin() + 4);
  return out;
}

Bytes connectReply(std::uint32_t result, std::uint32_t maxLen = 5120) {
  Bytes p(8);
  for (int i = 0; i < 4; ++i) {
    p[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(result >> (8 * i));
    p[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(maxLen >> (8 * i));
  }
  return frame(p);
}

bool readFrame(int fd) {
  std::uint8_t hdr[4];
  if (::recv(fd, hdr, 4, MSG_WAITALL) != 4) return false;
  const std::uint32_t n =
      hdr[0] | (hdr[1] << 8) | (hdr[2] << 16) | (static_cast<std::uint32_t>(hdr[3]) << 24);
  Bytes body(n);
  return n == 0 || ::recv(fd, body.data(), n, MSG_WAITALL) == static_cast<ssize_t>(n);
}

class ScriptedPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-mei-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/amt.sock";
  }
  void TearDown() override {
    if (server_.joinable()) server_.join();
    if (listen_ >= 0) ::close(listen_);
    std::filesystem::remove_all(dir_);
  }
  // Each script: replies written one per frame read; the connection closes after the script.
  void serve(std::vector<std::vector<Bytes>> scripts) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    ASSERT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    ASSERT_EQ(::listen(listen_, 8), 0);
    server_ = std::thread([this, scripts = std::move(scripts)] {
      for (const auto& script : scripts) {
        const int c = ::accept(listen_, nullptr, nullptr);
        if (c < 0) return;
        for (const auto& reply : script) {
          if (!readFrame(c)) break;
          if (!reply.empty()) (void)!::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        // Hold the connection until the client hangs up, so the client sees only what was sent.
        std::uint8_t b;
        while (::recv(c, &b, 1, 0) > 0) {
        }
        ::close(c);
      }
    });
  }
  UnixSocketTransport make(int attempts = 8) {
    UnixSocketOptions o;
    o.path = path_;
    o.busyAttempts = attempts;
    o.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    return UnixSocketTransport(o);
  }
  std::string dir_, path_;
  int listen_ = -1;
  std::thread server_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

const Bytes kReq = {1, 1, 0, 0, 0x11, 0, 0, 4, 0, 0, 0, 0};
const Bytes kResp = {1, 1, 0, 0, 0x11, 0, 0x80, 4, 8, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0};

TEST_F(ScriptedPeer, HandshakeThenRequestResponse) {
  serve({{connectReply(0), frame(kResp)}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, kResp);
}

TEST_F(ScriptedPeer, NoListenerIsNoDevice) {
  auto t = make();
  auto r = t.exchange(kReq, 100ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kNoDevice);
}

TEST_F(ScriptedPeer, BusyRetriesWithBackoff) {
  serve({{connectReply(EBUSY)}, {connectReply(EBUSY)}, {connectReply(0), frame(kResp)}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{750ms, 1500ms}));
}

TEST_F(ScriptedPeer, BusyForeverIsBusy) {
  serve({{connectReply(EBUSY)}, {connectReply(EBUSY)}});
  auto t = make(2);
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kBusy);
}

TEST_F(ScriptedPeer, EnottyIsNoAmtClient) {
  serve({{connectReply(ENOTTY)}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kNoAmtClient);
}

TEST_F(ScriptedPeer, ZeroLengthFrameIsDisabled) {
  serve({{connectReply(0), frame({})}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kDisabled);
}

TEST_F(ScriptedPeer, OversizeFrameHeaderRefused) {
  Bytes huge = {0x01, 0x00, 0x01, 0x00};  // 65537 bytes announced
  serve({{connectReply(0), huge}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kIo);
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos);
}

TEST_F(ScriptedPeer, SilentPeerTimesOut) {
  serve({{connectReply(0), Bytes{}}});
  auto t = make();
  auto r = t.exchange(kReq, 50ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kTimeout);
}

TEST_F(ScriptedPeer, BadConnectReplyIsIoError) {
  serve({{frame({0, 0, 0})}});
  auto t = make();
  auto r = t.exchange(kReq, 2000ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kIo);
}

}  // namespace
}  // namespace pb
