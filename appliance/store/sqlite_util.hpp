// SPDX-License-Identifier: Apache-2.0
// Small RAII wrappers over the sqlite3 C API: a prepared statement and an IMMEDIATE transaction.
// Values only ever reach SQL through bind(); SQL text is always a constant.
// Internal to the store module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <sqlite3.h>

#include "core/result.hpp"

namespace pb::sql {

// "db" error carrying SQLite's message for `db` (never a bound value: values are not echoed).
Error dbError(sqlite3* db, std::string_view what);

// Runs constant SQL (schema, pragmas). Never pass a string that contains a value.
Status exec(sqlite3* db, const char* constantSql);

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept
      : db_(std::exchange(other.db_, nullptr)),
        stmt_(std::exchange(other.stmt_, nullptr)),
        bindRc_(other.bindRc_),
        inUse_(std::exchange(other.inUse_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    if (this != &other) {
      finalize();
      db_ = std::exchange(other.db_, nullptr);
      stmt_ = std::exchange(other.stmt_, nullptr);
      bindRc_ = other.bindRc_;
      inUse_ = std::exchange(other.inUse_, nullptr);
    }
    return *this;
  }
  ~Statement() { finalize(); }

  static Result<Statement> prepare(sqlite3* db, std::string_view constantSql);
  // Gives up ownership of the prepared statement (the caller finalizes it).
  sqlite3_stmt* release() {
    inUse_ = nullptr;
    return std::exchange(stmt_, nullptr);
  }
  // Wraps a statement owned by a StatementCache: destruction resets it for the next user instead
  // of finalizing it, and `inUse` is cleared.
  static Statement borrow(sqlite3* db, sqlite3_stmt* stmt, bool* inUse) {
    Statement s(db, stmt);
    s.inUse_ = inUse;
    return s;
  }

  // Binds parameters 1..n in order. Returns false (and remembers the error) if a bind fails.
  template <class... Args>
  Statement& bindAll(Args&&... args) {
    int index = 1;
    (bindOne(index++, std::forward<Args>(args)), ...);
    return *this;
  }

  // true: a row is available; false: done.
  Result<bool> step();
  // Steps to completion, expecting no rows (INSERT/UPDATE/DELETE).
  Status run();

  [[nodiscard]] bool isNull(int col) const;
  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] std::string text(int col) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void finalize();

  void bindOne(int index, std::int64_t v);
  void bindOne(int index, int v) { bindOne(index, static_cast<std::int64_t>(v)); }
  void bindOne(int index, bool v) { bindOne(index, static_cast<std::int64_t>(v ? 1 : 0)); }
  void bindOne(int index, std::string_view v);
  void bindOne(int index, const std::string& v) { bindOne(index, std::string_view(v)); }
  void bindOne(int index, const char* v) { bindOne(index, std::string_view(v)); }
  void bindOne(int index, std::nullptr_t);
  void noteBind(int rc);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bindRc_ = SQLITE_OK;
  bool* inUse_ = nullptr;  // set for a statement borrowed from a StatementCache
};

// Prepared statements kept for the life of the connection. Why: parsing SQL was the largest
// single cost of a device step (each admission runs about a dozen statements). A statement that is
// already borrowed (nested use of the same SQL) is prepared afresh instead of shared.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  Result<Statement> get(std::string_view constantSql);

 private:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool inUse = false;
  };
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

// BEGIN IMMEDIATE: takes the write lock at the start, so a transaction never fails half-way to
// upgrade its lock. Rolled back on destruction unless commit() succeeded.
// beginRead(): a read transaction (BEGIN DEFERRED) — every statement in it sees one snapshot;
// finish() ends it and reports a failed COMMIT instead of leaving the connection inside it.
class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  static Result<Transaction> begin(sqlite3* db);
  static Result<Transaction> beginRead(sqlite3* db);
  // Durable on return (synchronous=FULL).
  Status commit();
  // Ends a read transaction (COMMIT of nothing); same as commit(), named for the reader.
  Status finish() { return commit(); }

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;  // nullptr once committed or rolled back
};

}  // namespace pb::sql
