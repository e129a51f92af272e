// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role ApprovalBook: granting approvals, and consuming one inside a session step.
#include "admission/identity.hpp"
#include "core/reasons.hpp"
#include "registry/registry_row.hpp"
#include "store/sqlite_store.hpp"

namespace pb {

using namespace store_internal;  // NOLINT(google-build-using-namespace): the module's own helpers

Result<std::optional<Approval>> SqliteStore::activeApproval(const std::string& deviceId) {
  auto st = prepare(select(kApprovalColumns,
                           "FROM approvals WHERE device_id = ? AND consumed_at = 0 AND "
                           "expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1"));
  if (!st) return st.error();
  st->bindAll(deviceId, clock_.nowUnix());
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Approval>();
  return std::optional<Approval>(readApproval(*st));
}

Status SqliteStore::consumeApproval(const Transition& t, const std::string& deviceId,
                                    std::int64_t now) {
  auto st = prepare(select(kApprovalColumns, "FROM approvals WHERE id = ?"));
  if (!st) return st.error();
  st->bindAll(t.consumeApprovalId);
  auto row = st->step();
  if (!row) return row.error();
  const std::string name = "approval " + std::to_string(t.consumeApprovalId);
  if (!*row) return notFound("unknown " + name);
  Approval a = readApproval(*st);
  if (a.deviceId != deviceId) return conflict(name + " was given for another device");
  if (a.consumedAt != 0) return conflict(name + " was already used");
  if (a.expiresAt <= now) return conflict(name + " expired at " + formatUtc(a.expiresAt));
  auto up = prepare("UPDATE approvals SET consumed_at = ? WHERE id = ? AND consumed_at = 0");
  if (!up) return up.error();
  up->bindAll(now, a.id);
  if (auto s = up->run(); !s) return s;
  AuditRecord audit;
  audit.actor = t.actor;
  audit.action = "approval.consume";
  audit.deviceId = deviceId;
  audit.sessionId = t.sessionId;
  audit.reason = a.answersCode;
  audit.details = {{"approval_id", a.id},
                   {"approved_by", a.approvedBy},
                   {"serial", a.serial},
                   {"smbios_uuid", a.smbiosUuid}};
  return appendAuditInTx(std::move(audit), now);
}

Result<Approval> SqliteStore::addApproval(const std::string& deviceId, const std::string& actor,
                                          const std::string& reason, std::int64_t ttlSeconds) {
  if (ttlSeconds <= 0) {
    return makeError(std::string(reason::kAdminBadRequest), "approval lifetime must be positive");
  }
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto device = loadDevice("WHERE id = ?", deviceId);
  if (!device) return device.error();
  if (!*device) return notFound("unknown device " + deviceId);

  Approval a;
  a.deviceId = deviceId;
  a.serial = (*device)->registry.serial;
  a.smbiosUuid = (*device)->registry.smbiosUuid;
  auto latest = sessionsForDevice(deviceId, 1);
  if (!latest) return latest.error();
  if (!latest->empty()) {
    const auto& identity = latest->front().identity;
    auto it = identity.find("smbios_uuid");
    if (it != identity.end() && it->is_string()) {
      // As observed; canonical when it parses, so admission can compare it byte for byte.
      const auto& seen = it->get_ref<const std::string&>();
      auto canon = canonicalUuid(seen);
      a.smbiosUuid = canon ? *canon : seen;
    }
  }
  a.answersCode = (*device)->reasonCode;
  if (!(*device)->boundEkSha256.empty() && !latest->empty()) {
    // A bound device's record is held against unproven sessions: admission's question
    // (re-enrollment, identity mismatch) was asked on the session.
    const SessionRecord& last = latest->front();
    if (last.state == DeviceState::Quarantined ||
        (last.state == DeviceState::Blocked && last.reasonCode == reason::kApprovalRequired)) {
      a.answersCode = last.reasonCode;
    }
  }
  a.approvedBy = actor;
  a.reason = reason;
  a.createdAt = now;
  a.expiresAt = now + ttlSeconds;
  auto ins = prepare(
      "INSERT INTO approvals (device_id, serial, smbios_uuid, answers_code, approved_by, reason, "
      "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(a.deviceId, a.serial, a.smbiosUuid, a.answersCode, a.approvedBy, a.reason,
               a.createdAt, a.expiresAt);
  if (auto s = ins->run(); !s) return s.error();
  a.id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));

  AuditRecord audit;
  audit.actor = actor;
  audit.action = "approval.grant";
  audit.deviceId = deviceId;
  audit.reason = reason;
  audit.details = {{"approval_id", a.id},
                   {"answers_code", a.answersCode},
                   {"serial", a.serial},
                   {"smbios_uuid", a.smbiosUuid},
                   {"expires_at", formatUtc(a.expiresAt)}};
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  return a;
}

}  // namespace pb
