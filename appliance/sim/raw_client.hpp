// SPDX-License-Identifier: Apache-2.0
// A deliberately misbehaving agent: a blocking TLS client that writes raw bytes (not necessarily
// valid frames) and reads whatever frame the appliance answers with.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <nlohmann/json.hpp>

namespace pb {

class RawClient {
 public:
  // Connects and completes the TLS handshake, pinning the appliance certificate from pinFile.
  RawClient(std::uint16_t port, const std::string& pinFile, int recvTimeoutMs = 10000)
      : RawClient("127.0.0.1", port, pinFile, recvTimeoutMs) {}
  // bindAddress: local source address ("" = any), as bench-agent --bind.
  RawClient(const std::string& host, std::uint16_t port, const std::string& pinFile,
            int recvTimeoutMs, const std::string& bindAddress = "");
  [[nodiscard]] bool connected() const { return connected_; }
  void writeRaw(const std::string& bytes);
  void writeFrame(const nlohmann::json& j);
  // The next frame, or nullopt when the appliance closed the connection (or timed out).
  std::optional<nlohmann::json> readFrame();
  // True when the peer closed the connection (read returns EOF or an error).
  bool closedByPeer();

 private:
  boost::asio::io_context io_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
  bool connected_ = false;
};

std::string frameBytes(const std::string& payload);
nlohmann::json helloJson(const std::string& serial, const std::string& uuid, int version = 1);

}  // namespace pb
