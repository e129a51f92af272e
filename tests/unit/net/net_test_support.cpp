// SPDX-License-Identifier: Apache-2.0
#include "net_test_support.hpp"

#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdlib.h>

#include "core/bytes.hpp"
#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"

namespace pb::test {

nlohmann::json typed(const std::string& type) {
  return nlohmann::json{{"type", type}};
}

void NetTest::SetUp() {
  char tmpl[] = "/tmp/pb-net-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  ASSERT_TRUE(generateSelfSignedIdentity(path("tls.key"), path("tls.crt"), "provbench-test").ok());
  auto server = makeServerContext(path("tls.crt"), path("tls.key"));
  ASSERT_TRUE(server.ok()) << server.error().message;
  serverCtx_ = *server;
  auto pin = spkiPinForCertFile(path("tls.crt"));
  ASSERT_TRUE(pin.ok()) << pin.error().message;
  pinHex_ = *pin;
  auto client = makeClientContext(*fromHex(pinHex_));
  ASSERT_TRUE(client.ok()) << client.error().message;
  clientCtx_ = *client;
}

void NetTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void NetTest::run(std::function<asio::awaitable<void>()> body, std::function<void()> afterBody) {
  io_.restart();  // a test may call run() more than once
  bool done = false;
  std::exception_ptr failure;
  asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    if (io_.run_one_until(deadline) == 0 && io_.stopped()) break;
  }
  if (afterBody) afterBody();
  io_.restart();
  io_.run_until(deadline);
  if (failure) std::rethrow_exception(failure);
  ASSERT_TRUE(done) << "test body did not finish within 30 s";
  ASSERT_TRUE(io_.stopped()) << "work left over after the test body (hang)";
}

asio::awaitable<std::unique_ptr<TlsStream>> NetTest::rawTls(std::uint16_t port,
                                                            std::shared_ptr<asio::ssl::context> ctx,
                                                            std::string bindAddress) {
  auto stream = std::make_unique<TlsStream>(io_.get_executor(), *ctx);
  auto& sock = stream->lowest_layer();
  sock.open(asio::ip::tcp::v4());
  if (!bindAddress.empty()) {
    sock.bind(asio::ip::tcp::endpoint(asio::ip::make_address(bindAddress), 0));
  }
  co_await sock.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                              asio::use_awaitable);
  co_await stream->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_return stream;
}

asio::awaitable<asio::ip::tcp::socket> NetTest::rawTcp(std::uint16_t port,
                                                       std::string bindAddress) {
  asio::ip::tcp::socket sock(io_.get_executor());
  if (!bindAddress.empty()) {
    sock.open(asio::ip::tcp::v4());
    sock.bind(asio::ip::tcp::endpoint(asio::ip::make_address(bindAddress), 0));
  }
  co_await sock.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                              asio::use_awaitable);
  co_return sock;
}

}  // namespace pb::test
