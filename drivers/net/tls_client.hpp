// SPDX-License-Identifier: Apache-2.0
// The agent side of the connection: resolve, connect, TLS 1.3 handshake with the pinned context.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/result.hpp"
#include "net/frame_transport.hpp"

namespace pb {

// `timeout` covers resolve + connect + handshake. `bindAddress` (optional) fixes the local source
// address, e.g. 127.0.1.3 so simulated devices on loopback look like distinct sources.
// Error codes: kPinMismatch ("pin_mismatch") when the server key is not the pinned one,
// reason::kTimeout, "resolve_failed", "connect_failed", "handshake_failed" (includes a server
// that refuses TLS 1.3).
boost::asio::awaitable<Result<std::unique_ptr<FrameTransport>>> connectTls(
    boost::asio::any_io_executor executor, std::string host, std::uint16_t port,
    std::shared_ptr<boost::asio::ssl::context> clientCtx, std::chrono::milliseconds timeout,
    std::uint32_t maxFrameBytes, std::string bindAddress = "");

}  // namespace pb
