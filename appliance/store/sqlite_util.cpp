// SPDX-License-Identifier: Apache-2.0
#include "store/sqlite_util.hpp"

#include <climits>

namespace pb::sql {

Error dbError(sqlite3* db, std::string_view what) {
  std::string msg(what);
  if (db != nullptr) {
    msg += ": ";
    msg += sqlite3_errmsg(db);
    // Name the cause: with a short busy timeout this is what an operator's open sqlite3 shell or
    // a backup job holding the lock looks like.
    if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_BUSY) {
      msg += " (another connection held the lock past the busy timeout)";
    }
  }
  return makeError("db", msg);
}

Status exec(sqlite3* db, const char* constantSql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, constantSql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return makeError("db", msg);
  }
  return {};
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view constantSql) {
  sqlite3_stmt* stmt = nullptr;
  if (constantSql.size() > static_cast<std::size_t>(INT_MAX))
    return makeError("db", "SQL too long");
  int rc = sqlite3_prepare_v2(db, constantSql.data(), static_cast<int>(constantSql.size()), &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return dbError(db, "prepare");
  }
  return Statement(db, stmt);
}

void Statement::finalize() {
  if (stmt_ != nullptr) {
    if (inUse_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      *inUse_ = false;
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  stmt_ = nullptr;
  inUse_ = nullptr;
}

StatementCache::~StatementCache() {
  for (auto& [sql, entry] : entries_) sqlite3_finalize(entry->stmt);
}

Result<Statement> StatementCache::get(std::string_view constantSql) {
  auto it = entries_.find(std::string(constantSql));
  if (it == entries_.end()) {
    auto prepared = Statement::prepare(db_, constantSql);
    if (!prepared) return prepared.error();
    auto entry = std::make_unique<Entry>();
    // Take the raw statement over from the one-off wrapper.
    entry->stmt = prepared->release();
    it = entries_.emplace(std::string(constantSql), std::move(entry)).first;
  }
  Entry& e = *it->second;
  if (e.inUse) return Statement::prepare(db_, constantSql);
  e.inUse = true;
  return Statement::borrow(db_, e.stmt, &e.inUse);
}

void Statement::noteBind(int rc) {
  if (rc != SQLITE_OK && bindRc_ == SQLITE_OK) bindRc_ = rc;
}

void Statement::bindOne(int index, std::int64_t v) {
  noteBind(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(v)));
}

void Statement::bindOne(int index, std::string_view v) {
  if (v.size() > static_cast<std::size_t>(INT_MAX)) {
    noteBind(SQLITE_TOOBIG);
    return;
  }
  // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are fine.
  noteBind(sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
}

void Statement::bindOne(int index, std::nullptr_t) {
  noteBind(sqlite3_bind_null(stmt_, index));
}

Result<bool> Statement::step() {
  if (bindRc_ != SQLITE_OK) {
    return makeError("db", std::string("bind: ") + sqlite3_errstr(bindRc_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return dbError(db_, "step");
}

Status Statement::run() {
  auto r = step();
  if (!r) return r.error();
  if (*r) return makeError("db", "statement returned rows where none were expected");
  return {};
}

bool Statement::isNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t Statement::int64(int col) const {
  return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, col));
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);  // after column_text, per the SQLite docs
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

Result<Transaction> Transaction::begin(sqlite3* db) {
  if (auto s = exec(db, "BEGIN IMMEDIATE"); !s) return s.error().withContext("begin transaction");
  return Transaction(db);
}

Result<Transaction> Transaction::beginRead(sqlite3* db) {
  if (auto s = exec(db, "BEGIN DEFERRED"); !s) return s.error().withContext("begin read");
  return Transaction(db);
}

Status Transaction::commit() {
  if (db_ == nullptr) return makeError("db", "transaction already finished");
  if (auto s = exec(db_, "COMMIT"); !s) {
    // The destructor rolls back whatever is left of the transaction.
    return s.error().withContext("commit");
  }
  db_ = nullptr;
  return {};
}

Transaction::~Transaction() {
  // The transaction may already be gone (SQLite rolls back by itself after some errors).
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace pb::sql
