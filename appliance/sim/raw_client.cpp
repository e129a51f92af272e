// SPDX-License-Identifier: Apache-2.0
#include "sim/raw_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/time.h>

#include "net/tls_context.hpp"
#include "net/tls_identity.hpp"

namespace pb {

std::string frameBytes(const std::string& payload) {
  std::string out(4, '\0');
  auto n = static_cast<std::uint32_t>(payload.size());
  out[0] = static_cast<char>((n >> 24) & 0xff);
  out[1] = static_cast<char>((n >> 16) & 0xff);
  out[2] = static_cast<char>((n >> 8) & 0xff);
  out[3] = static_cast<char>(n & 0xff);
  return out + payload;
}

nlohmann::json helloJson(const std::string& serial, const std::string& uuid, int version) {
  return {{"type", "hello"},
          {"versions", {version}},
          {"agent", "raw-test-client/1"},
          {"identity",
           {{"serial", serial},
            {"smbios_uuid", uuid},
            {"model", "Test Model"},
            {"vendor", "Test Vendor"},
            {"board_serial", ""},
            {"macs", nlohmann::json::array()}}}};
}

RawClient::RawClient(const std::string& host, std::uint16_t port, const std::string& pinFile,
                     int recvTimeoutMs, const std::string& bindAddress) {
  auto pin = readPinFile(pinFile);
  if (!pin.ok()) return;
  auto ctx = makeClientContext(*pin);
  if (!ctx.ok()) return;
  ctx_ = *ctx;
  stream_ = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(io_, *ctx_);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return;
  auto& sock = stream_->lowest_layer();
  sock.open(address.is_v4() ? boost::asio::ip::tcp::v4() : boost::asio::ip::tcp::v6(), ec);
  if (ec) return;
  if (!bindAddress.empty()) {
    auto local = boost::asio::ip::make_address(bindAddress, ec);
    if (ec) return;
    sock.bind({local, 0}, ec);
    if (ec) return;
  }
  sock.connect({address, port}, ec);
  if (ec) return;
  timeval tv{recvTimeoutMs / 1000, (recvTimeoutMs % 1000) * 1000};
  ::setsockopt(stream_->lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  stream_->handshake(boost::asio::ssl::stream_base::client, ec);
  connected_ = !ec;
}

void RawClient::writeRaw(const std::string& bytes) {
  boost::system::error_code ec;
  boost::asio::write(*stream_, boost::asio::buffer(bytes), ec);
}

void RawClient::writeFrame(const nlohmann::json& j) {
  writeRaw(frameBytes(j.dump()));
}

std::optional<nlohmann::json> RawClient::readFrame() {
  unsigned char hdr[4];
  boost::system::error_code ec;
  boost::asio::read(*stream_, boost::asio::buffer(hdr), ec);
  if (ec) return std::nullopt;
  std::uint32_t n = (std::uint32_t{hdr[0]} << 24) | (std::uint32_t{hdr[1]} << 16) |
                    (std::uint32_t{hdr[2]} << 8) | std::uint32_t{hdr[3]};
  if (n > (1u << 20)) return std::nullopt;
  std::string body(n, '\0');
  boost::asio::read(*stream_, boost::asio::buffer(body), ec);
  if (ec) return std::nullopt;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

bool RawClient::closedByPeer() {
  char c = 0;
  boost::system::error_code ec;
  stream_->read_some(boost::asio::buffer(&c, 1), ec);
  return ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated ||
         (ec && ec != boost::asio::error::would_block && ec != boost::asio::error::try_again);
}

}  // namespace pb
