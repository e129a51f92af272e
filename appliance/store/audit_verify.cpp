// SPDX-License-Identifier: Apache-2.0
#include "store/audit_verify.hpp"

#include <optional>
#include <utility>

#include "store/audit_chain.hpp"

namespace pb {

const char* const kAuditColumns =
    "seq, time, actor, action, device_id, session_id, state_before, state_after, reason, "
    "policy_hash, details, prev_hash, hash, mac";

namespace {

struct VerifiedHead {
  std::int64_t seq = 0;
  std::string hash;
  std::int64_t verifiedAt = 0;
  std::string mac;
};

Result<std::optional<VerifiedHead>> loadHead(sql::StatementCache& cache) {
  auto st = cache.get("SELECT seq, hash, verified_at, mac FROM audit_verified WHERE id = 1");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<VerifiedHead>();
  return std::optional<VerifiedHead>(
      VerifiedHead{st->int64(0), st->text(1), st->int64(2), st->text(3)});
}

bool headMacValid(const VerifiedHead& h, std::span<const std::uint8_t> key) {
  auto stored = fromHex(h.mac);
  auto mac = computeVerifiedHeadMac(key, h.seq, h.hash, h.verifiedAt);
  if (!mac) return false;  // no MAC could be computed: the head is not trusted
  auto expected = fromHex(*mac);
  return stored && expected && constantTimeEqual(*stored, *expected);
}

AuditVerifyReport failed(std::int64_t seq, std::string problem) {
  AuditVerifyReport r;
  r.ok = false;
  r.full = false;
  r.firstBadSeq = seq;
  r.problem = std::move(problem);
  return r;
}

// Checks the verified head and, when it holds, returns the verifier to resume from; a report
// when it does not.
Result<std::optional<AuditVerifyReport>> checkHead(sql::StatementCache& cache,
                                                   std::span<const std::uint8_t> key,
                                                   const VerifiedHead& head) {
  const std::string n = std::to_string(head.seq);
  if (head.seq < 1 || !headMacValid(head, key)) {
    return std::optional<AuditVerifyReport>(failed(
        head.seq, "the verified-head marker (record " + n +
                      ") has an invalid MAC: it was edited or forged in the database; run a full "
                      "verification (benchctl audit verify --full)"));
  }
  auto st = cache.get(std::string("SELECT ") + kAuditColumns + " FROM audit WHERE seq = ?");
  if (!st) return st.error();
  st->bindAll(head.seq);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) {
    return std::optional<AuditVerifyReport>(
        failed(head.seq, "record " + n +
                             " was verified before and is now missing (the log was "
                             "cut back or records were deleted)"));
  }
  AuditRecord r = readAuditRow(*st);
  if (r.hash != head.hash) {
    return std::optional<AuditVerifyReport>(
        failed(head.seq, "record " + n + " was replaced since it was verified"));
  }
  // The head record itself: its hash over its contents and its MAC.
  AuditChainVerifier one(key, r.seq, r.prevHash);
  if (!one.add(r)) {
    AuditVerifyReport bad = one.report();
    bad.full = false;
    return std::optional<AuditVerifyReport>(std::move(bad));
  }
  return std::optional<AuditVerifyReport>();
}

}  // namespace

AuditRecord readAuditRow(const sql::Statement& st) {
  AuditRecord r;
  r.seq = st.int64(0);
  r.time = st.int64(1);
  r.actor = st.text(2);
  r.action = st.text(3);
  r.deviceId = st.text(4);
  r.sessionId = st.text(5);
  r.before = st.text(6);
  r.after = st.text(7);
  r.reason = st.text(8);
  r.policyHash = st.text(9);
  std::string details = st.text(10);
  r.details = nlohmann::json::parse(details, nullptr, false);
  if (r.details.is_discarded() || canonicalAuditDetails(r.details) != details) {
    r.details = nlohmann::json{{"unreadable_details", details}};
  }
  r.prevHash = st.text(11);
  r.hash = st.text(12);
  r.mac = st.text(13);
  return r;
}

Result<AuditVerifyReport> verifyStoredAudit(sqlite3* db, sql::StatementCache& cache,
                                            std::span<const std::uint8_t> key, bool incremental) {
  auto tx = sql::Transaction::beginRead(db);
  if (!tx) return tx.error();
  std::int64_t nextSeq = 1;
  std::string prevHash = kAuditGenesisHash;
  AuditVerifyReport report;
  {
    std::optional<VerifiedHead> head;
    if (incremental) {
      auto loaded = loadHead(cache);
      if (!loaded) return loaded.error();
      head = std::move(*loaded);
    }
    if (head) {
      auto bad = checkHead(cache, key, *head);
      if (!bad) return bad.error();
      if (*bad) {
        if (auto s = tx->finish(); !s) return s.error().withContext("audit verify");
        return std::move(**bad);
      }
      nextSeq = head->seq + 1;
      prevHash = head->hash;
    }
    auto st = cache.get(std::string("SELECT ") + kAuditColumns +
                        " FROM audit WHERE seq >= ? ORDER BY seq");
    if (!st) return st.error();
    st->bindAll(nextSeq);
    AuditChainVerifier verifier =
        nextSeq == 1 ? AuditChainVerifier(key) : AuditChainVerifier(key, nextSeq, prevHash);
    std::int64_t total = 0;
    for (;;) {
      auto row = st->step();
      if (!row) return row.error().withContext("audit verify");
      if (!*row) break;
      ++total;
      // Stops judging after the first problem but keeps counting what the run covered.
      verifier.add(readAuditRow(*st));
    }
    report = verifier.report();
    report.records = total;
    report.full = !head.has_value();
    report.fromSeq = nextSeq;
  }  // the statement is reset before the transaction ends
  if (auto s = tx->finish(); !s) return s.error().withContext("audit verify");
  // Note: records cut off the end of the log after the verified head (tail truncation) leave a
  // chain that verifies. Only comparing headHash / headSeq with a copy kept elsewhere reveals it.
  return report;
}

Status writeVerifiedHead(sqlite3* db, sql::StatementCache& cache, std::span<const std::uint8_t> key,
                         std::int64_t seq, const std::string& hash, std::int64_t now) {
  if (seq < 1) return {};  // an empty log: nothing to remember
  auto tx = sql::Transaction::begin(db);
  if (!tx) return tx.error();
  {
    auto current = loadHead(cache);
    if (!current) return current.error();
    if (*current && (*current)->seq >= seq && headMacValid(**current, key)) return tx->commit();
    auto st = cache.get(
        "INSERT INTO audit_verified (id, seq, hash, verified_at, mac) VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, "
        "verified_at = excluded.verified_at, mac = excluded.mac");
    if (!st) return st.error();
    auto mac = computeVerifiedHeadMac(key, seq, hash, now);
    if (!mac) return mac.error();
    st->bindAll(seq, hash, now, *mac);
    if (auto s = st->run(); !s) return s.error().withContext("verified head");
  }
  return tx->commit();
}

}  // namespace pb
