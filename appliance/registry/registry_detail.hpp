// SPDX-License-Identifier: Apache-2.0
// Internal to pb_registry: what the register parser's files share (column names, the row rules,
// the format-independent row builder). Not installed; include only from appliance/registry/*.cpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry_import.hpp"

namespace pb::registry_detail {

inline constexpr std::string_view kSerial = "serial";
inline constexpr std::string_view kUuid = "smbios_uuid";
inline constexpr std::string_view kModel = "model";
inline constexpr std::string_view kOwner = "owner";
inline constexpr std::string_view kEmail = "owner_email";
inline constexpr std::string_view kTenant = "tenant";
inline constexpr std::string_view kEk = "ek_sha256";
inline constexpr std::string_view kFrom = "window_from";
inline constexpr std::string_view kUntil = "window_until";

// Column order here is the order errors are reported in for one row.
inline constexpr std::array<std::string_view, 9> kColumns{kSerial, kUuid, kModel, kOwner, kEmail,
                                                          kTenant, kEk,   kFrom,  kUntil};
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
inline constexpr std::size_t kMaxParseIssues =
    1000;  // YAML structure issues kept; the rest are counted

inline bool isOptionalColumn(std::string_view c) {
  return c == kEk;
}
inline std::size_t columnIndex(std::string_view c) {
  return static_cast<std::size_t>(std::find(kColumns.begin(), kColumns.end(), c) -
                                  kColumns.begin());
}
inline bool isKnownColumn(std::string_view c) {
  return std::find(kColumns.begin(), kColumns.end(), c) != kColumns.end();
}
inline std::string fieldName(std::string_view f) {
  return std::string(f);
}

std::string_view trim(std::string_view s);
char lowerAscii(char c);
std::string lowerAscii(std::string_view s);

// The row rules (registry_rules.cpp). `skip` names fields that already failed to parse (their
// error was reported by the parser).
void validateInto(const RegistryRow& row, const std::set<std::string_view>& skip,
                  std::vector<RowError>& out);

// ---- format-independent row building (registry_rows.cpp) ----

struct RawField {
  std::string value;
  int line = 0;
  bool present = false;
};
using RawRow = std::map<std::string_view, RawField>;  // keys from kColumns

class RowBuilder {
 public:
  RowBuilder(std::int64_t now, RegistryParse& out) : now_(now), out_(out) {}

  // `rowLine` is where the record starts; each field may carry a more precise line (YAML).
  void add(const RawRow& raw, int rowLine);

 private:
  static void parseWindow(std::string_view field, const std::string& text, std::int64_t& value,
                          int line, std::vector<RowError>& errors,
                          std::set<std::string_view>& skip);
  static void checkDuplicate(const std::string& key, int line, std::string_view field,
                             const std::string& what, std::map<std::string, int>& seen,
                             std::vector<RowError>& errors);

  std::int64_t now_;
  RegistryParse& out_;
  std::map<std::string, int> seenSerials_;  // lower-cased serial -> first line
  std::map<std::string, int> seenUuids_;
  std::map<std::string, int> seenEks_;  // lower-case EK hash -> first line
};

// Replaces everything found so far with the one "too many rows" error.
void tooManyRows(RegistryParse& out, int line);

// The two formats (registry_csv.cpp, registry_yaml.cpp); they append to `out`.
void parseCsv(std::string_view text, std::int64_t now, RegistryParse& out);
void parseYaml(std::string_view text, std::int64_t now, RegistryParse& out);

}  // namespace pb::registry_detail
