// SPDX-License-Identifier: Apache-2.0
#include "yaml/yaml_issues.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "yaml/utf8.hpp"

namespace pb {

std::string YamlIssue::format() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!keyPath.empty()) out += keyPath + ": ";
  out += message;
  return out;
}

YamlIssues::YamlIssues(std::string file, std::size_t maxIssues)
    : file_(std::move(file)), max_(maxIssues) {}

void YamlIssues::add(const YamlMark& at, std::string keyPath, std::string message) {
  if (issues_.size() >= max_) {
    ++dropped_;
    return;
  }
  issues_.push_back(YamlIssue{file_, at.line, at.column, std::move(keyPath), std::move(message)});
}

std::vector<YamlIssue> YamlIssues::sorted() const {
  std::vector<YamlIssue> out = issues_;
  std::stable_sort(out.begin(), out.end(), [](const YamlIssue& a, const YamlIssue& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

std::string YamlIssues::format() const {
  std::string out;
  for (const auto& issue : sorted()) {
    if (!out.empty()) out += '\n';
    out += issue.format();
  }
  if (dropped_ > 0) {
    if (!out.empty()) out += '\n';
    out += file_ + ": " + std::to_string(dropped_) + " more issue(s) not shown";
  }
  return out;
}

Error YamlIssues::toError(std::string code) const {
  return makeError(std::move(code), format());
}

std::string yamlQuote(std::string_view text, std::size_t maxChars) {
  return "'" + yamlPrintable(text, maxChars) + "'";
}

std::string yamlPrintable(std::string_view text, std::size_t maxChars) {
  std::string out;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (shown == maxChars) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(text[i]);
    const std::size_t len = utf8SequenceLength(text, i);
    if (len > 1) {
      out.append(text.substr(i, len));  // whole characters only, so the result stays valid UTF-8
      i += len;
    } else {
      if (len == 0 || u < 0x20 || u == 0x7f || u == '\\') {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      } else {
        out += static_cast<char>(u);
      }
      ++i;
    }
    ++shown;
  }
  return out;
}

}  // namespace pb
