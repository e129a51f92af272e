// SPDX-License-Identifier: Apache-2.0
#include "kiosk/kiosk_server.hpp"

#include <deque>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "kiosk/kiosk_http.hpp"

namespace pb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct WsClient {
  WsClient(beast::tcp_stream stream, const asio::any_io_executor& ex)
      : ws(std::move(stream)), wake(ex) {}
  websocket::stream<beast::tcp_stream> ws;
  std::deque<std::shared_ptr<const std::string>> queue;
  asio::steady_timer wake;
  bool closing = false;

  void close() {
    closing = true;
    wake.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
};

struct KioskServer::Impl : std::enable_shared_from_this<KioskServer::Impl> {
  Impl(asio::any_io_executor ex, KioskServerOptions o, SnapshotFn s)
      : executor(std::move(ex)),
        options(std::move(o)),
        snapshot(std::move(s)),
        acceptor(executor) {}

  asio::any_io_executor executor;
  KioskServerOptions options;
  SnapshotFn snapshot;
  tcp::acceptor acceptor;
  std::optional<KioskAccess> access;
  std::size_t active = 0;
  std::map<std::string, std::size_t> perSource;  // open connections by peer address
  bool stopped = false;
  std::set<std::shared_ptr<WsClient>> clients;
  std::set<tcp::socket*> httpSockets;  // for stop(); entries live in their coroutine frames

  void log(LogLevel level, std::string_view event, nlohmann::json fields = {}) {
    if (options.logger != nullptr) options.logger->log(level, event, std::move(fields));
  }

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopped || ec == asio::error::operation_aborted) co_return;
        log(LogLevel::Warn, "kiosk.accept_failed", {{"error", ec.message()}});
        continue;
      }
      if (active >= options.maxConnections) {
        // Over the cap: closed at once, before a byte is read.
        log(LogLevel::Debug, "kiosk.connection_refused", {{"reason", "max_connections"}});
        sock.close(ec);
        continue;
      }
      // One address cannot hold every connection: idle sockets from one peer would lock the
      // kiosk browser out for a whole idle timeout.
      auto ep = sock.remote_endpoint(ec);
      if (ec) continue;
      std::string source = ep.address().to_string();
      if (perSource[source] >= options.maxConnectionsPerSource) {
        log(LogLevel::Debug, "kiosk.connection_refused",
            {{"reason", "max_connections_per_source"}});
        sock.close(ec);
        continue;
      }
      ++perSource[source];
      ++active;
      asio::co_spawn(executor, serve(std::move(sock), std::move(source)), asio::detached);
    }
  }

  asio::awaitable<void> writeAndClose(beast::tcp_stream& stream, KioskResponse res) {
    boost::system::error_code ec;
    res.keep_alive(false);
    stream.expires_after(options.idleTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> serve(tcp::socket sock, std::string source) {
    auto self = shared_from_this();
    struct Done {
      Impl& impl;
      const std::string& source;
      ~Done() {
        --impl.active;
        auto it = impl.perSource.find(source);
        if (it != impl.perSource.end() && --it->second == 0) impl.perSource.erase(it);
      }
    } done{*this, source};
    beast::tcp_stream stream(std::move(sock));
    httpSockets.insert(&stream.socket());
    struct Untrack {
      Impl& impl;
      tcp::socket* s;
      ~Untrack() { impl.httpSockets.erase(s); }
    } untrack{*this, &stream.socket()};
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kKioskMaxHeaderBytes);
      parser.body_limit(kKioskMaxBodyBytes);
      boost::system::error_code ec;
      stream.expires_after(options.idleTimeout);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::header_limit || ec == http::error::body_limit) {
        KioskResponse res{ec == http::error::header_limit
                              ? http::status::request_header_fields_too_large
                              : http::status::payload_too_large,
                          11};
        addKioskSecurityHeaders(res);
        res.prepare_payload();
        co_await writeAndClose(stream, std::move(res));
        co_return;
      }
      if (ec) co_return;  // closed, idle or malformed: nothing worth answering
      KioskRequest req = parser.release();
      if (websocket::is_upgrade(req)) {
        if (auto refused = checkKioskUpgrade(req, *access)) {
          log(LogLevel::Info, "kiosk.websocket_refused",
              {{"status", static_cast<int>(refused->result())}});
          co_await writeAndClose(stream, std::move(*refused));
          co_return;
        }
        httpSockets.erase(&stream.socket());
        co_await runWebSocket(std::move(stream), std::move(req));
        co_return;
      }
      KioskResponse res = handleKioskRequest(req, *access);
      const bool keepAlive = res.keep_alive();
      stream.expires_after(options.idleTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keepAlive) {
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        co_return;
      }
    }
  }

  asio::awaitable<void> runWebSocket(beast::tcp_stream stream, KioskRequest req) {
    auto self = shared_from_this();
    stream.expires_never();  // the websocket's own timeouts take over
    auto c = std::make_shared<WsClient>(std::move(stream), executor);
    c->ws.read_message_max(options.maxMessageBytes);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = options.idleTimeout;
    t.idle_timeout = options.idleTimeout;
    t.keep_alive_pings = true;
    c->ws.set_option(t);
    c->ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::cache_control, "no-store");
      res.set("X-Content-Type-Options", "nosniff");
    }));
    boost::system::error_code ec;
    co_await c->ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopped) co_return;
    // The snapshot and the registration happen with no suspension in between, so no event can
    // fall between the snapshot and the first queued event.
    auto snap = snapshot();
    if (!snap.ok()) {
      log(LogLevel::Error, "kiosk.snapshot_failed", {{"error", snap.error().message}});
      co_await c->ws.async_close(websocket::close_code::try_again_later,
                                 asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    c->queue.push_back(std::make_shared<const std::string>(
        snap->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    clients.insert(c);
    log(LogLevel::Debug, "kiosk.websocket_open", {{"clients", clients.size()}});
    asio::co_spawn(executor, writer(c), asio::detached);

    beast::flat_buffer buffer;
    for (;;) {
      co_await c->ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.consume(buffer.size());  // read-only kiosk: what a browser says changes nothing
    }
    if (ec == websocket::error::message_too_big) {
      log(LogLevel::Info, "kiosk.websocket_closed", {{"reason", "message_too_big"}});
    }
    clients.erase(c);
    c->close();
  }

  asio::awaitable<void> writer(std::shared_ptr<WsClient> c) {
    auto self = shared_from_this();
    while (!c->closing) {
      if (c->queue.empty()) {
        boost::system::error_code ec;
        c->wake.expires_at(asio::steady_timer::time_point::max());
        co_await c->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto msg = c->queue.front();
      boost::system::error_code ec;
      co_await c->ws.async_write(asio::buffer(*msg), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        clients.erase(c);
        c->close();
        co_return;
      }
      c->queue.pop_front();
    }
  }

  void broadcast(const nlohmann::json& message) {
    auto text = std::make_shared<const std::string>(
        message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::vector<std::shared_ptr<WsClient>> slow;
    for (const auto& c : clients) {
      if (c->queue.size() >= options.maxQueuedMessages) {
        slow.push_back(c);
        continue;
      }
      c->queue.push_back(text);
      c->wake.cancel();
    }
    for (const auto& c : slow) {
      log(LogLevel::Warn, "kiosk.websocket_dropped", {{"reason", "too_slow"}});
      clients.erase(c);
      c->close();
    }
  }
};

KioskServer::KioskServer(asio::any_io_executor executor, KioskServerOptions options,
                         SnapshotFn snapshot)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), std::move(snapshot))) {}

KioskServer::~KioskServer() {
  stop();
}

Result<std::uint16_t> KioskServer::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return makeError("kiosk", "bad address " + impl_->options.address);
  tcp::endpoint ep(addr, impl_->options.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return makeError("kiosk", "cannot listen on " + impl_->options.address + ":" +
                                  std::to_string(impl_->options.port) + ": " + ec.message());
  }
  const std::uint16_t port = a.local_endpoint().port();
  impl_->access.emplace(impl_->options.address, port, impl_->options.allowedOrigins);
  asio::co_spawn(impl_->executor, impl_->acceptLoop(), asio::detached);
  return port;
}

void KioskServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  auto clients = impl_->clients;
  impl_->clients.clear();
  for (const auto& c : clients) c->close();
  for (auto* s : impl_->httpSockets) s->close(ec);
}

void KioskServer::broadcast(const nlohmann::json& message) {
  impl_->broadcast(message);
}

std::size_t KioskServer::connections() const {
  return impl_->active;
}
std::size_t KioskServer::webSockets() const {
  return impl_->clients.size();
}

}  // namespace pb
