// SPDX-License-Identifier: Apache-2.0
// MeiTransport error mapping through an injected syscall seam. A SOCK_SEQPACKET socketpair stands
// in for the device fd: like MEI it keeps message boundaries (one write = one message).
#include "mei/mei_transport.hpp"

#include <cerrno>
#include <deque>
#include <map>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pb {
namespace {

using namespace std::chrono_literals;

struct FakeNode {
  int openErrno = 0;              // != 0: open fails with it
  std::deque<int> connectErrnos;  // consumed per connect; empty = success
  std::uint32_t maxMessage = 5120;
};

class FakeSyscalls final : public MeiSyscalls {
 public:
  explicit FakeSyscalls(std::map<std::string, FakeNode>* nodes) : nodes_(nodes) {}
  ~FakeSyscalls() override {
    if (peer >= 0) ::close(peer);
  }
  int open(const std::string& path) override {
    opened.push_back(path);
    auto it = nodes_->find(path);
    if (it == nodes_->end()) {
      errno = ENOENT;
      return -1;
    }
    if (it->second.openErrno != 0) {
      errno = it->second.openErrno;
      return -1;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) return -1;
    if (peer >= 0) ::close(peer);  // the previous connection's device side
    peer = sv[1];
    current_ = &it->second;
    return sv[0];
  }
  int connectClient(int /*fd*/, MeiConnectData& data) override {
    guid.assign(data.data, data.data + 16);
    if (!current_->connectErrnos.empty()) {
      errno = current_->connectErrnos.front();
      current_->connectErrnos.pop_front();
      return -1;
    }
    for (int i = 0; i < 4; ++i)
      data.data[i] = static_cast<std::uint8_t>(current_->maxMessage >> (8 * i));
    return 0;
  }
  ssize_t write(int fd, const void* buf, std::size_t n) override { return ::write(fd, buf, n); }
  int pollReadable(int fd, int /*timeoutMs*/) override {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0);  // the test queued any answer before calling: never wait
  }
  ssize_t read(int fd, void* buf, std::size_t n) override { return ::read(fd, buf, n); }
  void close(int fd) override {
    ::close(fd);
    ++closes;
  }
  void sleepFor(std::chrono::milliseconds d) override { sleeps.push_back(d); }

  std::vector<std::string> opened;
  std::vector<std::chrono::milliseconds> sleeps;
  std::vector<std::uint8_t> guid;
  int peer = -1;
  int closes = 0;

 private:
  std::map<std::string, FakeNode>* nodes_;
  FakeNode* current_ = nullptr;
};

// sys_ is owned by the transport: tests use it only while their transport lives.
class MeiTransportTest : public ::testing::Test {
 protected:
  MeiTransport make(MeiOptions opt = {}) {
    opt.devDir = "/fake";
    auto sys = std::make_unique<FakeSyscalls>(&nodes_);
    sys_ = sys.get();
    return MeiTransport(opt, std::move(sys));
  }
  std::map<std::string, FakeNode> nodes_;
  FakeSyscalls* sys_ = nullptr;
};

const Bytes kRequest = {0x01, 0x01, 0x00, 0x00, 0x11, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};

TEST_F(MeiTransportTest, ExchangeOneWriteOneRead) {
  nodes_["/fake/mei0"] = {};
  auto t = make();
  ASSERT_TRUE(t.connect().ok());
  EXPECT_EQ(Bytes(sys_->guid.begin(), sys_->guid.end()),
            Bytes(std::begin(kAmthiGuid), std::end(kAmthiGuid)));
  const Bytes answer = {1, 1, 0, 0, 0x11, 0, 0x80, 4, 8, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0};
  ASSERT_EQ(::write(sys_->peer, answer.data(), answer.size()), 20);
  auto r = t.exchange(kRequest, 3000ms);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, answer);
  Bytes seen(64);
  ASSERT_EQ(::read(sys_->peer, seen.data(), seen.size()), 12);  // exactly one 12-byte message
  EXPECT_EQ(t.nodePath(), "/fake/mei0");
  EXPECT_EQ(t.maxMessageLength(), 5120u);
}

TEST_F(MeiTransportTest, ProbesPastMissingNodesAndNodesWithoutTheClient) {
  nodes_["/fake/mei1"] = {0, {ENOTTY}, 5120};  // e.g. a node hosting other clients only
  nodes_["/fake/mei2"] = {};
  auto t = make();
  ASSERT_TRUE(t.connect().ok());
  EXPECT_EQ(t.nodePath(), "/fake/mei2");
  EXPECT_EQ(sys_->opened, (std::vector<std::string>{"/fake/mei0", "/fake/mei1", "/fake/mei2"}));
}

TEST_F(MeiTransportTest, NoNodeIsNoDevice) {
  auto t = make();
  auto r = t.exchange(kRequest, 10ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kNoDevice);
  EXPECT_EQ(sys_->opened.size(), 4u);  // mei0..mei3
}

TEST_F(MeiTransportTest, EnottyIsNoAmtClient) {
  nodes_["/fake/mei0"] = {0, {ENOTTY}, 5120};
  auto t = make();
  auto r = t.exchange(kRequest, 10ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kNoAmtClient);
  EXPECT_NE(r.error().message.find("ENOTTY"), std::string::npos);
}

TEST_F(MeiTransportTest, EnodevIsNoAmtClientNotReady) {
  nodes_["/fake/mei0"] = {0, {ENODEV}, 5120};
  auto t = make();
  auto r = t.exchange(kRequest, 10ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kNoAmtClient);
  EXPECT_NE(r.error().message.find("not ready"), std::string::npos);
}

TEST_F(MeiTransportTest, BusyRetriesWithGrowingBackoffThenConnects) {
  nodes_["/fake/mei0"] = {0, {EBUSY, EBUSY}, 5120};
  auto t = make();
  ASSERT_TRUE(t.connect().ok());
  EXPECT_EQ(sys_->sleeps, (std::vector<std::chrono::milliseconds>{750ms, 1500ms}));
}

TEST_F(MeiTransportTest, BusyForeverIsBusyAfterAllAttempts) {
  nodes_["/fake/mei0"] = {0, std::deque<int>(20, EBUSY), 5120};
  MeiOptions opt;
  opt.busyAttempts = 3;
  auto t = make(opt);
  auto st = t.connect();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, mei_error::kBusy);
  EXPECT_NE(st.error().message.find("LMS"), std::string::npos);
  EXPECT_EQ(sys_->sleeps.size(), 2u);
}

TEST_F(MeiTransportTest, PermissionDeniedIsItsOwnOutcome) {
  nodes_["/fake/mei0"] = {EACCES, {}, 5120};
  auto t = make();
  auto st = t.connect();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, mei_error::kPermission);
}

TEST_F(MeiTransportTest, ZeroLengthReadIsDisabled) {
  nodes_["/fake/mei0"] = {};
  auto t = make();
  ASSERT_TRUE(t.connect().ok());
  ::shutdown(sys_->peer, SHUT_WR);  // the read returns 0 bytes
  auto r = t.exchange(kRequest, 10ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kDisabled);
}

TEST_F(MeiTransportTest, NoAnswerIsTimeoutAndReconnects) {
  nodes_["/fake/mei0"] = {};
  auto t = make();
  auto r = t.exchange(kRequest, 0ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, mei_error::kTimeout);
  EXPECT_EQ(sys_->closes, 1);  // a late answer must not be taken for the next request's
}

TEST_F(MeiTransportTest, OversizeAndEmptyRequestsRefused) {
  nodes_["/fake/mei0"] = {0, {}, 64};
  auto t = make();
  auto big = t.exchange(Bytes(65, 0), 10ms);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, mei_error::kIo);
  auto empty = t.exchange(Bytes{}, 10ms);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, mei_error::kIo);
}

}  // namespace
}  // namespace pb
