// SPDX-License-Identifier: Apache-2.0
// The seam between a session and the wire: one JSON frame in, one JSON frame out. TLS over TCP
// implements it here; USB bulk will implement it later. Framing and bounds are the same for every
// implementation (protocol/frame.hpp).
#pragma once

#include <chrono>
#include <string>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

// @par Thread Safety
// One readFrame and one writeFrame may be outstanding at a time (full duplex), never two of the
// same kind; call from the transport's executor (the session strand). After any error other than
// a rejected outgoing frame the transport is broken and every later call fails.
class FrameTransport {
 public:
  virtual ~FrameTransport() = default;
  // Reads one frame; timeout covers the whole frame (slowloris-safe). Error codes: kTimeout,
  // kPeerClosed, kMalformedFrame, kFrameTooLarge.
  virtual boost::asio::awaitable<Result<nlohmann::json>> readFrame(
      std::chrono::milliseconds timeout) = 0;
  virtual boost::asio::awaitable<Status> writeFrame(const nlohmann::json& msg,
                                                    std::chrono::milliseconds timeout) = 0;
  virtual boost::asio::awaitable<void> close() = 0;  // graceful TLS shutdown, bounded time
  virtual std::string peerAddress() const = 0;       // "127.0.0.1"
};

}  // namespace pb
