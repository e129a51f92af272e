// SPDX-License-Identifier: Apache-2.0
// Shared fixture for the net tests: a temp dir with a fresh identity, server and client contexts,
// an io_context run inside the test, and raw TLS/TCP clients that can misbehave on purpose.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "net/tls_frame_transport.hpp"

// ASSERT_* returns from the enclosing function, which a coroutine cannot do.
#define CO_ASSERT_TRUE(cond)                            \
  do {                                                  \
    if (!(cond)) {                                      \
      ADD_FAILURE() << "CO_ASSERT_TRUE failed: " #cond; \
      co_return;                                        \
    }                                                   \
  } while (false)

namespace pb::test {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// {"type": type}. GCC 12 miscompiles braced json initialisers inside co_await expressions
// ("array used as initializer"), so coroutines build messages through this function.
nlohmann::json typed(const std::string& type);

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs `body` on io_ until it finishes (bounded by a 30 s guard, a hang is a failure), then
  // calls `afterBody` (typically listener.stop()) and drains the remaining work.
  void run(std::function<asio::awaitable<void>()> body, std::function<void()> afterBody = {});

  // TCP connect (optionally from `bindAddress`), then a TLS 1.3 client handshake with `ctx`.
  asio::awaitable<std::unique_ptr<TlsStream>> rawTls(std::uint16_t port,
                                                     std::shared_ptr<asio::ssl::context> ctx,
                                                     std::string bindAddress = "");
  // TCP connect (optionally from `bindAddress`) and nothing more.
  asio::awaitable<asio::ip::tcp::socket> rawTcp(std::uint16_t port, std::string bindAddress = "");

  std::string dir_;
  asio::io_context io_;
  std::shared_ptr<asio::ssl::context> serverCtx_;
  std::shared_ptr<asio::ssl::context> clientCtx_;
  std::string pinHex_;
};

}  // namespace pb::test
