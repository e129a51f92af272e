// SPDX-License-Identifier: Apache-2.0
// The asset-register file parser: CSV (RFC 4180) or YAML in, validated RegistryRows out. Pure: no
// database, no clock (the caller passes `now`), no exceptions.
//
// The register is typed or exported by people, so the parser reports every problem it finds, each
// with its line and column name, in one run; the caller imports nothing when there is any error.
//
// Columns / keys: serial, smbios_uuid, model, owner, owner_email, tenant, ek_sha256 (optional),
// window_from, window_until. CSV needs a header row (any column order; names are matched after
// trimming, case-insensitively). YAML is a top-level sequence of mappings, or `devices:` holding
// that sequence; keys are matched exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/registry_row.hpp"

namespace pb {

enum class RegistryFormat { Csv, Yaml };

struct RowError {
  int line = 0;       // 1-based; 0 for a problem with the whole input (e.g. too large)
  std::string field;  // column / key name, "" for row- or file-level problems
  std::string message;
};

struct RegistryParse {
  std::vector<RegistryRow> rows;  // only meaningful when errors is empty
  std::vector<RowError> errors;
  // Not errors: rows that are valid but probably not what the admin meant (an enrollment window
  // that has already closed). Shown to the admin; they do not stop an import.
  std::vector<RowError> warnings;
};

inline constexpr std::size_t kMaxRegistryBytes = std::size_t{16} * 1024 * 1024;
inline constexpr std::size_t kMaxRegistryRows = 100000;
inline constexpr std::size_t kMaxRegistryTextField = 128;  // serial, model, owner, tenant
inline constexpr std::size_t kMaxRegistryEmail = 254;      // RFC 5321 path limit

// Never throws. Format chosen by the caller (benchctl picks it from the extension).
RegistryParse parseRegistry(std::string_view text, RegistryFormat format, std::int64_t now);
// ".csv" -> Csv, ".yaml"/".yml" -> Yaml (case-insensitive), anything else nullopt.
std::optional<RegistryFormat> registryFormatForFile(const std::string& fileName);

// Checks an already-normalised row (canonical UUID, lower-case EK hash) against the same rules the
// parser applies. The store calls this again before writing, so a row that did not come through
// parseRegistry cannot slip past validation. Errors carry row.line.
std::vector<RowError> validateRegistryRow(const RegistryRow& row);

// Shared with admission: placeholder identifiers that cannot identify a device. Trimmed and
// case-insensitive; "" and whitespace-only are bogus too.
bool isBogusSerial(std::string_view serial);
// Firmware default UUIDs (all-zero, all-F, any single repeated digit, well-known board defaults).
// Accepts any form canonicalUuid accepts; an unparseable UUID is bogus as well.
bool isBogusUuid(std::string_view canonicalUuid);
// Accepts upper/lower case, with or without braces, surrounding whitespace ignored; returns the
// lower-case 8-4-4-4-12 form, nullopt for anything else.
std::optional<std::string> canonicalUuid(std::string_view text);

}  // namespace pb
