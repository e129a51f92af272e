// SPDX-License-Identifier: Apache-2.0
// Versioned schema migrations for the inventory database. Internal to the store module.
//
// Rules: a migration is never edited once released; a change is a new migration with the next
// version. Each runs in its own transaction together with its schema_version row, so a crash
// leaves the database at the previous version or the next one, never in between.
#pragma once

#include <cstdint>
#include <span>

#include <sqlite3.h>

#include "core/result.hpp"

namespace pb {

struct Migration {
  int version;
  const char* description;
  const char* sql;  // constant DDL only
  // Runs inside the migration's transaction before `sql`: refuses, with a message an operator can
  // act on, data the new schema cannot hold (nullptr: none).
  Status (*precheck)(sqlite3* db) = nullptr;
};

std::span<const Migration> storeMigrations();
int latestSchemaVersion();

// Creates schema_version if needed, refuses a database newer than this build, applies the pending
// migrations and returns the resulting version.
Result<int> migrateStore(sqlite3* db, std::int64_t now);

}  // namespace pb
