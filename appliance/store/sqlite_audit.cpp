// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role AuditLog: appending to the hash chain and reading and verifying it.
#include "store/audit_chain.hpp"
#include "store/audit_verify.hpp"
#include "store/sqlite_store.hpp"

namespace pb {

using namespace store_internal;  // NOLINT(google-build-using-namespace): the module's own helpers

Status SqliteStore::appendAuditInTx(AuditRecord r, std::int64_t now) {
  auto last = prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (!last) return last.error();
  auto row = last->step();
  if (!row) return row.error();
  AuditRecord previous;
  bool havePrevious = *row;
  if (havePrevious) {
    previous.seq = last->int64(0);
    previous.hash = last->text(1);
  }
  r.seq = havePrevious ? previous.seq + 1 : 1;
  r.time = now;
  r.policyHash = policyHash_;
  if (auto s = sealAuditRecord(r, havePrevious ? &previous : nullptr, key_); !s) return s;
  auto ins = prepare(std::string("INSERT INTO audit (") + kAuditColumns +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(r.seq, r.time, r.actor, r.action, r.deviceId, r.sessionId, r.before, r.after,
               r.reason, r.policyHash, canonicalAuditDetails(r.details), r.prevHash, r.hash, r.mac);
  if (auto s = ins->run(); !s) return s.error().withContext("audit append");
  return {};
}

Status SqliteStore::appendAudit(AuditRecord record) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  if (auto s = appendAuditInTx(std::move(record), now); !s) return s;
  return tx->commit();
}

Result<std::vector<AuditRecord>> SqliteStore::auditTail(int count) {
  auto st = prepare(std::string("SELECT * FROM (") + select(kAuditColumns, "FROM audit") +
                    " ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC");
  if (!st) return st.error();
  st->bindAll(count > 0 ? count : -1);
  return readAll<AuditRecord>(*st, readAuditRow);
}

Result<std::vector<AuditRecord>> SqliteStore::auditForDevice(const std::string& deviceId,
                                                             int count) {
  auto st = prepare(std::string("SELECT * FROM (") +
                    select(kAuditColumns, "FROM audit WHERE device_id = ?") +
                    " ORDER BY seq DESC LIMIT ?) ORDER BY seq ASC");
  if (!st) return st.error();
  st->bindAll(deviceId, count > 0 ? count : -1);
  return readAll<AuditRecord>(*st, readAuditRow);
}

Result<std::int64_t> SqliteStore::auditCount() {
  auto st = prepare("SELECT COUNT(*) FROM audit");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return st->int64(0);
}

Result<AuditVerifyReport> SqliteStore::verifyAudit() {
  return verifyStoredAudit(db_, *cache_, key_, /*incremental=*/false);
}

Result<AuditVerifyReport> SqliteStore::verifyAuditIncremental() {
  return verifyStoredAudit(db_, *cache_, key_, /*incremental=*/true);
}

Status SqliteStore::recordVerifiedHead(std::int64_t seq, const std::string& hash) {
  if (readOnly_) return makeError("db", "recordVerifiedHead on a read-only connection");
  return writeVerifiedHead(db_, *cache_, key_, seq, hash, clock_.nowUnix());
}

Result<AuditVerifyReport> SqliteStore::verifyAuditHead() {
  auto st = prepare(select(kAuditColumns, "FROM audit ORDER BY seq DESC LIMIT 2"));
  if (!st) return st.error();
  std::vector<AuditRecord> newest;  // newest first
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    newest.push_back(readAuditRow(*st));
  }
  if (newest.empty()) return AuditVerifyReport{true, 0, 0, "", ""};
  return pb::verifyAuditHead(newest.size() > 1 ? &newest[1] : nullptr, newest[0], key_);
}

}  // namespace pb
