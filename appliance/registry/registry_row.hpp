// SPDX-License-Identifier: Apache-2.0
// One row of the asset register: a device the organisation expects on the bench.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace pb
