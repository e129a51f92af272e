// SPDX-License-Identifier: Apache-2.0
#include "net/tls_listener.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/deadline.hpp"
#include "net/tls_frame_transport.hpp"

namespace pb {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct TlsListener::State {
  State(asio::any_io_executor ex, ListenerOptions opts, std::shared_ptr<asio::ssl::context> ctx,
        Handler h)
      : executor(std::move(ex)),
        strand(asio::make_strand(executor)),
        acceptor(strand),
        options(std::move(opts)),
        context(std::move(ctx)),
        handler(std::move(h)) {}

  asio::any_io_executor executor;
  asio::strand<asio::any_io_executor> strand;  // the acceptor's
  tcp::acceptor acceptor;
  const ListenerOptions options;
  const std::shared_ptr<asio::ssl::context> context;
  const Handler handler;

  mutable std::mutex mu;  // guards everything below
  bool started = false;
  bool stopped = false;
  std::size_t handshakes = 0;
  std::size_t sessions = 0;
  std::map<std::string, std::size_t> perSource;
  std::map<std::string, std::size_t> handshakesPerSource;
};

namespace {

using State = TlsListener::State;

// Holds one admitted session's place in the counts and gives it back however the handler ends.
class SessionSlot {
 public:
  SessionSlot(std::shared_ptr<State> state, std::string source)
      : state_(std::move(state)), source_(std::move(source)) {}
  ~SessionSlot() {
    std::lock_guard lock(state_->mu);
    --state_->sessions;
    auto it = state_->perSource.find(source_);
    if (it != state_->perSource.end() && --it->second == 0) state_->perSource.erase(it);
  }
  SessionSlot(const SessionSlot&) = delete;
  SessionSlot& operator=(const SessionSlot&) = delete;

 private:
  std::shared_ptr<State> state_;
  std::string source_;
};

class HandshakeSlot {
 public:
  HandshakeSlot(std::shared_ptr<State> state, std::string source)
      : state_(std::move(state)), source_(std::move(source)) {}
  ~HandshakeSlot() {
    std::lock_guard lock(state_->mu);
    --state_->handshakes;
    auto it = state_->handshakesPerSource.find(source_);
    if (it != state_->handshakesPerSource.end() && --it->second == 0) {
      state_->handshakesPerSource.erase(it);
    }
  }
  HandshakeSlot(const HandshakeSlot&) = delete;
  HandshakeSlot& operator=(const HandshakeSlot&) = delete;

 private:
  std::shared_ptr<State> state_;
  std::string source_;
};

// The part of `total` a source may use: all of it for reserved sources, the rest for others.
std::size_t capFor(const State& s, std::size_t total, bool reservedSource) {
  if (reservedSource) return total;
  return total - std::min(total, s.options.reserved);
}

bool isReserved(const State& s, const std::string& source) {
  return s.options.reserved > 0 && s.options.isReservedSource && s.options.isReservedSource(source);
}

// true = the handshake may start (and is counted).
bool startHandshake(State& s, const std::string& source, bool reservedSource) {
  std::lock_guard lock(s.mu);
  if (s.stopped || s.handshakes >= capFor(s, s.options.maxHandshakes, reservedSource)) {
    return false;
  }
  auto& fromSource = s.handshakesPerSource[source];
  if (fromSource >= s.options.maxSessionsPerSource) {
    if (fromSource == 0) s.handshakesPerSource.erase(source);
    return false;
  }
  ++fromSource;
  ++s.handshakes;
  return true;
}

struct Refused {
  Refusal why;
  std::string detail;
};

// nullopt = admitted (and counted); otherwise why it was refused.
std::optional<Refused> admit(State& s, const std::string& source, bool reservedSource) {
  std::lock_guard lock(s.mu);
  if (s.stopped) return Refused{Refusal::ShuttingDown, "the bench is shutting down"};
  if (s.sessions >= capFor(s, s.options.maxSessions, reservedSource)) {
    return Refused{Refusal::TooManySessions, "the bench is handling its maximum of " +
                                                 std::to_string(s.options.maxSessions) +
                                                 " sessions"};
  }
  auto& fromSource = s.perSource[source];
  if (fromSource >= s.options.maxSessionsPerSource) {
    if (fromSource == 0) s.perSource.erase(source);
    return Refused{Refusal::TooManyFromSource,
                   "this address already has " + std::to_string(fromSource) + " session(s) open"};
  }
  ++fromSource;
  ++s.sessions;
  return std::nullopt;
}

asio::awaitable<void> runConnection(std::shared_ptr<State> state, tcp::socket socket) {
  error_code ec;
  std::string source;
  {
    auto ep = socket.remote_endpoint(ec);
    if (ec) co_return;
    source = addressText(ep.address());
  }
  const bool reservedSource = isReserved(*state, source);
  if (!startHandshake(*state, source, reservedSource)) {
    // Before any TLS work: a flood of half-open handshakes must not cost CPU or memory.
    error_code ignored;
    socket.close(ignored);
    co_return;
  }
  std::optional<HandshakeSlot> handshakeSlot(std::in_place, state, source);
  {
    // A connect that never says anything is shed after the short first-byte deadline, not held
    // for the whole handshake timeout.
    Deadline deadline(socket.get_executor(), state->options.firstByteTimeout, [&socket] {
      error_code ignored;
      socket.cancel(ignored);
    });
    co_await socket.async_wait(tcp::socket::wait_read,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec || deadline.expired()) co_return;
  }

  TlsStream stream(std::move(socket), *state->context);
  {
    Deadline deadline(stream.get_executor(), state->options.handshakeTimeout, [&stream] {
      error_code ignored;
      stream.lowest_layer().cancel(ignored);
    });
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
  }
  handshakeSlot.reset();
  if (ec) co_return;  // timed out, not TLS 1.3, or gone: the socket closes with `stream`

  auto transport = std::make_unique<TlsFrameTransport>(
      std::move(stream), state->options.maxFrameBytes, state->options.closeTimeout);
  if (auto refusal = admit(*state, source, reservedSource)) {
    if (state->options.refusalFrame) {
      Status st = co_await transport->writeFrame(
          state->options.refusalFrame(refusal->why, refusal->detail), state->options.closeTimeout);
      (void)st;  // the peer may already be gone; nothing more to tell it
    }
    co_await transport->close();
    co_return;
  }
  SessionSlot slot(state, source);
  co_await state->handler(std::move(transport));
}

asio::awaitable<void> acceptLoop(std::shared_ptr<State> state) {
  for (;;) {
    error_code ec;
    // Each connection gets its own strand: the session's strand.
    tcp::socket socket = co_await state->acceptor.async_accept(
        asio::make_strand(state->executor), asio::redirect_error(asio::use_awaitable, ec));
    {
      std::lock_guard lock(state->mu);
      if (state->stopped) co_return;
    }
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning on a failing accept.
      asio::steady_timer backoff(state->strand, std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, runConnection(state, std::move(socket)), asio::detached);
  }
}

}  // namespace

TlsListener::TlsListener(asio::any_io_executor executor, ListenerOptions options,
                         std::shared_ptr<asio::ssl::context> context, Handler handler)
    : state_(std::make_shared<State>(std::move(executor), std::move(options), std::move(context),
                                     std::move(handler))) {}

TlsListener::~TlsListener() {
  stop();
}

Result<std::uint16_t> TlsListener::start() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->started) return makeError("net", "listener already started");
    state_->started = true;
  }
  error_code ec;
  auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) return makeError("net", "invalid listen address '" + state_->options.address + "'");
  tcp::endpoint endpoint(address, state_->options.port);
  auto& acc = state_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acc.close(ignored);
    return makeError("net", "cannot listen on " + state_->options.address + ":" +
                                std::to_string(state_->options.port) + ": " + ec.message());
  }
  auto port = acc.local_endpoint(ec).port();
  if (ec) return makeError("net", "cannot read bound port: " + ec.message());
  asio::co_spawn(state_->strand, acceptLoop(state_), asio::detached);
  return port;
}

void TlsListener::stop() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  // The acceptor belongs to its strand; closing it there completes the pending accept.
  asio::dispatch(state_->strand, [state = state_] {
    error_code ignored;
    state->acceptor.close(ignored);
  });
}

std::size_t TlsListener::activeSessions() const {
  std::lock_guard lock(state_->mu);
  return state_->sessions;
}

std::size_t TlsListener::pendingHandshakes() const {
  std::lock_guard lock(state_->mu);
  return state_->handshakes;
}

}  // namespace pb
