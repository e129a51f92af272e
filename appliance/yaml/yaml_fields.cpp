// SPDX-License-Identifier: Apache-2.0
#include "yaml/yaml_fields.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

#include "core/files.hpp"

namespace pb {

std::string yamlWhere(const YamlMark& m) {
  return "line " + std::to_string(m.line) + ", column " + std::to_string(m.column);
}

std::optional<std::string> yamlPathProblem(std::string_view p) {
  if (p.empty() || p[0] != '/') return "must be an absolute path";
  std::size_t start = 1;
  while (start <= p.size()) {
    std::size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(start, end - start);
    if (part == "." || part == "..") return "must not contain '.' or '..' components";
    start = end + 1;
  }
  return std::nullopt;
}

bool yamlReadAbsolutePath(YamlMapReader& r, std::string_view key, std::string& out,
                          Presence presence) {
  constexpr std::size_t kMaxPathBytes = 4095;
  std::string value;
  if (!r.readString(key, value, presence, kMaxPathBytes)) return false;
  if (auto problem = yamlPathProblem(value)) {
    r.report(key, *problem + ", got " + yamlQuote(value));
    return false;
  }
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  out = std::move(value);
  return true;
}

const YamlNode* yamlBoundedSequence(YamlMapReader& r, std::string_view key, std::size_t maxItems,
                                    std::string_view noun) {
  const YamlNode* seq = r.getSequence(key);
  if (seq == nullptr) return nullptr;
  if (seq->items.size() > maxItems) {
    r.issues().add(seq->mark, r.pathOf(key),
                   "more than " + std::to_string(maxItems) + " " + std::string(noun));
    return nullptr;
  }
  return seq;
}

bool yamlReadUniqueName(YamlMapReader& item, std::string_view key, std::string& out,
                        std::size_t maxLen, std::map<std::string, YamlMark>& seen,
                        std::string_view noun, bool (*valid)(std::string_view),
                        std::string_view pattern) {
  if (!item.readString(key, out, Presence::Required, maxLen)) return false;
  if (valid != nullptr && !valid(out)) {
    item.report(key, "expected " + std::string(pattern) + ", got " + yamlQuote(out));
    return false;
  }
  if (auto [it, fresh] = seen.emplace(out, item.markOf(key)); !fresh) {
    item.report(key, "duplicate " + std::string(noun) + " " + yamlQuote(out) + " (first at " +
                         yamlWhere(it->second) + ")");
    return false;
  }
  return true;
}

Result<std::string> readYamlFile(const std::string& path, std::size_t maxBytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return makeError("io", "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return makeError("io", path + " is not a regular file");
  return readFileBounded(path, maxBytes);
}

}  // namespace pb
