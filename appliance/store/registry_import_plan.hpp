// SPDX-License-Identifier: Apache-2.0
// A register import in two halves, so that a 100,000-row file does not stall benchd's one loop:
//
//   planRegistryImport  reads only (benchd runs it on the StoreWorker's read-only connection):
//                       validates every row, decides create / update / unchanged per row against
//                       the database as it is now, and finds every clash with the database (a
//                       UUID or EK that would belong to two devices; PB-1023's rule for EKs).
//                       It reports every problem with its line; an import with any is refused.
//   Store::applyImportChunk  writes a slice of a clean plan in one short transaction on the loop,
//                       after checking that each row's device is still what the plan saw.
//
// Why chunks of committed transactions and not one transaction spanning the loop's turns: benchd
// has one writing connection, shared by every session. A transaction left open across turns would
// take in the sessions' own writes (and a rollback of the import would undo them); a second
// writing connection would make every session write wait on SQLite's lock instead. So validation
// is complete before the first write (a bad row anywhere, or a clash with the database, imports
// nothing), and the writes go in slices of a few milliseconds each.
//
// The one window left is a change between the plan and the write of a row (an attestation binds an
// EK the file gives another device, a session adopts a UUID, a device record changes). The chunk
// holding that row is not written (fail closed, PB-9504 conflict) and the import stops there; the
// chunks before it stay written. Running the same file again is safe and finishes the job: rows
// already written are "unchanged" (no write, no audit record), and the rest are checked afresh.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "registry/registry_row.hpp"

namespace pb {

class Store;

enum class ImportOp { Create, Update, Unchanged };

struct PlannedImportRow {
  RegistryRow row;  // validated, as it will be written
  ImportOp op = ImportOp::Create;
  std::string deviceId;  // Update / Unchanged: the device the serial named when planned
  RegistryRow before;    // Update / Unchanged: its register values then (the apply compares)
};

struct ImportPlan {
  std::vector<PlannedImportRow> rows;  // file order; empty when there is any problem
  std::vector<RowError> badRows;       // a row is wrong in itself (or repeats another row)
  std::vector<RowError> conflicts;     // a row clashes with the database
  // Devices of the database this import rewrites: a UUID or EK another of them holds now is
  // being moved by the same import (a swap), not a clash.
  std::set<std::string> deviceIds;

  [[nodiscard]] bool clean() const { return badRows.empty() && conflicts.empty(); }
};

// What one applied slice did: counts, and the device id of each of its rows, in order.
struct ImportChunkResult {
  int created = 0;
  int updated = 0;
  int unchanged = 0;
  std::vector<std::string> ids;
};

// At most this many problems are listed (the rest are counted in one more entry).
inline constexpr std::size_t kMaxImportProblems = 1000;

// Reads only; never writes. An Error is a failed read, not a problem with the file.
Result<ImportPlan> planRegistryImport(Store& store, const std::vector<RegistryRow>& rows);

// The two register values the import compares (exact: serial case included).
bool sameRegistration(const RegistryRow& a, const RegistryRow& b);

}  // namespace pb
