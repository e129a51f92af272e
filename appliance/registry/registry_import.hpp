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

#include "admission/identity.hpp"
#include "registry/registry_row.hpp"

namespace pb {

enum class RegistryFormat { Csv, Yaml };

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

// The identity rules the parser applies (isBogusSerial, isBogusUuid, canonicalUuid) live in
// admission/identity.hpp, included here so callers of the parser keep seeing them.

}  // namespace pb
