// SPDX-License-Identifier: Apache-2.0
#include "net/hello_listener.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>

namespace pb {

namespace {

bool powerOfTwo(std::uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

}  // namespace

HelloListener::HelloListener(const boost::asio::any_io_executor& executor,
                             HelloListenerOptions options, Logger& log, Handler onHello)
    : socket_(executor), options_(std::move(options)), log_(log), onHello_(std::move(onHello)) {}

Result<std::uint16_t> HelloListener::start() {
  if (socket_.is_open()) return makeError("net", "hello listener already started");
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(options_.address, ec);
  if (ec) return makeError("net", "hello listener: bad address " + options_.address);
  boost::asio::ip::udp::endpoint endpoint(address, options_.port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    socket_.close();
    return makeError("net", "hello listener: cannot bind " + options_.address + ":" +
                                std::to_string(options_.port) + ": " + ec.message());
  }
  const std::uint16_t port = socket_.local_endpoint(ec).port();
  if (ec) return makeError("net", "hello listener: " + ec.message());
  stopped_ = false;
  log_.info("hello_listener.started", {{"address", options_.address}, {"port", port}});
  receive();
  return port;
}

void HelloListener::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void HelloListener::receive() {
  socket_.async_receive_from(boost::asio::buffer(buffer_), sender_,
                             [this](const boost::system::error_code& ec, std::size_t size) {
                               if (stopped_ || ec == boost::asio::error::operation_aborted) return;
                               if (!ec) handle(size);
                               receive();
                             });
}

void HelloListener::handle(std::size_t size) {
  ++received_;
  const std::string peer = sender_.address().to_string();
  Result<AmtHello> hello = size > kHelloMaxSize
                               ? Result<AmtHello>(makeError(std::string(hello_error::kTooLarge),
                                                            "datagram larger than a hello"))
                               : parseHello(buffer_.data(), size);
  if (!hello.ok()) {
    ++dropped_;
    if (powerOfTwo(dropped_)) {
      log_.warn("hello_listener.dropped", {{"peer", peer},
                                           {"bytes", size},
                                           {"error", hello.error().code},
                                           {"dropped_total", dropped_}});
    }
    return;
  }
  if (onHello_) onHello_(*hello, peer);
}

}  // namespace pb
