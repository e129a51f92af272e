// SPDX-License-Identifier: Apache-2.0
// FrameTransport over TLS 1.3 on TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "net/frame_transport.hpp"

namespace pb {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

inline constexpr std::chrono::milliseconds kDefaultCloseTimeout{1000};

// Takes a stream whose handshake is complete.
//
// Reads grow the body buffer as bytes arrive (at most 64 KiB ahead), so a peer that announces a
// large frame and sends nothing costs no memory. A timeout, a peer error or a bad frame leaves the
// stream mid-record or mid-frame, so the transport is marked broken and later calls fail fast
// with the first error's code.
class TlsFrameTransport final : public FrameTransport {
 public:
  TlsFrameTransport(TlsStream stream, std::uint32_t maxFrameBytes,
                    std::chrono::milliseconds closeTimeout = kDefaultCloseTimeout);
  ~TlsFrameTransport() override;

  boost::asio::awaitable<Result<nlohmann::json>> readFrame(
      std::chrono::milliseconds timeout) override;
  boost::asio::awaitable<Status> writeFrame(const nlohmann::json& msg,
                                            std::chrono::milliseconds timeout) override;
  boost::asio::awaitable<void> close() override;
  std::string peerAddress() const override { return peer_; }

 private:
  Error fail(Error e);
  Error failRead(Error e);
  void cancelSocket();
  boost::asio::awaitable<void> drainAfterBadFrame();

  TlsStream stream_;
  std::uint32_t maxFrame_;
  std::chrono::milliseconds closeTimeout_;
  std::string peer_;
  std::optional<Error> broken_;      // the connection failed: no more reads or writes
  std::optional<Error> readBroken_;  // no more reads (a bad frame or a failed connection)
  bool closed_ = false;
  bool peerSentCloseNotify_ = false;
};

// "a.b.c.d" for IPv4 and IPv4-mapped IPv6 peers, the IPv6 text otherwise.
std::string addressText(const boost::asio::ip::address& a);

}  // namespace pb
