// SPDX-License-Identifier: Apache-2.0
#include "core/log.hpp"

#include <chrono>

namespace pb {

namespace {
const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
    case LogLevel::Off:
      break;
  }
  return "off";
}
}  // namespace

void Logger::log(LogLevel level, std::string_view event, nlohmann::json fields) {
  if (level < min_ || sink_ == nullptr) return;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  nlohmann::json line = nlohmann::json::object();
  line["ts_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
  line["level"] = levelName(level);
  line["event"] = std::string(event);
  if (fields.is_object()) {
    for (auto& [k, v] : fields.items()) line[k] = v;
  }
  // replace invalid UTF-8 from device-supplied strings instead of throwing
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mu_);
  // A log line that cannot be written (full disk, closed stderr) must not stop the service.
  (void)std::fputs(text.c_str(), sink_);
  (void)std::fputc('\n', sink_);
  (void)std::fflush(sink_);
}

}  // namespace pb
