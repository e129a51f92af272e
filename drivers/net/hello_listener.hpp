// SPDX-License-Identifier: Apache-2.0
// UDP listener for AMT remote-configuration hello packets (amt.md §11): a discovery sensor, never a
// provisioning path. Each datagram is parsed with the bounded parser of
// drivers/amt/hello_packet.hpp and handed to `onHello` with the sender's address; anything else is
// counted and dropped (logged at 1, 2, 4, 8, … drops so a flood cannot fill the log). The listener
// never answers.
//
// Off unless the policy names a port (amt.hello_listener_port). AMT's default hello port 9971 is
// the image firewall's business.
//
// @par Thread Safety
// start() before the io_context runs or from its thread; everything runs on the given executor.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>  // before Boost.Asio on 1.74

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>

#include "amt/hello_packet.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace pb {

struct HelloListenerOptions {
  std::string address = "0.0.0.0";  // IPv4/IPv6 literal
  std::uint16_t port = 0;           // 0 = any free port (start() returns it)
};

class HelloListener {
 public:
  using Handler = std::function<void(const AmtHello& hello, const std::string& peer)>;

  HelloListener(const boost::asio::any_io_executor& executor, HelloListenerOptions options,
                Logger& log, Handler onHello);

  // Binds; returns the bound port. Fails if already started or the bind fails.
  Result<std::uint16_t> start();
  void stop();

  [[nodiscard]] std::uint64_t received() const { return received_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  void receive();
  void handle(std::size_t size);

  boost::asio::ip::udp::socket socket_;
  HelloListenerOptions options_;
  Logger& log_;
  Handler onHello_;
  boost::asio::ip::udp::endpoint sender_;
  // One byte more than the largest valid hello: a datagram that fills it was too large (UDP
  // truncates silently).
  std::array<std::uint8_t, kHelloMaxSize + 1> buffer_{};
  std::uint64_t received_ = 0;
  std::uint64_t dropped_ = 0;
  bool stopped_ = false;
};

}  // namespace pb
