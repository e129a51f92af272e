// SPDX-License-Identifier: Apache-2.0
// The HTTP rules without sockets: routes, headers, methods, Host and Origin.
#include "kiosk/kiosk_http.hpp"

#include <gtest/gtest.h>

#include "kiosk/kiosk_assets.hpp"

namespace pb {
namespace {

namespace http = boost::beast::http;

std::string str(boost::beast::string_view s) {
  return std::string(s.data(), s.size());
}

KioskRequest get(const std::string& target, const std::string& host = "127.0.0.1:8080",
                 http::verb verb = http::verb::get) {
  KioskRequest req{verb, target, 11};
  if (!host.empty()) req.set(http::field::host, host);
  return req;
}

KioskRequest upgrade(const std::string& origin, const std::string& host = "127.0.0.1:8080") {
  KioskRequest req = get("/ws", host);
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "upgrade");
  if (!origin.empty()) req.set(http::field::origin, origin);
  return req;
}

void expectSecurityHeaders(const KioskResponse& res) {
  EXPECT_EQ(str(res["Content-Security-Policy"]), std::string(kKioskCsp));
  EXPECT_NE(str(res["Content-Security-Policy"]).find("script-src 'self'"), std::string::npos);
  EXPECT_NE(str(res["Content-Security-Policy"]).find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(str(res["X-Content-Type-Options"]), "nosniff");
  EXPECT_EQ(str(res["Referrer-Policy"]), "no-referrer");
  EXPECT_EQ(str(res["X-Frame-Options"]), "DENY");
  EXPECT_EQ(str(res[http::field::cache_control]), "no-store");
}

const KioskAccess kAccess("127.0.0.1", 8080, {"http://kiosk.bench.example:8080"});

TEST(KioskHttp, ServesEveryEmbeddedAssetWithItsTypeAndHeaders) {
  struct Case {
    const char* path;
    const char* type;
    const char* contains;
  } cases[] = {{"/", "text/html; charset=utf-8", "<script src=\"/kiosk.js\""},
               {"/kiosk.js", "text/javascript; charset=utf-8", "textContent"},
               {"/kiosk.css", "text/css; charset=utf-8", ".tile"},
               {"/favicon.svg", "image/svg+xml", "<svg"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto res = handleKioskRequest(get(c.path), kAccess);
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(str(res[http::field::content_type]), c.type);
    EXPECT_NE(res.body().find(c.contains), std::string::npos);
    expectSecurityHeaders(res);
  }
  // A query string does not change what is served.
  EXPECT_EQ(handleKioskRequest(get("/?kiosk=1"), kAccess).result(), http::status::ok);
}

TEST(KioskHttp, PageHasNoInlineScriptOrStyleAndNoExternalReference) {
  for (const auto& a : kioskAssets()) {
    SCOPED_TRACE(std::string(a.path));
    EXPECT_EQ(a.body.find("innerHTML"), std::string_view::npos);
    EXPECT_EQ(a.body.find("outerHTML"), std::string_view::npos);
    EXPECT_EQ(a.body.find("insertAdjacentHTML"), std::string_view::npos);
    EXPECT_EQ(a.body.find("document.write"), std::string_view::npos);
    EXPECT_EQ(a.body.find("eval("), std::string_view::npos);
    EXPECT_EQ(a.body.find("https://"), std::string_view::npos);  // no CDN
  }
  const KioskAsset* index = findKioskAsset("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body.find("<script>"), std::string_view::npos);
  EXPECT_EQ(index->body.find("style="), std::string_view::npos);
  EXPECT_EQ(index->body.find("onclick"), std::string_view::npos);
}

TEST(KioskHttp, UnknownPathsAre404AndNothingComesFromDisk) {
  for (const char* p : {"/etc/passwd", "/../CMakeLists.txt", "/kiosk.js/", "/KIOSK.JS",
                        "/assets/kiosk.js", "/index.htm", "//kiosk.js", "/%6biosk.js"}) {
    SCOPED_TRACE(p);
    auto res = handleKioskRequest(get(p), kAccess);
    EXPECT_EQ(res.result(), http::status::not_found);
    expectSecurityHeaders(res);
  }
}

TEST(KioskHttp, OnlyGetAndHead) {
  for (auto verb : {http::verb::post, http::verb::put, http::verb::delete_, http::verb::options,
                    http::verb::patch, http::verb::trace}) {
    auto res = handleKioskRequest(get("/", "127.0.0.1:8080", verb), kAccess);
    EXPECT_EQ(res.result(), http::status::method_not_allowed);
    EXPECT_EQ(str(res[http::field::allow]), "GET, HEAD");
    expectSecurityHeaders(res);
  }
  auto head = handleKioskRequest(get("/kiosk.js", "127.0.0.1:8080", http::verb::head), kAccess);
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(str(head[http::field::content_length]),
            std::to_string(findKioskAsset("/kiosk.js")->body.size()));
}

TEST(KioskHttp, PlainGetOfTheFeedNeedsAnUpgrade) {
  EXPECT_EQ(handleKioskRequest(get("/ws"), kAccess).result(), http::status::upgrade_required);
}

TEST(KioskHttp, ForeignHostIsRefused) {
  // A DNS-rebinding page reaches the loopback kiosk under its own host name.
  for (const char* h : {"evil.example:8080", "127.0.0.1:8081", "", "127.0.0.1"}) {
    SCOPED_TRACE(h);
    EXPECT_EQ(handleKioskRequest(get("/", h), kAccess).result(), http::status::forbidden);
    EXPECT_TRUE(checkKioskUpgrade(upgrade("http://127.0.0.1:8080", h), kAccess).has_value());
  }
  for (const char* h :
       {"127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "kiosk.bench.example:8080"}) {
    SCOPED_TRACE(h);
    EXPECT_EQ(handleKioskRequest(get("/", h), kAccess).result(), http::status::ok);
  }
}

TEST(KioskHttp, UpgradeChecksOrigin) {
  EXPECT_FALSE(checkKioskUpgrade(upgrade("http://127.0.0.1:8080"), kAccess).has_value());
  EXPECT_FALSE(checkKioskUpgrade(upgrade("http://localhost:8080"), kAccess).has_value());
  EXPECT_FALSE(checkKioskUpgrade(upgrade("http://kiosk.bench.example:8080"), kAccess).has_value());
  for (const char* o :
       {"", "null", "http://evil.example", "http://127.0.0.1:8081", "https://127.0.0.1:8080",
        "http://127.0.0.1:8080.evil.example", "http://127.0.0.1"}) {
    SCOPED_TRACE(o);
    auto refused = checkKioskUpgrade(upgrade(o), kAccess);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->result(), http::status::forbidden);
    expectSecurityHeaders(*refused);
  }
  KioskRequest wrongPath = upgrade("http://127.0.0.1:8080");
  wrongPath.target("/feed");
  EXPECT_EQ(checkKioskUpgrade(wrongPath, kAccess)->result(), http::status::not_found);
}

TEST(KioskHttp, OwnOriginsFollowTheAddress) {
  KioskAccess v6("::1", 9000, {});
  EXPECT_TRUE(v6.originAllowed("http://[::1]:9000"));
  EXPECT_TRUE(v6.originAllowed("http://localhost:9000"));
  KioskAccess lan("10.0.0.5", 80, {});
  EXPECT_TRUE(lan.originAllowed("http://10.0.0.5"));
  EXPECT_TRUE(lan.hostAllowed("10.0.0.5"));
  EXPECT_FALSE(lan.originAllowed("http://localhost"));  // not loopback: localhost is another box
}

TEST(KioskHttp, PageWeightIsTheSumOfTheAssets) {
  std::size_t sum = 0;
  for (const auto& a : kioskAssets()) sum += a.body.size();
  EXPECT_EQ(kioskPageWeight(), sum);
  EXPECT_GT(sum, 1000u);
  EXPECT_LT(sum, 64u * 1024u);  // a kiosk page, not an application bundle
}

}  // namespace
}  // namespace pb
