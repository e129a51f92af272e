// SPDX-License-Identifier: Apache-2.0
// TlsListener: handshake bounds, session caps, churn and shutdown.
#include "net/tls_listener.hpp"

#include <array>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/reasons.hpp"
#include "net/tls_client.hpp"
#include "net_test_support.hpp"
#include "protocol/messages.hpp"
#include "session/refusal_frame.hpp"

namespace pb::test {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using nlohmann::json;

// Completes wait() once done() has been called `n` times (no awaitable operators in Boost 1.74).
class WaitGroup {
 public:
  WaitGroup(asio::io_context& io, int n)
      : timer_(io, asio::steady_timer::time_point::max()), n_(n) {}
  void done() {
    if (--n_ == 0) timer_.cancel();
  }
  awaitable<void> wait() {
    if (n_ == 0) co_return;
    error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }

 private:
  asio::steady_timer timer_;
  int n_;
};

class ListenerTest : public NetTest {
 protected:
  // Handler: echo frames until the peer goes away or stays silent for 10 s.
  std::uint16_t listenEcho(ListenerOptions opts) {
    opts.refusalFrame = refusalFrame;  // as benchd sets it
    listener_.emplace(io_.get_executor(), opts, serverCtx_,
                      [this](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
                        ++handlerCalls_;
                        for (;;) {
                          auto f = co_await t->readFrame(10s);
                          if (!f) break;
                          if (!(co_await t->writeFrame(*f, 5s))) break;
                        }
                        co_await t->close();
                      });
    auto port = listener_->start();
    EXPECT_TRUE(port.ok()) << (port.ok() ? "" : port.error().message);
    return port.ok() ? *port : 0;
  }

  void runClient(std::function<awaitable<void>()> body) {
    run(std::move(body), [this] {
      if (listener_) listener_->stop();
    });
    if (listener_) {
      EXPECT_EQ(listener_->activeSessions(), 0U);
      EXPECT_EQ(listener_->pendingHandshakes(), 0U);
    }
  }

  awaitable<Result<std::unique_ptr<FrameTransport>>> connect(std::uint16_t port,
                                                             std::string bind = "") {
    co_return co_await connectTls(io_.get_executor(), "127.0.0.1", port, clientCtx_, 5s,
                                  kDefaultMaxFrameBytes, std::move(bind));
  }

  // Connects and proves admission by an echo round trip.
  awaitable<std::unique_ptr<FrameTransport>> admitted(std::uint16_t port, std::string bind) {
    auto t = co_await connect(port, bind);
    if (!t) {
      ADD_FAILURE() << "connect from " << bind << ": " << t.error().message;
      co_return nullptr;
    }
    auto st = co_await (*t)->writeFrame(typed("ping"), 5s);
    auto echo = co_await (*t)->readFrame(5s);
    if (!st.ok() || !echo.ok() || messageType(*echo) != "ping") {
      ADD_FAILURE() << "no echo for " << bind << ": "
                    << (echo.ok() ? echo->dump() : echo.error().code);
      co_return nullptr;
    }
    co_return std::move(t).value();
  }

  // Connects and expects one error frame with `code`, then the server closing.
  awaitable<void> refused(std::uint16_t port, std::string bind, std::string_view code) {
    auto t = co_await connect(port, bind);
    if (!t) {
      ADD_FAILURE() << "connect from " << bind << ": " << t.error().message;
      co_return;
    }
    auto f = co_await (*t)->readFrame(5s);
    if (!f) {
      ADD_FAILURE() << "expected an error frame, got " << f.error().code;
      co_return;
    }
    auto e = ErrorFrame::fromJson(*f);
    if (!e) {
      ADD_FAILURE() << "not an error frame: " << f->dump();
      co_return;
    }
    EXPECT_EQ(e->code, code);
    auto end = co_await (*t)->readFrame(5s);
    EXPECT_EQ(end.ok() ? "<ok>" : end.error().code, reason::kPeerClosed);
    co_await (*t)->close();
  }

  // Polls `pred` every millisecond: used only to observe server-side progress that has no event.
  awaitable<void> until(std::function<bool()> pred) {
    asio::steady_timer tick(io_);
    while (!pred()) {
      tick.expires_after(1ms);
      co_await tick.async_wait(use_awaitable);
    }
  }

  std::optional<TlsListener> listener_;
  int handlerCalls_ = 0;
};

TEST_F(ListenerTest, StartFailures) {
  ListenerOptions opts;
  std::uint16_t port = listenEcho(opts);
  EXPECT_FALSE(listener_->start().ok()) << "second start";

  ListenerOptions taken;
  taken.port = port;
  TlsListener clash(io_.get_executor(), taken, serverCtx_,
                    [](std::unique_ptr<FrameTransport>) -> awaitable<void> { co_return; });
  EXPECT_FALSE(clash.start().ok());

  ListenerOptions bad;
  bad.address = "bench.local";
  TlsListener invalid(io_.get_executor(), bad, serverCtx_,
                      [](std::unique_ptr<FrameTransport>) -> awaitable<void> { co_return; });
  EXPECT_FALSE(invalid.start().ok());
  runClient([]() -> awaitable<void> { co_return; });
}

TEST_F(ListenerTest, SilentClientIsDroppedAfterHandshakeTimeout) {
  ListenerOptions opts;
  opts.handshakeTimeout = 200ms;
  opts.firstByteTimeout = 200ms;
  opts.maxSessionsPerSource = 4;  // both connections get as far as the handshake
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto silent = co_await rawTcp(port);
    // A ClientHello that starts and never finishes counts as no handshake too.
    auto partial = co_await rawTcp(port);
    co_await asio::async_write(
        partial, asio::buffer("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10), use_awaitable);
    for (auto* s : {&silent, &partial}) {
      std::array<char, 16> buf{};
      error_code ec;
      co_await s->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    }
  });
  EXPECT_EQ(handlerCalls_, 0);
}

TEST_F(ListenerTest, HandshakesInProgressAreCapped) {
  ListenerOptions opts;
  opts.maxHandshakes = 2;
  opts.maxSessionsPerSource = 4;  // the cap under test is the total one
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto a = co_await rawTcp(port);
    auto b = co_await rawTcp(port);
    co_await until([&] { return listener_->pendingHandshakes() == 2; });
    auto c = co_await rawTcp(port);
    std::array<char, 16> buf{};
    error_code ec;
    // Closed at once: far sooner than the 5 s handshake timeout that holds a and b.
    co_await c.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    a.close();
    b.close();
    co_await until([&] { return listener_->pendingHandshakes() == 0; });
    // Room again: a real client gets in.
    auto t = co_await admitted(port, "127.0.0.1");
    CO_ASSERT_TRUE(t != nullptr);
    co_await t->close();
  });
  EXPECT_EQ(handlerCalls_, 1);
}

// Expects `s` to be closed by the server without any TLS (eof or reset).
awaitable<void> expectClosed(asio::ip::tcp::socket& s) {
  std::array<char, 16> buf{};
  error_code ec;
  co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(ListenerTest, ConnectThatNeverSendsIsShedAfterFirstByteTimeout) {
  ListenerOptions opts;
  opts.firstByteTimeout = 100ms;
  opts.handshakeTimeout = 60s;  // what used to hold an idle connect; must not be what ends it
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto silent = co_await rawTcp(port);
    co_await expectClosed(silent);
    co_await until([&] { return listener_->pendingHandshakes() == 0; });
  });
  EXPECT_EQ(handlerCalls_, 0);
}

// Bare connects from one address that never send a ClientHello take at most the per-source cap
// of handshake slots; the rest are closed before any TLS work and other sources still get in.
TEST_F(ListenerTest, BareConnectsFromOneSourceDoNotTakeAllHandshakeSlots) {
  ListenerOptions opts;
  opts.maxHandshakes = 8;
  opts.maxSessionsPerSource = 2;
  opts.firstByteTimeout = 60s;
  opts.handshakeTimeout = 60s;
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    std::vector<asio::ip::tcp::socket> flood;
    for (int i = 0; i < 2; ++i) flood.push_back(co_await rawTcp(port, "127.0.0.5"));
    co_await until([&] { return listener_->pendingHandshakes() == 2; });
    for (int i = 0; i < 20; ++i) {
      auto extra = co_await rawTcp(port, "127.0.0.5");
      co_await expectClosed(extra);
    }
    EXPECT_EQ(listener_->pendingHandshakes(), 2U);
    auto t = co_await admitted(port, "127.0.0.6");
    CO_ASSERT_TRUE(t != nullptr);
    co_await t->close();
    for (auto& s : flood) s.close();
  });
  EXPECT_EQ(handlerCalls_, 1);
}

TEST_F(ListenerTest, ReservedCapacityIsKeptForReservedSources) {
  ListenerOptions opts;
  opts.maxSessions = 3;
  opts.maxSessionsPerSource = 3;
  opts.maxHandshakes = 3;
  opts.reserved = 1;
  opts.isReservedSource = [](const std::string& s) { return s == "127.0.0.9"; };
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto a = co_await admitted(port, "127.0.0.2");
    auto b = co_await admitted(port, "127.0.0.3");
    CO_ASSERT_TRUE(a != nullptr && b != nullptr);
    // Unmapped sources have used their share; the reserved one is not theirs.
    co_await refused(port, "127.0.0.4", reason::kTooManySessions);
    auto mapped = co_await admitted(port, "127.0.0.9");
    CO_ASSERT_TRUE(mapped != nullptr);
    co_await refused(port, "127.0.0.9", reason::kTooManySessions);  // now the bench is full
    co_await a->close();
    co_await b->close();
    co_await mapped->close();
    co_await until([&] { return listener_->activeSessions() == 0; });

    // The same for handshakes: two unmapped half-open connects fill the unmapped share.
    auto h1 = co_await rawTcp(port, "127.0.0.2");
    auto h2 = co_await rawTcp(port, "127.0.0.3");
    co_await until([&] { return listener_->pendingHandshakes() == 2; });
    auto h3 = co_await rawTcp(port, "127.0.0.4");
    co_await expectClosed(h3);
    auto late = co_await admitted(port, "127.0.0.9");
    CO_ASSERT_TRUE(late != nullptr);
    co_await late->close();
    h1.close();
    h2.close();
  });
  EXPECT_EQ(handlerCalls_, 4);
}

TEST_F(ListenerTest, CapPerSource) {
  ListenerOptions opts;
  opts.maxSessionsPerSource = 1;
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto first = co_await admitted(port, "127.0.0.2");
    CO_ASSERT_TRUE(first != nullptr);
    EXPECT_EQ(listener_->activeSessions(), 1U);
    co_await refused(port, "127.0.0.2", reason::kTooManyFromSource);
    auto other = co_await admitted(port, "127.0.0.3");
    CO_ASSERT_TRUE(other != nullptr);
    EXPECT_EQ(listener_->activeSessions(), 2U);
    co_await first->close();
    co_await until([&] { return listener_->activeSessions() == 1; });
    // The slot is free again once the first session's handler has finished.
    auto again = co_await admitted(port, "127.0.0.2");
    CO_ASSERT_TRUE(again != nullptr);
    co_await again->close();
    co_await other->close();
  });
  EXPECT_EQ(handlerCalls_, 3);
}

TEST_F(ListenerTest, CapTotal) {
  ListenerOptions opts;
  opts.maxSessions = 2;
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto a = co_await admitted(port, "127.0.0.2");
    auto b = co_await admitted(port, "127.0.0.3");
    CO_ASSERT_TRUE(a != nullptr && b != nullptr);
    co_await refused(port, "127.0.0.4", reason::kTooManySessions);
    co_await a->close();
    co_await b->close();
  });
  EXPECT_EQ(handlerCalls_, 2);
}

TEST_F(ListenerTest, ThousandConnectionsChurnThenNormalClient) {
  ListenerOptions opts;
  opts.maxSessions = 1000;
  opts.maxSessionsPerSource = 1000;
  std::uint16_t port = listenEcho(opts);
  constexpr int kTotal = 1000;
  constexpr int kBatch = 25;
  int connected = 0;
  runClient([&]() -> awaitable<void> {
    for (int start = 0; start < kTotal; start += kBatch) {
      WaitGroup group(io_, kBatch);
      for (int i = start; i < start + kBatch; ++i) {
        asio::co_spawn(
            io_,
            [&, i]() -> awaitable<void> {
              error_code ec;
              switch (i % 4) {
                case 0: {  // connect, then close before any TLS
                  auto s = co_await rawTcp(port);
                  ++connected;
                  break;
                }
                case 1: {  // half a ClientHello, then close
                  auto s = co_await rawTcp(port);
                  co_await asio::async_write(s, asio::buffer("\x16\x03\x01\x02\x00\x01", 6),
                                             asio::redirect_error(use_awaitable, ec));
                  ++connected;
                  break;
                }
                case 2: {  // full handshake, then a bare TCP close
                  auto s = co_await rawTls(port, clientCtx_);
                  s->lowest_layer().close(ec);
                  ++connected;
                  break;
                }
                default: {  // full session with a graceful close
                  auto t = co_await connect(port);
                  if (t) {
                    ++connected;
                    co_await (*t)->close();
                  }
                  break;
                }
              }
            },
            [&](std::exception_ptr e) {
              if (e) ADD_FAILURE() << "churn connection failed";
              group.done();
            });
      }
      co_await group.wait();
    }
    auto t = co_await admitted(port, "127.0.0.1");
    CO_ASSERT_TRUE(t != nullptr);
    co_await t->close();
  });
  EXPECT_EQ(connected, kTotal);
  EXPECT_GE(handlerCalls_, 1);
}

TEST_F(ListenerTest, StopEndsAcceptingButLetsSessionsFinish) {
  ListenerOptions opts;
  std::uint16_t port = listenEcho(opts);
  runClient([&]() -> awaitable<void> {
    auto t = co_await admitted(port, "127.0.0.1");
    CO_ASSERT_TRUE(t != nullptr);
    listener_->stop();
    // stop() hands the close to the acceptor's strand; let it run.
    co_await asio::post(io_, use_awaitable);
    auto late = co_await connect(port, "127.0.0.2");
    EXPECT_FALSE(late.ok());
    // The running session still works.
    CO_ASSERT_TRUE((co_await t->writeFrame(typed("still"), 5s)).ok());
    auto echo = co_await t->readFrame(5s);
    CO_ASSERT_TRUE(echo.ok());
    EXPECT_EQ(messageType(*echo), "still");
    co_await t->close();
  });
}

}  // namespace
}  // namespace pb::test
