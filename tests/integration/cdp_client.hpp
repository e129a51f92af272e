// SPDX-License-Identifier: Apache-2.0
// A headless Chromium driven over the DevTools protocol (CDP), for the kiosk browser test and the
// kiosk latency benchmark. Chromium is Debian's `chromium`; CDP is spoken over Beast's WebSocket
// client (no Node, no npm). A missing chromium is an error, never a skip.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>  // must precede boost/asio headers on Boost 1.74
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace pb::test {

// One CDP connection. Responses are matched by id; events are kept (in order) for inspection.
class CdpClient {
 public:
  explicit CdpClient(const std::string& wsUrl);  // throws std::runtime_error
  ~CdpClient();
  CdpClient(const CdpClient&) = delete;
  CdpClient& operator=(const CdpClient&) = delete;

  // Sends a command (to the page session when sessionId is set) and returns its "result".
  // Throws std::runtime_error on an error response, a closed connection or the timeout.
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object(),
                      const std::string& sessionId = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Every event received so far (method, params, sessionId).
  std::vector<nlohmann::json> events();
  // Waits for an event satisfying `pred` (including ones already received).
  std::optional<nlohmann::json> waitEvent(const std::function<bool(const nlohmann::json&)>& pred,
                                          std::chrono::milliseconds timeout);

 private:
  void readLoop();
  void writeNext();

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> outq_;  // io thread only
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, nlohmann::json> responses_;
  std::vector<nlohmann::json> events_;
  bool closed_ = false;
  int nextId_ = 1;
};

// A headless Chromium with its own profile directory, and one page attached over CDP.
class Browser {
 public:
  // Starts chromium (throws std::runtime_error when it is missing or does not come up).
  explicit Browser(const std::string& profileDir, int width = 1920, int height = 1080);
  ~Browser();

  CdpClient& cdp() { return *cdp_; }
  // Calls a command on the page.
  nlohmann::json page(const std::string& method, nlohmann::json params = nlohmann::json::object(),
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Evaluates an expression in the page (awaiting a promise) and returns its value.
  nlohmann::json eval(const std::string& expression,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Resolves when `condition` (a JS expression) is truthy in the page; false on timeout.
  bool waitFor(const std::string& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Full-page PNG screenshot written to `path`.
  void screenshot(const std::string& path);
  [[nodiscard]] const std::string& sessionId() const { return sessionId_; }

 private:
  std::unique_ptr<Process> proc_;
  std::unique_ptr<CdpClient> cdp_;
  std::string sessionId_;
  int width_;
  int height_;
};

// Standard base64 decoding (screenshots come base64 encoded).
std::string base64Decode(const std::string& in);

}  // namespace pb::test
