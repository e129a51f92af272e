// SPDX-License-Identifier: Apache-2.0
#include "net/tls_frame_transport.hpp"

#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/reasons.hpp"
#include "net/deadline.hpp"
#include "protocol/frame.hpp"

namespace pb {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

bool isPeerGone(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected;
}

Error ioError(const error_code& ec, bool timedOut, std::string_view what) {
  if (timedOut) {
    return makeError(std::string(reason::kTimeout), std::string(what) + " timed out");
  }
  if (isPeerGone(ec)) {
    return makeError(std::string(reason::kPeerClosed), std::string(what) + ": peer closed");
  }
  // Anything else (TLS alert, decrypt error, ...) also ends the conversation with this peer.
  return makeError(std::string(reason::kPeerClosed), std::string(what) + ": " + ec.message());
}

}  // namespace

std::string addressText(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

TlsFrameTransport::TlsFrameTransport(TlsStream stream, std::uint32_t maxFrameBytes,
                                     std::chrono::milliseconds closeTimeout)
    : stream_(std::move(stream)), maxFrame_(maxFrameBytes), closeTimeout_(closeTimeout) {
  error_code ec;
  // Frames are small request/response messages: Nagle plus delayed ACKs would add ~40 ms stalls.
  stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
  auto ep = stream_.lowest_layer().remote_endpoint(ec);
  peer_ = ec ? std::string("unknown") : addressText(ep.address());
}

TlsFrameTransport::~TlsFrameTransport() {
  error_code ignored;
  stream_.lowest_layer().close(ignored);
}

Error TlsFrameTransport::fail(Error e) {
  if (!broken_) broken_ = e;
  if (!readBroken_) readBroken_ = e;
  return e;
}

// A bad frame (oversize header, malformed payload) ends reading: the byte stream can no longer be
// trusted to be in step. Writing still works, so the peer can be told why in an error frame.
Error TlsFrameTransport::failRead(Error e) {
  if (!readBroken_) readBroken_ = e;
  return e;
}

void TlsFrameTransport::cancelSocket() {
  error_code ignored;
  stream_.lowest_layer().cancel(ignored);
}

asio::awaitable<Result<nlohmann::json>> TlsFrameTransport::readFrame(
    std::chrono::milliseconds timeout) {
  if (readBroken_) co_return *readBroken_;
  if (closed_) co_return makeError(std::string(reason::kPeerClosed), "transport closed");

  // One deadline for header and body: a peer trickling one byte at a time still runs out of time.
  Deadline deadline(stream_.get_executor(), timeout, [this] { cancelSocket(); });
  error_code ec;

  std::uint8_t hdr[kFrameHeaderBytes];
  co_await asio::async_read(stream_, asio::buffer(hdr),
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // A peer that ended with close_notify is owed ours in close(); other failures are not.
    if (ec == asio::error::eof) peerSentCloseNotify_ = true;
    co_return fail(ioError(ec, deadline.expired(), "reading frame header"));
  }

  auto length = parseFrameLength(hdr, maxFrame_);
  if (!length) co_return failRead(length.error());

  std::string body;
  while (body.size() < *length) {
    std::size_t have = body.size();
    std::size_t chunk = std::min<std::size_t>(kReadChunk, *length - have);
    body.resize(have + chunk);
    std::size_t got = co_await asio::async_read(stream_, asio::buffer(body.data() + have, chunk),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::eof) peerSentCloseNotify_ = true;
      // Truncated frame: the peer closed (or stalled) mid-frame. Reported as kPeerClosed /
      // kTimeout: the connection is gone either way, and the message says how far it got.
      co_return fail(ioError(ec, deadline.expired(),
                             "reading frame body (" + std::to_string(have + got) + " of " +
                                 std::to_string(*length) + " bytes)"));
    }
  }
  deadline.disarm();

  auto parsed = parseFramePayload(body);
  if (!parsed) co_return failRead(parsed.error());
  co_return std::move(parsed).value();
}

asio::awaitable<Status> TlsFrameTransport::writeFrame(const nlohmann::json& msg,
                                                      std::chrono::milliseconds timeout) {
  if (broken_) co_return *broken_;
  if (closed_) co_return makeError(std::string(reason::kPeerClosed), "transport closed");
  std::string frame = encodeFrame(msg);
  if (frame.size() - kFrameHeaderBytes > maxFrame_) {
    // Refused before anything is sent, so the stream stays usable.
    co_return makeError(std::string(reason::kFrameTooLarge),
                        "outgoing frame of " + std::to_string(frame.size() - kFrameHeaderBytes) +
                            " bytes exceeds the limit of " + std::to_string(maxFrame_));
  }
  Deadline deadline(stream_.get_executor(), timeout, [this] { cancelSocket(); });
  error_code ec;
  co_await asio::async_write(stream_, asio::buffer(frame),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(ioError(ec, deadline.expired(), "writing frame"));
  co_return Status{};
}

// After a bad frame the peer may still be sending (the rest of an oversize frame). Closing a
// socket with unread bytes makes the kernel answer with a TCP reset, which can destroy the error
// frame just written before the peer reads it; so read and discard what it sends, bounded in
// bytes and time, until it has read our answer and closed its side.
asio::awaitable<void> TlsFrameTransport::drainAfterBadFrame() {
  Deadline deadline(stream_.get_executor(), closeTimeout_, [this] { cancelSocket(); });
  const std::size_t limit = std::size_t{maxFrame_} + kReadChunk;
  std::vector<char> sink(16 * 1024);
  std::size_t drained = 0;
  error_code ec;
  while (drained < limit) {
    drained += co_await stream_.async_read_some(asio::buffer(sink),
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  if (ec == asio::error::eof) {
    peerSentCloseNotify_ = true;
  } else if (ec) {
    // Timed out or failed mid-record: no orderly TLS shutdown is possible any more.
    fail(ioError(ec, deadline.expired(), "draining after a bad frame"));
  }
}

asio::awaitable<void> TlsFrameTransport::close() {
  if (closed_) co_return;
  closed_ = true;
  if (readBroken_ && !broken_) co_await drainAfterBadFrame();
  if (!broken_ || peerSentCloseNotify_) {
    // close_notify, then wait (bounded) for the peer's; a peer that never answers is cut off.
    Deadline deadline(stream_.get_executor(), closeTimeout_, [this] { cancelSocket(); });
    error_code ec;
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  broken_ = makeError(std::string(reason::kPeerClosed), "transport closed");
}

}  // namespace pb
