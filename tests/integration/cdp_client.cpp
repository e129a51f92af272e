// SPDX-License-Identifier: Apache-2.0
#include "cdp_client.hpp"

#include <fstream>
#include <regex>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <sys/stat.h>

namespace pb::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

CdpClient::CdpClient(const std::string& wsUrl) : ws_(io_) {
  static const std::regex kUrl(R"(ws://([^:/]+):(\d+)(/.*))");
  std::smatch m;
  if (!std::regex_match(wsUrl, m, kUrl)) throw std::runtime_error("bad DevTools URL " + wsUrl);
  tcp::resolver resolver(io_);
  asio::connect(ws_.next_layer(), resolver.resolve(m[1].str(), m[2].str()));
  ws_.read_message_max(64 * 1024 * 1024);  // full-page screenshots are large
  ws_.handshake(m[1].str() + ":" + m[2].str(), m[3].str());
  readLoop();
  thread_ = std::thread([this] { io_.run(); });
}

CdpClient::~CdpClient() {
  asio::post(io_, [this] {
    boost::system::error_code ec;
    ws_.next_layer().close(ec);
  });
  if (thread_.joinable()) thread_.join();
}

void CdpClient::readLoop() {
  ws_.async_read(buffer_, [this](boost::system::error_code ec, std::size_t) {
    if (ec) {
      std::lock_guard lock(mu_);
      closed_ = true;
      cv_.notify_all();
      return;
    }
    auto msg = nlohmann::json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
    buffer_.consume(buffer_.size());
    {
      std::lock_guard lock(mu_);
      if (msg.is_object() && msg.contains("id") && msg["id"].is_number_integer()) {
        const int id = msg["id"].get<int>();  // before the move below
        responses_[id] = std::move(msg);
      } else if (msg.is_object()) {
        events_.push_back(std::move(msg));
      }
      cv_.notify_all();
    }
    readLoop();
  });
}

void CdpClient::writeNext() {
  ws_.async_write(asio::buffer(outq_.front()), [this](boost::system::error_code ec, std::size_t) {
    outq_.pop_front();
    if (!ec && !outq_.empty()) writeNext();
  });
}

nlohmann::json CdpClient::call(const std::string& method, nlohmann::json params,
                               const std::string& sessionId, std::chrono::milliseconds timeout) {
  int id = 0;
  {
    std::lock_guard lock(mu_);
    id = nextId_++;
  }
  nlohmann::json msg = {{"id", id}, {"method", method}, {"params", std::move(params)}};
  if (!sessionId.empty()) msg["sessionId"] = sessionId;
  asio::post(io_, [this, text = msg.dump()] {
    outq_.push_back(text);
    if (outq_.size() == 1) writeNext();
  });
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return closed_ || responses_.count(id) != 0; })) {
    throw std::runtime_error("CDP " + method + ": no answer");
  }
  if (responses_.count(id) == 0) throw std::runtime_error("CDP " + method + ": connection closed");
  nlohmann::json res = std::move(responses_[id]);
  responses_.erase(id);
  if (res.contains("error")) throw std::runtime_error("CDP " + method + ": " + res["error"].dump());
  return res.value("result", nlohmann::json::object());
}

std::vector<nlohmann::json> CdpClient::events() {
  std::lock_guard lock(mu_);
  return events_;
}

std::optional<nlohmann::json> CdpClient::waitEvent(
    const std::function<bool(const nlohmann::json&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::size_t checked = 0;
  std::optional<nlohmann::json> found;
  auto scan = [&] {
    for (; checked < events_.size(); ++checked) {
      if (pred(events_[checked])) {
        found = events_[checked];
        return true;
      }
    }
    return closed_;
  };
  cv_.wait_for(lock, timeout, scan);
  return found;
}

Browser::Browser(const std::string& profileDir, int width, int height)
    : width_(width), height_(height) {
  struct stat st {};
  if (::stat("/usr/bin/chromium", &st) != 0) {
    throw std::runtime_error(
        "chromium is not installed (apt-get install chromium; it is in image/packages-dev.txt)");
  }
  SpawnOptions so;
  so.args = {"/usr/bin/chromium",
             "--headless",
             "--no-sandbox",
             "--disable-gpu",
             "--disable-quic",
             "--no-first-run",
             "--disable-background-networking",
             "--disable-component-update",
             "--disable-sync",
             "--disable-dev-shm-usage",
             "--user-data-dir=" + profileDir,
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0",
             "--window-size=" + std::to_string(width) + "," + std::to_string(height),
             "about:blank"};
  proc_ = std::make_unique<Process>(so);
  // Chromium announces its DevTools endpoint on stderr once it listens (it also writes
  // <profile>/DevToolsActivePort); the line is the readiness signal.
  std::string url;
  proc_->waitForErrLine(
      [&](const std::string& line) {
        auto at = line.find("DevTools listening on ");
        if (at == std::string::npos) return false;
        url = line.substr(at + 22);
        while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
        return true;
      },
      std::chrono::seconds(30));
  if (url.empty()) throw std::runtime_error("chromium did not start:\n" + proc_->err());
  cdp_ = std::make_unique<CdpClient>(url);
  auto target = cdp_->call("Target.createTarget", {{"url", "about:blank"}});
  auto attached =
      cdp_->call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
  sessionId_ = attached["sessionId"].get<std::string>();
  page("Emulation.setDeviceMetricsOverride",
       {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

Browser::~Browser() {
  if (cdp_) {
    try {
      cdp_->call("Browser.close", nlohmann::json::object(), "", std::chrono::seconds(5));
    } catch (const std::exception&) {
      // The process is killed below anyway.
    }
  }
  cdp_.reset();
  proc_.reset();  // kills and reaps
}

nlohmann::json Browser::page(const std::string& method, nlohmann::json params,
                             std::chrono::milliseconds timeout) {
  return cdp_->call(method, std::move(params), sessionId_, timeout);
}

nlohmann::json Browser::eval(const std::string& expression, std::chrono::milliseconds timeout) {
  auto r =
      page("Runtime.evaluate",
           {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, timeout);
  if (r.contains("exceptionDetails")) {
    throw std::runtime_error("page exception: " + r["exceptionDetails"].dump());
  }
  return r["result"].value("value", nlohmann::json());
}

bool Browser::waitFor(const std::string& condition, std::chrono::milliseconds timeout) {
  // The page itself re-checks on every animation frame (a signal from the page, not a guess here).
  const std::string js = "new Promise((resolve) => { const deadline = Date.now() + " +
                         std::to_string(timeout.count()) +
                         "; const f = () => { let ok = false; try { ok = !!(" + condition +
                         "); } catch (e) {} if (ok || Date.now() > deadline) resolve(ok); "
                         "else requestAnimationFrame(f); }; f(); })";
  try {
    return eval(js, timeout + std::chrono::seconds(5)).get<bool>();
  } catch (const std::exception&) {
    return false;
  }
}

void Browser::screenshot(const std::string& path) {
  auto metrics = page("Page.getLayoutMetrics");
  const auto& size =
      metrics.contains("cssContentSize") ? metrics["cssContentSize"] : metrics["contentSize"];
  const int h = std::max(height_, static_cast<int>(size.value("height", 0.0)));
  page("Emulation.setDeviceMetricsOverride",
       {{"width", width_}, {"height", h}, {"deviceScaleFactor", 1}, {"mobile", false}});
  auto shot = page("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}},
                   std::chrono::seconds(60));
  page("Emulation.setDeviceMetricsOverride",
       {{"width", width_}, {"height", height_}, {"deviceScaleFactor", 1}, {"mobile", false}});
  std::ofstream out(path, std::ios::binary);
  out << base64Decode(shot["data"].get<std::string>());
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string base64Decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  unsigned acc = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace pb::test
