// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the asset-register parser. The first byte selects the format (even: CSV,
// odd: YAML); the rest is the file. Checks the parser's promises, not just "no crash": it never
// throws, never returns rows alongside errors, and every row it returns passes validation again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "registry/registry_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto format = (data[0] & 1u) ? pb::RegistryFormat::Yaml : pb::RegistryFormat::Csv;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  pb::RegistryParse parsed = pb::parseRegistry(text, format, 1780000000);
  if (!parsed.errors.empty() && !parsed.rows.empty()) std::abort();
  for (const auto& row : parsed.rows) {
    if (!pb::validateRegistryRow(row).empty()) std::abort();
    if (pb::canonicalUuid(row.smbiosUuid) != row.smbiosUuid) std::abort();
    if (pb::isBogusSerial(row.serial) || pb::isBogusUuid(row.smbiosUuid)) std::abort();
  }
  // The helpers admission uses on raw device input.
  auto canon = pb::canonicalUuid(text);
  if (canon && pb::canonicalUuid(*canon) != canon) std::abort();
  (void)pb::isBogusSerial(text);
  (void)pb::isBogusUuid(text);
  return 0;
}
