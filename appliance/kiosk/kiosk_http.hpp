// SPDX-License-Identifier: Apache-2.0
// The kiosk's HTTP rules, free of sockets so they can be tested directly: which requests are
// answered how, the security headers on every response, and who may open the WebSocket.
//
//   GET/HEAD /, /kiosk.css, /kiosk.js, /favicon.svg   the embedded assets
//   GET /ws with a WebSocket upgrade                 the live feed (Origin and Host checked)
//   anything else                                    404 (unknown path) or 405 (other method)
//
// Host is checked on every request (a DNS-rebinding page cannot read the kiosk), Origin on the
// WebSocket upgrade (another site's page cannot open the feed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // must precede boost headers on Boost 1.74
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace pb {

using KioskRequest = boost::beast::http::request<boost::beast::http::string_body>;
using KioskResponse = boost::beast::http::response<boost::beast::http::string_body>;

inline constexpr std::string_view kKioskCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
inline constexpr std::string_view kKioskWsPath = "/ws";
// Request limits: GET/HEAD carry no body; headers beyond this are refused (431).
inline constexpr std::size_t kKioskMaxHeaderBytes = 8192;
inline constexpr std::size_t kKioskMaxBodyBytes = 1024;

class KioskAccess {
 public:
  // The kiosk's own origins (http://address:port, plus http://localhost:port when the address is
  // loopback) and the configured extra ones.
  KioskAccess(const std::string& address, std::uint16_t port,
              const std::vector<std::string>& extraOrigins);

  [[nodiscard]] bool hostAllowed(std::string_view host) const;
  [[nodiscard]] bool originAllowed(std::string_view origin) const;
  [[nodiscard]] const std::vector<std::string>& origins() const { return origins_; }

 private:
  std::vector<std::string> origins_;
  std::vector<std::string> hosts_;
};

// The response to a plain (non-upgrade) request.
KioskResponse handleKioskRequest(const KioskRequest& req, const KioskAccess& access);

// For a WebSocket upgrade request: nullopt when it may proceed, else the response refusing it.
std::optional<KioskResponse> checkKioskUpgrade(const KioskRequest& req, const KioskAccess& access);

// Adds the security headers every kiosk response carries.
void addKioskSecurityHeaders(KioskResponse& res);

}  // namespace pb
