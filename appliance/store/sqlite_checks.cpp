// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role CheckRunLog: the policy checks' results per session.
#include "core/reasons.hpp"
#include "store/sqlite_store.hpp"

namespace pb {

using namespace store_internal;  // NOLINT(google-build-using-namespace): the module's own helpers

Status SqliteStore::recordCheckRun(const CheckRun& run, const std::string& actor) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto session = loadSession(run.sessionId);
  if (!session) return session.error();
  if (!*session) return notFound("unknown session " + run.sessionId);
  auto existing = prepare("SELECT 1 FROM check_results WHERE session_id = ? LIMIT 1");
  if (!existing) return existing.error();
  existing->bindAll(run.sessionId);
  auto row = existing->step();
  if (!row) return row.error();
  if (*row) return conflict("session " + run.sessionId + " already has check results");
  nlohmann::json notPassed = nlohmann::json::object();
  std::map<std::string, int> counts{{"pass", 0}, {"warn", 0}, {"fail", 0}, {"missing_data", 0}};
  for (std::size_t i = 0; i < run.checks.size(); ++i) {
    const StoredCheck& c = run.checks[i];
    // Borrowed per row: the cache resets the statement when it is handed back.
    auto ins = prepare(
        "INSERT INTO check_results (session_id, device_id, policy_hash, position, check_id, "
        "outcome, code, message, remediation, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return ins.error();
    ins->bindAll(run.sessionId, run.deviceId, run.policyHash, static_cast<std::int64_t>(i),
                 c.checkId, c.outcome, c.code, c.message, c.remediation, now);
    // A CHECK constraint failure (unknown outcome) or a duplicate id aborts the whole run.
    if (auto st = ins->run(); !st) return st.error().withContext("check " + c.checkId);
    if (auto it = counts.find(c.outcome); it != counts.end()) ++it->second;
    if (c.outcome != "pass") notPassed[c.checkId] = c.code;
  }
  if (!run.factsJson.empty()) {
    auto facts = prepare("INSERT INTO check_facts (session_id, facts) VALUES (?, ?)");
    if (!facts) return facts.error();
    facts->bindAll(run.sessionId, run.factsJson);
    if (auto st = facts->run(); !st) return st.error().withContext("check facts");
  }
  AuditRecord audit;
  audit.actor = actor;
  audit.action = "checks.recorded";
  audit.deviceId = run.deviceId;
  audit.sessionId = run.sessionId;
  audit.details = {{"policy_hash", run.policyHash}, {"counts", counts}, {"not_passed", notPassed}};
  if (auto st = appendAuditInTx(std::move(audit), now); !st) return st;
  return tx->commit();
}

Result<std::optional<CheckRun>> SqliteStore::checkRunForSession(const std::string& sessionId) {
  auto st = prepare(
      "SELECT device_id, policy_hash, recorded_at, check_id, outcome, code, message, remediation "
      "FROM check_results WHERE session_id = ? ORDER BY position ASC");
  if (!st) return st.error();
  st->bindAll(sessionId);
  std::optional<CheckRun> run;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    if (!run) {
      run.emplace();
      run->sessionId = sessionId;
      run->deviceId = st->text(0);
      run->policyHash = st->text(1);
      run->recordedAt = st->int64(2);
    }
    run->checks.push_back(
        StoredCheck{st->text(3), st->text(4), st->text(5), st->text(6), st->text(7)});
  }
  if (run) {
    auto facts = prepare("SELECT facts FROM check_facts WHERE session_id = ?");
    if (!facts) return facts.error();
    facts->bindAll(sessionId);
    auto row = facts->step();
    if (!row) return row.error();
    if (*row) run->factsJson = facts->text(0);
  }
  return run;
}

Result<std::optional<CheckRun>> SqliteStore::latestCheckRunForDevice(const std::string& deviceId) {
  std::string sessionId;
  {
    auto st = prepare(
        "SELECT session_id FROM check_results WHERE device_id = ? "
        "ORDER BY recorded_at DESC, rowid DESC LIMIT 1");
    if (!st) return st.error();
    st->bindAll(deviceId);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return std::optional<CheckRun>();
    sessionId = st->text(0);
  }
  return checkRunForSession(sessionId);
}

}  // namespace pb
