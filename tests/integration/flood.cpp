// SPDX-License-Identifier: Apache-2.0
#include "flood.hpp"

#include <array>
#include <memory>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pb::test {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct Flood::Impl {
  explicit Impl(FloodOptions o) : options(std::move(o)), tls(asio::ssl::context::tls_client) {
    // The flood never checks the server: it only wants to hold a connection.
    tls.set_verify_mode(asio::ssl::verify_none);
    tls.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  }

  FloodOptions options;
  asio::ssl::context tls;  // outlives io: the streams in the coroutine frames use it
  asio::io_context io{1};
  std::thread thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::condition_variable cv;
  FloodStats stats;

  void bump(long FloodStats::*field) {
    {
      std::lock_guard lock(mu);
      ++(stats.*field);
    }
    cv.notify_all();
  }

  asio::awaitable<void> one(std::string source) {
    const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), options.port);
    while (!stopping) {
      error_code ec;
      tcp::socket sock(io);
      sock.open(tcp::v4(), ec);
      if (!ec) sock.bind(tcp::endpoint(asio::ip::make_address(source), 0), ec);
      if (!ec) co_await sock.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        bump(&FloodStats::connects);
        std::array<char, 256> buf{};
        if (options.kind == FloodKind::BareTcp) {
          // Never a byte: wait for the server to give up on us.
          co_await sock.async_read_some(asio::buffer(buf),
                                        asio::redirect_error(asio::use_awaitable, ec));
        } else {
          asio::ssl::stream<tcp::socket> stream(std::move(sock), tls);
          co_await stream.async_handshake(asio::ssl::stream_base::client,
                                          asio::redirect_error(asio::use_awaitable, ec));
          if (!ec) {
            bump(&FloodStats::tlsEstablished);
            // Never a hello: read (a refusal frame, or nothing) until the server closes.
            while (!ec) {
              co_await stream.async_read_some(asio::buffer(buf),
                                              asio::redirect_error(asio::use_awaitable, ec));
            }
          }
        }
        if (!stopping) bump(&FloodStats::droppedByServer);
      }
      asio::steady_timer pause(io, options.reconnectPause);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

Flood::Flood(FloodOptions options) : impl_(new Impl(std::move(options))) {}

Flood::~Flood() {
  stop();
  delete impl_;
}

void Flood::start() {
  for (int i = 0; i < impl_->options.connections; ++i) {
    const auto& srcs = impl_->options.sources;
    std::string source =
        srcs.empty() ? "127.0.0.1" : srcs[static_cast<std::size_t>(i) % srcs.size()];
    asio::co_spawn(impl_->io, impl_->one(std::move(source)), asio::detached);
  }
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void Flood::stop() {
  impl_->stopping = true;
  impl_->io.stop();  // the connections close when the io_context destroys their coroutines
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Flood::waitConnects(long connects, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->stats.connects >= connects; });
}

bool Flood::waitDropped(long dropped, std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->stats.droppedByServer >= dropped; });
}

FloodStats Flood::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace pb::test
