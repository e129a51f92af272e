// SPDX-License-Identifier: Apache-2.0
// Accepts agent connections over TLS 1.3 and hands each admitted one, as a FrameTransport, to a
// handler coroutine running on its own strand.
//
// Admission happens after the handshake so the refusal can be explained in-band: over maxSessions
// (Refusal::TooManySessions), over maxSessionsPerSource per remote IP (TooManyFromSource) or after
// stop() (ShuttingDown) the client gets the one frame ListenerOptions::refusalFrame makes of it;
// then the connection closes. The driver knows why it refuses, not how the product words it: the
// session layer supplies the frame (session/refusal_frame.hpp, with its reason codes).
// Handshakes are bounded too: the first byte of the ClientHello must arrive within
// firstByteTimeout (far shorter than an io timeout, so idle connects are shed fast), the handshake
// must finish within handshakeTimeout, at most maxHandshakes may be in progress at once and at
// most maxSessionsPerSource from one address (more are closed at once, before any TLS work: a
// flood of half-open connects from one address cannot take every handshake slot).
//
// Reserved capacity: `reserved` of maxSessions (and of maxHandshakes) are usable only by sources
// for which isReservedSource() is true (benchd: the configured slot sources), so connections
// from unmapped addresses cannot starve the bench's own slots.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "net/frame_transport.hpp"
#include "protocol/frame.hpp"

namespace pb {

enum class Refusal { ShuttingDown, TooManySessions, TooManyFromSource };

struct ListenerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal to bind
  std::uint16_t port = 0;             // 0 = any free port (start() returns it)
  std::uint32_t maxFrameBytes = kDefaultMaxFrameBytes;
  std::chrono::milliseconds handshakeTimeout{5000};
  std::size_t maxSessions = 64;
  std::size_t maxSessionsPerSource = 1;
  std::size_t maxHandshakes = 128;
  // From accept to the ClientHello's first byte.
  std::chrono::milliseconds firstByteTimeout{2000};
  // Sessions and handshakes kept for sources isReservedSource() accepts (at most maxSessions /
  // maxHandshakes; 0 = none).
  std::size_t reserved = 0;
  std::function<bool(const std::string& source)> isReservedSource;
  // Bounds the write of a refusal error frame and every transport's TLS shutdown (close()).
  std::chrono::milliseconds closeTimeout{1000};
  // The frame sent before closing a refused connection (`detail` is a human explanation with the
  // limit in it). Unset: the connection closes without one.
  std::function<nlohmann::json(Refusal, const std::string& detail)> refusalFrame;
};

// @par Thread Safety
// start() before the io_context runs (or from its thread); stop() and activeSessions() from any
// thread. The listener may be destroyed while connections are still running (they keep the
// shared state alive and finish on their own), but must be destroyed before its io_context.
//
// The handler runs on the connection's own strand. An exception escaping it is a programming
// error: the session's counts are released, and the exception leaves io_context::run().
class TlsListener {
 public:
  using Handler = std::function<boost::asio::awaitable<void>(std::unique_ptr<FrameTransport>)>;

  TlsListener(boost::asio::any_io_executor executor, ListenerOptions options,
              std::shared_ptr<boost::asio::ssl::context> context, Handler handler);
  ~TlsListener();
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;

  // Binds and listens; returns the bound port. Fails if already started or the bind fails.
  Result<std::uint16_t> start();
  // Stops accepting. Handshakes in progress end with a Refusal::ShuttingDown frame; handlers that
  // are already running are left to finish (each of their operations has its own timeout).
  void stop();

  // Connections whose handler is running (refused connections are never counted).
  [[nodiscard]] std::size_t activeSessions() const;
  // Handshakes in progress.
  [[nodiscard]] std::size_t pendingHandshakes() const;

  struct State;  // shared with the accept loop and every connection coroutine

 private:
  std::shared_ptr<State> state_;
};

}  // namespace pb
