// SPDX-License-Identifier: Apache-2.0
// Structured logs: one JSON object per line on a stream (stderr for daemons, journald picks it up).
// The Logger is built in main and passed down; there is no global logger.
// Never pass a secret as a field: logs leave the box in support bundles.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pb {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

class Logger {
 public:
  explicit Logger(std::FILE* sink = stderr, LogLevel min = LogLevel::Info)
      : sink_(sink), min_(min) {}

  void log(LogLevel level, std::string_view event,
           nlohmann::json fields = nlohmann::json::object());
  void debug(std::string_view e, nlohmann::json f = nlohmann::json::object()) {
    log(LogLevel::Debug, e, std::move(f));
  }
  void info(std::string_view e, nlohmann::json f = nlohmann::json::object()) {
    log(LogLevel::Info, e, std::move(f));
  }
  void warn(std::string_view e, nlohmann::json f = nlohmann::json::object()) {
    log(LogLevel::Warn, e, std::move(f));
  }
  void error(std::string_view e, nlohmann::json f = nlohmann::json::object()) {
    log(LogLevel::Error, e, std::move(f));
  }

  void setLevel(LogLevel level) { min_ = level; }

 private:
  std::FILE* sink_;
  LogLevel min_;
  std::mutex mu_;
};

}  // namespace pb
