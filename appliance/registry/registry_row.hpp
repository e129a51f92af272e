// SPDX-License-Identifier: Apache-2.0
// One row of the asset register: a device the organisation expects on the bench.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pb {

struct RegistryRow {
  std::string serial;
  std::string smbiosUuid;  // canonical lower-case 8-4-4-4-12 form
  std::string model;
  std::string owner;
  std::string ownerEmail;
  std::string tenant;
  std::string ekSha256;  // optional: lower-case hex SHA-256 of the EK public area, "" when unknown
  std::int64_t windowFrom = 0;   // enrollment window, Unix seconds UTC, inclusive
  std::int64_t windowUntil = 0;  // exclusive
  int line = 0;                  // source line in the imported file (for error reports)
};

struct RowError {
  int line = 0;       // 1-based; 0 for a problem with the whole input (e.g. too large)
  std::string field;  // column / key name, "" for row- or file-level problems
  std::string message;
};

// Checks an already-normalised row (canonical UUID, lower-case EK hash) against the same rules the
// parser applies. Declared with the row, not the parser, because the store calls it again before
// writing (a row that did not come through parseRegistry cannot slip past validation) and the
// store must not depend on the importer. Errors carry row.line.
std::vector<RowError> validateRegistryRow(const RegistryRow& row);

}  // namespace pb
