// SPDX-License-Identifier: Apache-2.0
// Verifying the audit chain stored in SQLite, in full or incrementally from the verified head.
// Internal to the store module (SqliteStore calls these on its own connection).
//
// The verified head (table audit_verified, migration 5) says "records 1..seq were found intact,
// and record seq hashes to `hash`". An incremental verification trusts it only after checking:
//  1. its MAC (HMAC with the audit key over seq, hash and time): someone who can write the file
//     but has no key cannot move it forward past records they edited;
//  2. that record `seq` still exists, still has that hash, and its own hash and MAC verify: a log
//     cut back below the head, or the head record replaced, is reported.
// Then only the records after seq are read, chained from the head's hash. What it does not see:
// a record *before* the head edited after it was verified (its successors still link to the old
// hash) — that is what `audit verify --full` is for. Moving the head back (replaying an older
// marker) only makes the next verification longer.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <sqlite3.h>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "store/sqlite_util.hpp"
#include "store/store.hpp"

namespace pb {

// Column list of the audit table in the order readAuditRow expects.
extern const char* const kAuditColumns;

// For display and verification. When the stored details text is not exactly what the writer
// produced (canonical JSON), it is replaced by a value that cannot hash like the original, so
// verification reports the record as edited instead of silently normalising the change away.
AuditRecord readAuditRow(const sql::Statement& st);

// One read transaction (a consistent snapshot while the writer keeps appending). `incremental`:
// start after the verified head when there is one (see above).
Result<AuditVerifyReport> verifyStoredAudit(sqlite3* db, sql::StatementCache& cache,
                                            std::span<const std::uint8_t> key, bool incremental);

// Moves the verified head forward to (seq, hash); a head already at or past seq is left alone,
// unless its MAC does not verify (then it is replaced). One IMMEDIATE transaction.
Status writeVerifiedHead(sqlite3* db, sql::StatementCache& cache, std::span<const std::uint8_t> key,
                         std::int64_t seq, const std::string& hash, std::int64_t now);

}  // namespace pb
