// SPDX-License-Identifier: Apache-2.0
// One way for every YAML loader to report problems: "file:line:column: key.path: message", all of
// them in one run, sorted by position, so an operator fixes a file in one pass instead of one
// error per restart.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb {

// 1-based position in the source text (yaml-cpp marks are 0-based; the parser converts).
struct YamlMark {
  int line = 1;
  int column = 1;
};

struct YamlIssue {
  std::string file;
  int line = 0;
  int column = 0;
  std::string keyPath;  // "agent_listener.port", "slots[2].source"; empty for document-level issues
  std::string message;

  // "file:line:column: key.path: message" (without "key.path: " when keyPath is empty).
  [[nodiscard]] std::string format() const;
};

// Collects issues for one file. Bounded: after maxIssues the rest are counted, not stored, so a
// hostile file cannot make the report itself unbounded.
class YamlIssues {
 public:
  explicit YamlIssues(std::string file, std::size_t maxIssues = 100);

  void add(const YamlMark& at, std::string keyPath, std::string message);

  // True once further issues would only be counted: callers can skip costly message building.
  [[nodiscard]] bool full() const { return issues_.size() >= max_; }
  [[nodiscard]] bool empty() const { return issues_.empty() && dropped_ == 0; }
  [[nodiscard]] std::size_t size() const { return issues_.size() + dropped_; }
  [[nodiscard]] const std::string& file() const { return file_; }
  // Stored issues ordered by position (stable for equal positions).
  [[nodiscard]] std::vector<YamlIssue> sorted() const;
  // All issues, one per line, sorted; a last line says how many were left out, if any.
  [[nodiscard]] std::string format() const;
  // An Error whose message is format(), for Result-returning loaders.
  [[nodiscard]] Error toError(std::string code) const;

 private:
  std::string file_;
  std::size_t max_;
  std::vector<YamlIssue> issues_;
  std::size_t dropped_ = 0;
};

// Text from the input made safe for a one-line message: control bytes, backslashes and invalid
// UTF-8 escaped as \xNN, cut after maxChars characters, so a crafted key or value can neither
// break the one-issue-per-line format nor flood it.
std::string yamlPrintable(std::string_view text, std::size_t maxChars = 64);
// yamlPrintable in single quotes, for quoting input inside a message.
std::string yamlQuote(std::string_view text, std::size_t maxChars = 64);

}  // namespace pb
