// SPDX-License-Identifier: Apache-2.0
// The parser's entry points: size bound, BOM, format dispatch, error order; the format for a file
// name. The formats live in registry_csv.cpp / registry_yaml.cpp, the row rules in
// registry_rules.cpp, row building in registry_rows.cpp.
#include "registry/registry_import.hpp"

#include <algorithm>
#include <exception>

#include "registry/registry_detail.hpp"

namespace pb {

using namespace registry_detail;

RegistryParse parseRegistry(std::string_view text, RegistryFormat format, std::int64_t now) {
  RegistryParse out;
  if (text.size() > kMaxRegistryBytes) {
    out.errors.push_back({0, "", "the register file is larger than 16 MiB"});
    return out;
  }
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  try {
    if (format == RegistryFormat::Csv) {
      parseCsv(text, now, out);
    } else {
      parseYaml(text, now, out);
    }
  } catch (const std::exception& e) {
    // Nothing below is expected to throw (bad_alloc aside); the promise is "never throws".
    out.rows.clear();
    out.errors.push_back({0, "", std::string("the register could not be read: ") + e.what()});
  } catch (...) {
    out.rows.clear();
    out.errors.push_back({0, "", "the register could not be read"});
  }
  if (!out.errors.empty()) out.rows.clear();
  // One list in file order (YAML structure problems are found before row problems).
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
  return out;
}

std::optional<RegistryFormat> registryFormatForFile(const std::string& fileName) {
  auto slash = fileName.find_last_of('/');
  std::string base = slash == std::string::npos ? fileName : fileName.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  std::string ext = lowerAscii(std::string_view(base).substr(dot + 1));
  if (ext == "csv") return RegistryFormat::Csv;
  if (ext == "yaml" || ext == "yml") return RegistryFormat::Yaml;
  return std::nullopt;
}
}  // namespace pb
