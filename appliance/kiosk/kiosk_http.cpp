// SPDX-License-Identifier: Apache-2.0
#include "kiosk/kiosk_http.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "kiosk/kiosk_assets.hpp"

namespace pb {

namespace http = boost::beast::http;

namespace {

// Boost 1.74's Beast speaks boost::string_view.
std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}
boost::beast::string_view bsv(std::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string hostPart(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

bool isLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1";
}

std::string_view pathOf(std::string_view target) {
  auto q = target.find_first_of("?#");
  return q == std::string_view::npos ? target : target.substr(0, q);
}

KioskResponse plain(const KioskRequest& req, http::status status, std::string_view text) {
  KioskResponse res{status, req.version()};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::string(text) + "\n";
  res.keep_alive(req.keep_alive());
  addKioskSecurityHeaders(res);
  res.prepare_payload();
  return res;
}

}  // namespace

KioskAccess::KioskAccess(const std::string& address, std::uint16_t port,
                         const std::vector<std::string>& extraOrigins) {
  const std::string p = ":" + std::to_string(port);
  std::vector<std::string> hosts = {hostPart(address)};
  if (isLoopback(address)) hosts.push_back("localhost");
  for (const auto& h : hosts) {
    origins_.push_back("http://" + h + p);
    // Browsers leave the default port out of Origin and Host.
    if (port == 80) origins_.push_back("http://" + h);
  }
  for (const auto& o : extraOrigins) origins_.push_back(lower(o));
  for (const auto& o : origins_) hosts_.push_back(o.substr(o.find("://") + 3));
}

bool KioskAccess::hostAllowed(std::string_view host) const {
  const std::string h = lower(host);
  return std::find(hosts_.begin(), hosts_.end(), h) != hosts_.end();
}

bool KioskAccess::originAllowed(std::string_view origin) const {
  const std::string o = lower(origin);
  return std::find(origins_.begin(), origins_.end(), o) != origins_.end();
}

void addKioskSecurityHeaders(KioskResponse& res) {
  res.set("Content-Security-Policy", bsv(kKioskCsp));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set(http::field::cache_control, "no-store");
}

KioskResponse handleKioskRequest(const KioskRequest& req, const KioskAccess& access) {
  if (!access.hostAllowed(sv(req[http::field::host]))) {
    return plain(req, http::status::forbidden, "forbidden host");
  }
  const bool head = req.method() == http::verb::head;
  if (req.method() != http::verb::get && !head) {
    KioskResponse res = plain(req, http::status::method_not_allowed, "method not allowed");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  const std::string_view path = pathOf(sv(req.target()));
  if (path == kKioskWsPath) {
    KioskResponse res = plain(req, http::status::upgrade_required, "WebSocket only");
    res.set(http::field::upgrade, "websocket");
    return res;
  }
  const KioskAsset* asset = findKioskAsset(path);
  if (asset == nullptr) return plain(req, http::status::not_found, "not found");
  KioskResponse res{http::status::ok, req.version()};
  res.set(http::field::content_type, bsv(asset->contentType));
  res.keep_alive(req.keep_alive());
  addKioskSecurityHeaders(res);
  res.body() = std::string(asset->body);
  res.prepare_payload();
  if (head) res.body().clear();  // Content-Length stays that of the GET body
  return res;
}

std::optional<KioskResponse> checkKioskUpgrade(const KioskRequest& req, const KioskAccess& access) {
  if (!access.hostAllowed(sv(req[http::field::host]))) {
    return plain(req, http::status::forbidden, "forbidden host");
  }
  if (req.method() != http::verb::get) {
    KioskResponse res = plain(req, http::status::method_not_allowed, "method not allowed");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  if (pathOf(sv(req.target())) != kKioskWsPath)
    return plain(req, http::status::not_found, "not found");
  // Browsers always send Origin on a WebSocket handshake; its absence means a non-browser client,
  // which has no business here either.
  if (!access.originAllowed(sv(req[http::field::origin]))) {
    return plain(req, http::status::forbidden, "forbidden origin");
  }
  return std::nullopt;
}

const KioskAsset* findKioskAsset(std::string_view path) {
  if (path == "/" || path == "/index.html") path = "/index.html";
  for (const auto& a : kioskAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

std::size_t kioskPageWeight() {
  std::size_t total = 0;
  for (const auto& a : kioskAssets()) total += a.body.size();
  return total;
}

}  // namespace pb
