// SPDX-License-Identifier: Apache-2.0
#include "support/memory_transport.hpp"

#include <deque>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/reasons.hpp"

namespace pb::test {

namespace {

namespace asio = boost::asio;

// One direction's mailbox. The timer is the wake-up: a reader waits on it until its deadline,
// and a write or a close cancels the wait so the reader looks again.
struct Mailbox {
  explicit Mailbox(const asio::any_io_executor& ex) : wake(ex) {}
  std::deque<nlohmann::json> frames;
  bool writerClosed = false;
  asio::steady_timer wake;
};

struct Channel {
  explicit Channel(const asio::any_io_executor& ex) : toAppliance(ex), toAgent(ex) {}
  Mailbox toAppliance;
  Mailbox toAgent;
};

class MemoryTransport final : public FrameTransport {
 public:
  MemoryTransport(std::shared_ptr<Channel> channel, Mailbox& in, Mailbox& out, std::string peer)
      : channel_(std::move(channel)), in_(in), out_(out), peer_(std::move(peer)) {}
  ~MemoryTransport() override { shut(); }
  MemoryTransport(const MemoryTransport&) = delete;
  MemoryTransport& operator=(const MemoryTransport&) = delete;

  asio::awaitable<Result<nlohmann::json>> readFrame(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!in_.frames.empty()) {
        nlohmann::json frame = std::move(in_.frames.front());
        in_.frames.pop_front();
        co_return frame;
      }
      if (in_.writerClosed || closed_) {
        co_return makeError(std::string(reason::kPeerClosed), "the peer closed the connection");
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        co_return makeError(std::string(reason::kTimeout), "no frame before the timeout");
      }
      in_.wake.expires_at(deadline);
      boost::system::error_code ec;  // operation_aborted: woken by a write or a close
      co_await in_.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::awaitable<Status> writeFrame(const nlohmann::json& msg,
                                     std::chrono::milliseconds /*timeout*/) override {
    if (closed_ || peerGone()) {
      co_return makeError(std::string(reason::kPeerClosed), "the peer closed the connection");
    }
    out_.frames.push_back(msg);
    out_.wake.cancel();
    co_return Status{};
  }

  asio::awaitable<void> close() override {
    shut();
    co_return;
  }

  std::string peerAddress() const override { return peer_; }

 private:
  // The peer closes both directions at once, so its closing our inbound means it is gone.
  bool peerGone() const { return in_.writerClosed; }
  void shut() {
    if (closed_) return;
    closed_ = true;
    out_.writerClosed = true;
    out_.wake.cancel();
    in_.wake.cancel();
  }

  std::shared_ptr<Channel> channel_;  // keeps both mailboxes alive while either end exists
  Mailbox& in_;
  Mailbox& out_;
  std::string peer_;
  bool closed_ = false;
};

}  // namespace

TransportPair makeTransportPair(const asio::any_io_executor& executor, std::string agentAddress) {
  auto channel = std::make_shared<Channel>(executor);
  TransportPair pair;
  pair.appliance = std::make_unique<MemoryTransport>(channel, channel->toAppliance,
                                                     channel->toAgent, std::move(agentAddress));
  pair.agent = std::make_unique<MemoryTransport>(channel, channel->toAgent, channel->toAppliance,
                                                 "appliance");
  return pair;
}

}  // namespace pb::test
