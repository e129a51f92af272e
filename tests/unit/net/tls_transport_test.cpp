// SPDX-License-Identifier: Apache-2.0
// FrameTransport over TLS: framing errors, timeouts, pinning and protocol version on a real
// loopback connection (listener on 127.0.0.1, port 0).
#include <array>
#include <optional>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "core/reasons.hpp"
#include "net/tls_client.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"
#include "net/tls_listener.hpp"
#include "net_test_support.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace pb::test {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using nlohmann::json;

class TransportTest : public NetTest {
 protected:
  // A listener whose handler reads one frame with `readTimeout` and records the outcome.
  std::uint16_t listenReadOnce(std::chrono::milliseconds readTimeout, ListenerOptions opts = {}) {
    listener_.emplace(io_.get_executor(), opts, serverCtx_,
                      [this, readTimeout](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
                        ++handlerCalls_;
                        serverRead_ = co_await t->readFrame(readTimeout);
                        serverSecondRead_ = co_await t->readFrame(readTimeout);
                        co_await t->close();
                      });
    auto port = listener_->start();
    EXPECT_TRUE(port.ok());
    return port.ok() ? *port : 0;
  }

  std::uint16_t listenWith(TlsListener::Handler h, ListenerOptions opts = {}) {
    listener_.emplace(io_.get_executor(), opts, serverCtx_,
                      [this, h](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
                        ++handlerCalls_;
                        co_await h(std::move(t));
                      });
    auto port = listener_->start();
    EXPECT_TRUE(port.ok());
    return port.ok() ? *port : 0;
  }

  void runClient(std::function<awaitable<void>()> body) {
    run(std::move(body), [this] {
      if (listener_) listener_->stop();
    });
    if (listener_) {
      EXPECT_EQ(listener_->activeSessions(), 0U);
    }
  }

  awaitable<void> writeRaw(TlsStream& s, const std::string& bytes) {
    co_await asio::async_write(s, asio::buffer(bytes), use_awaitable);
  }

  awaitable<Result<std::unique_ptr<FrameTransport>>> connect(std::uint16_t port,
                                                             std::string bind = "") {
    co_return co_await connectTls(io_.get_executor(), "127.0.0.1", port, clientCtx_, 5s,
                                  kDefaultMaxFrameBytes, std::move(bind));
  }

  std::optional<TlsListener> listener_;
  int handlerCalls_ = 0;
  std::optional<Result<json>> serverRead_;
  std::optional<Result<json>> serverSecondRead_;
};

std::string codeOf(const std::optional<Result<json>>& r) {
  if (!r) return "<no read>";
  if (r->ok()) return "<ok>";
  return r->error().code;
}

Hello sampleHello() {
  Hello h;
  h.versions = {1};
  h.agent = "bench-agent/test";
  h.identity.serial = "SN1";
  h.identity.macs = {"aa:bb:cc:dd:ee:ff"};
  return h;
}

TEST_F(TransportTest, FrameRoundTripAndPeerAddress) {
  std::string peer;
  std::uint16_t port = listenWith([&](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
    peer = t->peerAddress();
    for (;;) {
      auto f = co_await t->readFrame(5s);
      if (!f) break;
      auto hello = Hello::fromJson(*f);
      if (!hello) break;
      Welcome w{*negotiateVersion(*hello), "sess-1", "bench-1"};
      if (!(co_await t->writeFrame(w.toJson(), 5s))) break;
    }
    co_await t->close();
  });
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(port, "127.0.0.3");
    CO_ASSERT_TRUE(t.ok());
    for (int i = 0; i < 3; ++i) {
      CO_ASSERT_TRUE((co_await (*t)->writeFrame(sampleHello().toJson(), 5s)).ok());
      auto reply = co_await (*t)->readFrame(5s);
      CO_ASSERT_TRUE(reply.ok());
      auto w = Welcome::fromJson(*reply);
      CO_ASSERT_TRUE(w.ok());
      EXPECT_EQ(w->sessionId, "sess-1");
      EXPECT_EQ(w->version, 1);
    }
    EXPECT_EQ((*t)->peerAddress(), "127.0.0.1");
    co_await (*t)->close();
  });
  EXPECT_EQ(handlerCalls_, 1);
  EXPECT_EQ(peer, "127.0.0.3");
}

TEST_F(TransportTest, GracefulCloseDeliversFinalVerdictThenPeerClosed) {
  std::uint16_t port = listenWith([](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
    Verdict v{"ready", "", "Provisioned.", "", false, "dev-000001", true};
    (void)co_await t->writeFrame(v.toJson(), 5s);
    co_await t->close();
  });
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(port);
    CO_ASSERT_TRUE(t.ok());
    auto f = co_await (*t)->readFrame(5s);
    CO_ASSERT_TRUE(f.ok());
    EXPECT_TRUE(Verdict::fromJson(*f)->isFinal);
    auto end = co_await (*t)->readFrame(5s);
    CO_ASSERT_TRUE(!end.ok());
    EXPECT_EQ(end.error().code, reason::kPeerClosed);
    co_await (*t)->close();
  });
}

TEST_F(TransportTest, CloseIsBoundedWhenPeerNeverAnswers) {
  bool closed = false;
  ListenerOptions opts;
  opts.closeTimeout = 200ms;
  std::uint16_t port = listenWith(
      [&](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
        (void)co_await t->writeFrame(typed("ping"), 5s);
        co_await t->close();  // waits for a close_notify that never comes
        closed = true;
      },
      opts);
  runClient([&]() -> awaitable<void> {
    auto s = co_await rawTls(port, clientCtx_);
    // Read below TLS so no close_notify is ever sent back; the server must give up on its own.
    std::array<char, 4096> buf{};
    error_code ec;
    while (!ec) {
      co_await s->next_layer().async_read_some(asio::buffer(buf),
                                               asio::redirect_error(use_awaitable, ec));
    }
    EXPECT_EQ(ec, asio::error::eof);
  });
  EXPECT_TRUE(closed);
}

TEST_F(TransportTest, WrongPinIsRefusedWithPinMismatch) {
  std::uint16_t port = listenReadOnce(5s);
  ASSERT_TRUE(generateSelfSignedIdentity(path("o.key"), path("o.crt"), "impostor").ok());
  auto otherPin = spkiPinForCertFile(path("o.crt"));
  auto wrongCtx = makeClientContext(*fromHex(*otherPin));
  ASSERT_TRUE(wrongCtx.ok());
  runClient([&]() -> awaitable<void> {
    auto t = co_await connectTls(io_.get_executor(), "127.0.0.1", port, *wrongCtx, 5s, 1024);
    CO_ASSERT_TRUE(!t.ok());
    EXPECT_EQ(t.error().code, kPinMismatch);
    EXPECT_NE(t.error().message.find("pinned"), std::string::npos);
  });
  EXPECT_EQ(handlerCalls_, 0);
}

TEST_F(TransportTest, Tls12OnlyClientIsRefused) {
  std::uint16_t port = listenReadOnce(5s);
  auto tls12 = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(tls12->native_handle(), TLS1_2_VERSION);
  tls12->set_verify_mode(asio::ssl::verify_none);
  bool refused = false;
  runClient([&]() -> awaitable<void> {
    try {
      co_await rawTls(port, tls12);
    } catch (const boost::system::system_error&) {
      refused = true;
    }
  });
  EXPECT_TRUE(refused);
  EXPECT_EQ(handlerCalls_, 0);
}

TEST_F(TransportTest, SilentClientTimesOut) {
  std::uint16_t port = listenReadOnce(200ms);
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(port);
    CO_ASSERT_TRUE(t.ok());
    // The server gives up first and closes; we only wait for that.
    auto r = co_await (*t)->readFrame(10s);
    EXPECT_EQ(r.ok() ? "<ok>" : r.error().code, reason::kPeerClosed);
  });
  EXPECT_EQ(codeOf(serverRead_), reason::kTimeout);
  EXPECT_EQ(codeOf(serverSecondRead_), reason::kTimeout) << "a timed-out transport stays broken";
}

TEST_F(TransportTest, TricklingClientHitsWholeFrameTimeout) {
  std::uint16_t port = listenReadOnce(300ms);
  runClient([&]() -> awaitable<void> {
    auto s = co_await rawTls(port, clientCtx_);
    co_await writeRaw(*s, std::string("\0\0\0\x40", 4));  // announces 64 bytes
    // One byte every 40 ms: each read makes progress, so only a deadline over the whole frame
    // (not per read) stops it. 64 bytes would take 2.5 s.
    asio::steady_timer pace(io_);
    error_code ec;
    for (int i = 0; i < 64 && !ec; ++i) {
      pace.expires_after(40ms);
      co_await pace.async_wait(use_awaitable);
      co_await asio::async_write(*s, asio::buffer("{", 1), asio::redirect_error(use_awaitable, ec));
    }
    EXPECT_TRUE(ec) << "the server should have cut the connection";
  });
  EXPECT_EQ(codeOf(serverRead_), reason::kTimeout);
}

TEST_F(TransportTest, OversizeHeaderIsRefusedBeforeTheBody) {
  ListenerOptions opts;
  opts.maxFrameBytes = 1024;
  std::uint16_t port = listenReadOnce(10s, opts);
  runClient([&]() -> awaitable<void> {
    auto s = co_await rawTls(port, clientCtx_);
    co_await writeRaw(*s, std::string("\0\0\x04\x01", 4));  // 1025 bytes announced, none sent
    std::array<char, 64> buf{};
    error_code ec;
    co_await s->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    EXPECT_TRUE(ec);  // closed by the server long before its 10 s read timeout
  });
  EXPECT_EQ(codeOf(serverRead_), reason::kFrameTooLarge);
  EXPECT_EQ(codeOf(serverSecondRead_), reason::kFrameTooLarge);
}

// A frame one byte over the limit, body and all: the client must finish sending and read the
// PB-0002 error frame, not a TCP reset (the server drains what the client still sends before it
// closes, so unread bytes never turn its close into an RST).
TEST_F(TransportTest, FrameOfMaxPlusOneGetsTheErrorFrameNotAReset) {
  ListenerOptions opts;  // the default 1 MiB limit, as benchd runs it
  std::uint16_t port = listenWith(
      [&](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
        serverRead_ = co_await t->readFrame(10s);
        if (!serverRead_->ok()) {
          ErrorFrame e{serverRead_->error().code, serverRead_->error().message};
          (void)co_await t->writeFrame(e.toJson(), 5s);
        }
        co_await t->close();
      },
      opts);
  runClient([&]() -> awaitable<void> {
    auto t = co_await connectTls(io_.get_executor(), "127.0.0.1", port, clientCtx_, 5s,
                                 2 * kDefaultMaxFrameBytes);
    CO_ASSERT_TRUE(t.ok());
    json big = typed("hello");
    big["pad"] = "";
    const std::size_t base = big.dump().size();
    big["pad"] = std::string(kDefaultMaxFrameBytes + 1 - base, 'p');
    CO_ASSERT_TRUE(big.dump().size() == kDefaultMaxFrameBytes + 1);
    auto st = co_await (*t)->writeFrame(big, 10s);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    auto f = co_await (*t)->readFrame(10s);
    CO_ASSERT_TRUE(f.ok());
    auto e = ErrorFrame::fromJson(*f);
    CO_ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->code, reason::kFrameTooLarge);
    auto end = co_await (*t)->readFrame(5s);
    EXPECT_EQ(end.ok() ? "<ok>" : end.error().code, reason::kPeerClosed);
    co_await (*t)->close();
  });
  EXPECT_EQ(codeOf(serverRead_), reason::kFrameTooLarge);
}

TEST_F(TransportTest, ZeroLengthFrameIsMalformed) {
  std::uint16_t port = listenReadOnce(10s);
  runClient([&]() -> awaitable<void> {
    auto s = co_await rawTls(port, clientCtx_);
    co_await writeRaw(*s, std::string(4, '\0'));
    std::array<char, 64> buf{};
    error_code ec;
    co_await s->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
  });
  EXPECT_EQ(codeOf(serverRead_), reason::kMalformedFrame);
}

TEST_F(TransportTest, MalformedPayloadsAreRejectedAndStick) {
  std::string deep = R"({"type":"x","a":)" + std::string(40, '[') + std::string(40, ']') + "}";
  for (const std::string& payload :
       {std::string("not json"), std::string("[1,2]"), std::string(R"({"type":""})"),
        std::string(R"({"a":1})"), deep}) {
    serverRead_.reset();
    serverSecondRead_.reset();
    listener_.reset();
    std::uint16_t port = listenReadOnce(10s);
    runClient([&]() -> awaitable<void> {
      auto s = co_await rawTls(port, clientCtx_);
      co_await writeRaw(*s, encodeRawFrame(payload) + encodeFrame(typed("valid")));
      std::array<char, 64> buf{};
      error_code ec;
      co_await s->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    });
    EXPECT_EQ(codeOf(serverRead_), reason::kMalformedFrame) << payload;
    EXPECT_EQ(codeOf(serverSecondRead_), reason::kMalformedFrame) << payload;
  }
}

TEST_F(TransportTest, TruncatedFrameIsPeerClosed) {
  // Both an orderly TLS close and a bare TCP close mid-frame are kPeerClosed: the frame can never
  // complete, and the message says how many bytes arrived.
  for (bool orderly : {true, false}) {
    serverRead_.reset();
    listener_.reset();
    std::uint16_t port = listenReadOnce(10s);
    runClient([&]() -> awaitable<void> {
      auto s = co_await rawTls(port, clientCtx_);
      co_await writeRaw(*s, std::string("\0\0\0\x64", 4) + R"({"type":"hel)");
      error_code ec;
      if (orderly) {
        co_await s->async_shutdown(asio::redirect_error(use_awaitable, ec));
      } else {
        s->lowest_layer().close(ec);
      }
    });
    EXPECT_EQ(codeOf(serverRead_), reason::kPeerClosed) << orderly;
    if (serverRead_ && !serverRead_->ok()) {
      EXPECT_NE(serverRead_->error().message.find("of 100 bytes"), std::string::npos)
          << serverRead_->error().message;
    }
  }
}

TEST_F(TransportTest, OversizeWriteIsRefusedAndTransportStaysUsable) {
  std::optional<Status> bigWrite;
  ListenerOptions opts;
  opts.maxFrameBytes = 256;
  std::uint16_t port = listenWith(
      [&](std::unique_ptr<FrameTransport> t) -> awaitable<void> {
        json big = typed("x");
        big["pad"] = std::string(300, 'p');
        bigWrite = co_await t->writeFrame(big, 5s);
        (void)co_await t->writeFrame(typed("small"), 5s);
        co_await t->close();
      },
      opts);
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(port);
    CO_ASSERT_TRUE(t.ok());
    auto f = co_await (*t)->readFrame(5s);
    CO_ASSERT_TRUE(f.ok());
    EXPECT_EQ(messageType(*f), "small");
    co_await (*t)->close();
  });
  ASSERT_TRUE(bigWrite.has_value());
  ASSERT_FALSE(bigWrite->ok());
  EXPECT_EQ(bigWrite->error().code, reason::kFrameTooLarge);
}

TEST_F(TransportTest, ClientReportsRefusedConnection) {
  // A port that was just free: bind, read the port, close.
  asio::ip::tcp::acceptor probe(io_,
                                asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(port);
    CO_ASSERT_TRUE(!t.ok());
    EXPECT_EQ(t.error().code, "connect_failed");
  });
}

TEST_F(TransportTest, ClientTimesOutOnServerThatNeverHandshakes) {
  // Listening socket that never accepts: TCP connects (backlog), TLS never answers.
  asio::ip::tcp::acceptor mute(io_,
                               asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::uint16_t port = mute.local_endpoint().port();
  runClient([&]() -> awaitable<void> {
    auto t = co_await connectTls(io_.get_executor(), "127.0.0.1", port, clientCtx_, 200ms, 1024);
    CO_ASSERT_TRUE(!t.ok());
    EXPECT_EQ(t.error().code, reason::kTimeout);
  });
}

TEST_F(TransportTest, ClientRejectsBadBindAddress) {
  runClient([&]() -> awaitable<void> {
    auto t = co_await connect(1, "not-an-address");
    CO_ASSERT_TRUE(!t.ok());
    EXPECT_EQ(t.error().code, "connect_failed");
  });
}

}  // namespace
}  // namespace pb::test
