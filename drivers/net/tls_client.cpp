// SPDX-License-Identifier: Apache-2.0
#include "net/tls_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/ssl.h>

#include "core/reasons.hpp"
#include "net/deadline.hpp"
#include "net/tls_context.hpp"
#include "net/tls_frame_transport.hpp"

namespace pb {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

asio::awaitable<Result<std::unique_ptr<FrameTransport>>> connectTls(
    asio::any_io_executor executor, std::string host, std::uint16_t port,
    std::shared_ptr<asio::ssl::context> clientCtx, std::chrono::milliseconds timeout,
    std::uint32_t maxFrameBytes, std::string bindAddress) {
  const std::string where = host + ":" + std::to_string(port);
  auto timedOut = [&] {
    return makeError(std::string(reason::kTimeout), "connecting to " + where + " timed out");
  };

  std::optional<asio::ip::address> local;
  if (!bindAddress.empty()) {
    error_code ec;
    local = asio::ip::make_address(bindAddress, ec);
    if (ec) co_return makeError("connect_failed", "invalid bind address '" + bindAddress + "'");
  }

  // Everything below shares one deadline; whichever object is busy when it fires is cancelled.
  tcp::resolver resolver(executor);
  TlsStream stream(executor, *clientCtx);
  Deadline deadline(executor, timeout, [&] {
    resolver.cancel();
    error_code ignored;
    stream.lowest_layer().cancel(ignored);
  });

  error_code ec;
  auto endpoints =
      co_await resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (deadline.expired()) co_return timedOut();
  if (ec || endpoints.empty()) {
    co_return makeError("resolve_failed", "cannot resolve " + host + ": " + ec.message());
  }

  ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    const tcp::endpoint& ep = entry.endpoint();
    auto& sock = stream.lowest_layer();
    error_code ignored;
    sock.close(ignored);
    sock.open(ep.protocol(), ec);
    if (ec) continue;
    if (local) {
      if (local->is_v4() != ep.address().is_v4()) {
        ec = asio::error::address_family_not_supported;
        continue;
      }
      sock.bind(tcp::endpoint(*local, 0), ec);
      if (ec) continue;
    }
    co_await sock.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec || deadline.expired()) break;
  }
  if (deadline.expired()) co_return timedOut();
  if (ec) co_return makeError("connect_failed", "cannot connect to " + where + ": " + ec.message());

  co_await stream.async_handshake(asio::ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (deadline.expired()) co_return timedOut();
  if (ec) {
    if (SSL_get_verify_result(stream.native_handle()) == kPinMismatchVerifyError) {
      co_return makeError(std::string(kPinMismatch),
                          "the appliance at " + where +
                              " presented a key that does not match the pinned key; check the "
                              "pin file matches this appliance");
    }
    co_return makeError("handshake_failed",
                        "TLS handshake with " + where + " failed: " + ec.message());
  }
  deadline.disarm();
  co_return std::unique_ptr<FrameTransport>(
      std::make_unique<TlsFrameTransport>(std::move(stream), maxFrameBytes));
}

}  // namespace pb
