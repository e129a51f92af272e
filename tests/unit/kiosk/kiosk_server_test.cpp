// SPDX-License-Identifier: Apache-2.0
// The real server on an ephemeral loopback port: HTTP over a socket, the WebSocket feed, Origin
// rejection and the limits. The server runs on its own io_context thread; the test talks to it
// with blocking Beast clients.
#include "kiosk/kiosk_server.hpp"

#include <future>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace pb {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class KioskServerTest : public ::testing::Test {
 protected:
  void startServer(KioskServerOptions o = {}) {
    o.address = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<
        KioskServer>(io_.get_executor(), o, [this]() -> Result<nlohmann::json> {
      ++snapshots_;
      return nlohmann::json{{"type", "snapshot"}, {"seq", 0}, {"tiles", nlohmann::json::array()}};
    });
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  template <class F>
  auto onServer(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    asio::post(io_, [&task] { task(); });
    return fut.get();
  }
  void TearDown() override {
    if (server_) onServer([this] { server_->stop(); });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string origin() const { return "http://" + host(); }

  tcp::socket connect() {
    tcp::socket s(client_);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    return s;
  }
  http::response<http::string_body> request(http::verb verb, const std::string& target,
                                            const std::string& hostHeader = "") {
    tcp::socket s = connect();
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, hostHeader.empty() ? host() : hostHeader);
    http::write(s, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.skip(verb == http::verb::head);
    http::read(s, buf, parser);
    return parser.release();
  }
  // A WebSocket client; throws on a refused handshake.
  std::unique_ptr<websocket::stream<tcp::socket>> openWs(const std::string& originHeader) {
    auto ws = std::make_unique<websocket::stream<tcp::socket>>(connect());
    ws->set_option(websocket::stream_base::decorator([originHeader](websocket::request_type& r) {
      if (!originHeader.empty()) r.set(http::field::origin, originHeader);
    }));
    ws->handshake(host(), "/ws");
    return ws;
  }
  static nlohmann::json readJson(websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buf;
    ws.read(buf);
    return nlohmann::json::parse(beast::buffers_to_string(buf.data()));
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> workGuard_{io_.get_executor()};
  asio::io_context client_;
  std::unique_ptr<KioskServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  int snapshots_ = 0;
};

TEST_F(KioskServerTest, ServesThePageWithHeadersOverASocket) {
  startServer();
  auto res = request(http::verb::get, "/");
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_NE(res.body().find("kiosk.js"), std::string::npos);
  EXPECT_FALSE(res["Content-Security-Policy"].empty());
  EXPECT_EQ(request(http::verb::get, "/nope").result(), http::status::not_found);
  EXPECT_EQ(request(http::verb::post, "/").result(), http::status::method_not_allowed);
  EXPECT_EQ(request(http::verb::head, "/kiosk.css").result(), http::status::ok);
  EXPECT_EQ(request(http::verb::get, "/", "evil.example:80").result(), http::status::forbidden);
}

TEST_F(KioskServerTest, WebSocketGetsSnapshotThenBroadcasts) {
  startServer();
  auto ws = openWs(origin());
  auto snap = readJson(*ws);
  EXPECT_EQ(snap["type"], "snapshot");
  onServer([this] { server_->broadcast({{"type", "tile"}, {"seq", 1}}); });
  auto ev = readJson(*ws);
  EXPECT_EQ(ev["type"], "tile");
  EXPECT_EQ(ev["seq"], 1);
  EXPECT_EQ(onServer([this] { return server_->webSockets(); }), 1u);
  // A small message from the browser is read and changes nothing.
  ws->write(asio::buffer(std::string("hello")));
  onServer([this] { server_->broadcast({{"type", "tile"}, {"seq", 2}}); });
  EXPECT_EQ(readJson(*ws)["seq"], 2);
}

TEST_F(KioskServerTest, ForeignOriginIsRefused) {
  startServer();
  for (const std::string& o : {std::string("http://evil.example"), std::string(""),
                               "http://127.0.0.1:" + std::to_string(port_ + 1)}) {
    SCOPED_TRACE(o);
    try {
      openWs(o);
      ADD_FAILURE() << "handshake accepted";
    } catch (const boost::system::system_error& e) {
      EXPECT_EQ(e.code(), websocket::error::upgrade_declined);
    }
  }
  EXPECT_EQ(snapshots_, 0);
}

TEST_F(KioskServerTest, OversizeMessageClosesTheSocket) {
  KioskServerOptions o;
  o.maxMessageBytes = 128;
  startServer(o);
  auto ws = openWs(origin());
  (void)readJson(*ws);
  ws->write(asio::buffer(std::string(129, 'x')));
  beast::flat_buffer buf;
  boost::system::error_code ec;
  ws->read(buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(ws->reason().code, websocket::close_code::too_big);
}

TEST_F(KioskServerTest, ConnectionCap) {
  KioskServerOptions o;
  o.maxConnections = 2;
  startServer(o);
  auto a = openWs(origin());
  auto b = openWs(origin());
  (void)readJson(*a);
  (void)readJson(*b);
  // The third is closed before a byte is read.
  EXPECT_THROW(openWs(origin()), boost::system::system_error);
  // A closed one frees its place.
  a->close(websocket::close_code::normal);
  beast::flat_buffer buf;
  boost::system::error_code ec;
  a->read(buf, ec);
  for (int i = 0; i < 100000 && onServer([this] { return server_->connections(); }) >= 2; ++i) {
    // The server notices the close on its own thread; wait for it to be counted (no sleep: each
    // round trip through onServer runs after the server's pending handlers).
  }
  auto c = openWs(origin());
  EXPECT_EQ(readJson(*c)["type"], "snapshot");
}

// Idle connections from one address take at most its share; another address still gets in.
TEST_F(KioskServerTest, ConnectionCapPerSource) {
  KioskServerOptions o;
  o.maxConnections = 16;
  o.maxConnectionsPerSource = 2;
  startServer(o);
  auto from = [this](const char* address) {
    tcp::socket s(client_);
    s.open(tcp::v4());
    s.bind({asio::ip::make_address(address), 0});
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    return s;
  };
  tcp::socket a = from("127.0.0.2");
  tcp::socket b = from("127.0.0.2");
  for (int i = 0; i < 100000 && onServer([this] { return server_->connections(); }) < 2; ++i) {
    // Wait until the server has counted both (each round trip runs after its pending handlers).
  }
  ASSERT_EQ(onServer([this] { return server_->connections(); }), 2U);
  // The third from the same address is closed before a byte is read.
  tcp::socket c = from("127.0.0.2");
  char byte = 0;
  boost::system::error_code ec;
  c.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  // The kiosk's own browser, elsewhere, is served.
  tcp::socket d = from("127.0.0.1");
  http::request<http::empty_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, host());
  http::write(d, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(d, buf, res);
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(onServer([this] { return server_->connections(); }), 3U);
}

TEST_F(KioskServerTest, OversizeRequestHeaderIs431) {
  startServer();
  tcp::socket s = connect();
  http::request<http::empty_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, host());
  req.set("X-Padding", std::string(16 * 1024, 'p'));
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  EXPECT_EQ(res.result(), http::status::request_header_fields_too_large);
}

TEST_F(KioskServerTest, RequestBodyIsRefused) {
  startServer();
  tcp::socket s = connect();
  http::request<http::string_body> req{http::verb::get, "/", 11};
  req.set(http::field::host, host());
  req.body() = std::string(4096, 'b');
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  EXPECT_EQ(res.result(), http::status::payload_too_large);
}

TEST_F(KioskServerTest, IdleHttpConnectionIsClosed) {
  KioskServerOptions o;
  o.idleTimeout = std::chrono::milliseconds(200);
  startServer(o);
  tcp::socket s = connect();
  char c = 0;
  boost::system::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);  // returns once the server gives up on the silent peer
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(KioskServerTest, BusyPortIsAnError) {
  startServer();
  asio::io_context other;
  KioskServerOptions o;
  o.port = port_;
  o.address = "127.0.0.1";
  KioskServer second(other.get_executor(), o,
                     [] { return Result<nlohmann::json>(nlohmann::json{}); });
  // SO_REUSEADDR does not allow two listeners on one port.
  EXPECT_FALSE(second.start().ok());
}

}  // namespace
}  // namespace pb
