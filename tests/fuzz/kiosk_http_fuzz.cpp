// SPDX-License-Identifier: Apache-2.0
// Fuzzes what a browser (or anything on the kiosk's network) sends the kiosk: the HTTP request
// bytes through Beast's bounded parser into the kiosk's routing and upgrade checks, and device
// strings into the view's masking. Nothing may crash; every answer carries the security headers
// and is one of the few statuses the kiosk uses; a 200 is always an embedded asset.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>  // must precede boost headers on Boost 1.74

#include <boost/beast/http/parser.hpp>

#include "kiosk/kiosk_assets.hpp"
#include "kiosk/kiosk_http.hpp"
#include "kiosk/kiosk_view.hpp"

namespace {

namespace http = boost::beast::http;

void checkResponse(const pb::KioskResponse& res) {
  if (res["Content-Security-Policy"].empty() || res["X-Frame-Options"] != "DENY") std::abort();
  switch (res.result()) {
    case http::status::ok:
    case http::status::forbidden:
    case http::status::not_found:
    case http::status::method_not_allowed:
    case http::status::upgrade_required:
      break;
    default:
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const pb::KioskAccess access("127.0.0.1", 8080, {"http://kiosk.lab:8080"});
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)pb::maskOwnerName(text);

  http::request_parser<http::string_body> parser;
  parser.header_limit(pb::kKioskMaxHeaderBytes);
  parser.body_limit(pb::kKioskMaxBodyBytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const pb::KioskRequest& req = parser.get();
  pb::KioskResponse res = pb::handleKioskRequest(req, access);
  checkResponse(res);
  if (res.result() == http::status::ok) {
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find_first_of("?#"));
    if (pb::findKioskAsset(target) == nullptr) std::abort();
  }
  if (auto refused = pb::checkKioskUpgrade(req, access)) checkResponse(*refused);
  return 0;
}
