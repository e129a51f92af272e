// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role SessionLedger: sessions and their steps, checked against the transition
// table and the identity rule (store.hpp, session_ledger.hpp) inside one transaction.
#include <cctype>

#include "admission/identity.hpp"
#include "core/reasons.hpp"
#include "registry/registry_row.hpp"
#include "store/sqlite_store.hpp"
#include "store/transition_table.hpp"

namespace pb {

using namespace store_internal;  // NOLINT(google-build-using-namespace): the module's own helpers

Result<std::optional<SessionRecord>> SqliteStore::loadSession(const std::string& id) {
  auto st = prepare(select(kSessionColumns, "FROM sessions WHERE id = ?"));
  if (!st) return st.error();
  st->bindAll(id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<SessionRecord>();
  auto s = readSession(*st);
  if (!s) return s.error();
  return std::optional<SessionRecord>(std::move(s).value());
}

Result<std::optional<SessionRecord>> SqliteStore::findSession(const std::string& id) {
  return loadSession(id);
}

// A non-positive limit means "no limit" (SQLite's LIMIT -1).
Result<std::vector<SessionRecord>> SqliteStore::listSessions(bool openOnly, int limit) {
  auto st =
      prepare(select(kSessionColumns, openOnly ? "FROM sessions WHERE open = 1 "
                                                 "ORDER BY started_at DESC, rowid DESC LIMIT ?"
                                               : "FROM sessions "
                                                 "ORDER BY started_at DESC, rowid DESC LIMIT ?"));
  if (!st) return st.error();
  st->bindAll(limit > 0 ? limit : -1);
  return readAll<SessionRecord>(*st, readSession);
}

Result<std::vector<SessionRecord>> SqliteStore::sessionsForDevice(const std::string& deviceId,
                                                                  int limit) {
  auto st = prepare(select(kSessionColumns,
                           "FROM sessions WHERE device_id = ? "
                           "ORDER BY started_at DESC, rowid DESC LIMIT ?"));
  if (!st) return st.error();
  st->bindAll(deviceId, limit > 0 ? limit : -1);
  return readAll<SessionRecord>(*st, readSession);
}

Result<std::int64_t> SqliteStore::openSessionCount() {
  auto st = prepare("SELECT COUNT(*) FROM sessions WHERE open = 1");  // index sessions_open
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return st->int64(0);
}

Result<SessionRecord> SqliteStore::createSession(SessionRecord init, const std::string& actor) {
  const std::int64_t now = clock_.nowUnix();
  if (init.id.empty()) init.id = "s-" + randomHex(8);
  init.state = DeviceState::Discovered;
  init.reasonCode.clear();
  init.retryable = false;
  init.open = true;
  init.policyHash = policyHash_;
  init.startedAt = now;
  init.updatedAt = now;

  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  std::string before;
  bool moveDevice = false;
  if (!init.deviceId.empty()) {
    auto device = loadDevice("WHERE id = ?", init.deviceId);
    if (!device) return device.error();
    if (!*device) return notFound("unknown device " + init.deviceId);
    // A device that already has an open session keeps the state that session gave it: a
    // duplicate connection must not overwrite the record of the live one.
    auto live = prepare("SELECT COUNT(*) FROM sessions WHERE device_id = ? AND open = 1");
    if (!live) return live.error();
    live->bindAll(init.deviceId);
    auto row = live->step();
    if (!row) return row.error();
    // Nor may a claim move a device whose EK is bound: until this session proves that EK, only
    // the session record speaks (applyTransition).
    moveDevice = live->int64(0) == 0 && (*device)->boundEkSha256.empty();
    if (moveDevice) before = stateString((*device)->state);
  }
  auto ins = prepare(std::string("INSERT INTO sessions (") + kSessionColumns +
                     ") VALUES (?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!ins) return ins.error();
  ins->bindAll(init.id, init.deviceId, init.source, init.slot, dumpJson(init.identity),
               toString(init.state), init.reasonCode, init.retryable, init.open, init.policyHash,
               init.startedAt, init.updatedAt);
  if (auto s = ins->run(); !s) return s.error().withContext("create session");

  if (moveDevice) {
    auto up = prepare(
        "UPDATE devices SET state = ?, reason_code = '', retryable = 0, state_since = ?, "
        "last_session_id = ?, slot = ?, updated_at = ? WHERE id = ?");
    if (!up) return up.error();
    up->bindAll(toString(init.state), now, init.id, init.slot, now, init.deviceId);
    if (auto s = up->run(); !s) return s.error();
  }
  AuditRecord audit;
  audit.actor = actor;
  audit.action = "session.discovered";
  audit.deviceId = init.deviceId;
  audit.sessionId = init.id;
  audit.before = before;
  audit.after = toString(init.state);
  audit.details = {{"source", init.source}, {"slot", init.slot}, {"identity", init.identity}};
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  if (auto s = tx->commit(); !s) return s.error();
  return init;
}

Status SqliteStore::applyTransition(const Transition& t) {
  const std::int64_t now = clock_.nowUnix();
  if (t.action.empty()) return makeError("db", "a transition needs an audit action");
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();

  auto session = loadSession(t.sessionId);
  if (!session) return session.error();
  if (!*session) return notFound("unknown session " + t.sessionId);
  SessionRecord& s = **session;
  if (!s.open) return conflict("session " + s.id + " is closed");
  // The state machine is data (transition_table.hpp): a step it does not list is refused here,
  // inside the transaction, before anything is written.
  if (!transitionAllowed(s.state, t.to)) {
    return conflict("session " + s.id + " cannot go from " + std::string(toString(s.state)) +
                    " to " + std::string(toString(t.to)));
  }

  // An empty t.deviceId means "this step does not speak for the device" (an unregistered device,
  // or a duplicate session that must leave the live one's record alone): session only. A session
  // may learn its device at a step (identified after Hello), but never changes device.
  const std::string& deviceId = t.deviceId;
  if (!deviceId.empty() && !s.deviceId.empty() && s.deviceId != deviceId) {
    return conflict("session " + s.id + " belongs to device " + s.deviceId + ", not " + deviceId);
  }
  const std::string sessionDeviceId = deviceId.empty() ? s.deviceId : deviceId;
  std::optional<DeviceRecord> device;
  if (!deviceId.empty()) {
    auto d = loadDevice("WHERE id = ?", deviceId);
    if (!d) return d.error();
    if (!*d) return notFound("unknown device " + deviceId);
    device = std::move(*d);
  } else if (t.consumeApprovalId != 0 || !t.adoptSmbiosUuid.empty() || !t.bindEkSha256.empty()) {
    return makeError("db", "approval, UUID adoption and EK binding need a registered device");
  }

  std::string adoptUuid;
  if (!t.adoptSmbiosUuid.empty()) {
    auto canon = canonicalUuid(t.adoptSmbiosUuid);
    if (!canon || isBogusUuid(*canon)) {
      return makeError("db", "cannot adopt an invalid or placeholder SMBIOS UUID");
    }
    adoptUuid = *canon;
  }
  std::string bindEk;
  if (!t.bindEkSha256.empty()) {
    bindEk = t.bindEkSha256;
    for (char& c : bindEk) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!isLowerHex64(bindEk)) return makeError("db", "EK hash must be 64 hex digits");
    // One TPM, one device. The stage checks first; this is the check inside the transaction
    // (and the unique index of migration 4 behind it).
    auto holder = otherEkHolder(bindEk, deviceId);
    if (!holder) return holder.error();
    if (!holder->empty()) {
      return makeError(std::string(reason::kEkBoundElsewhere),
                       "EK " + bindEk + " already identifies " + *holder);
    }
    if (!device->boundEkSha256.empty() && device->boundEkSha256 != bindEk) {
      return makeError(std::string(reason::kEkMismatch),
                       "device " + deviceId + " is bound to another EK");
    }
  }
  std::string held;
  if (device) {
    auto why = deviceHeldFrom(*device, s, bindEk);
    if (!why) return why.error();
    held = std::move(*why);
  }

  const std::string before(toString(s.state));
  const std::string after(toString(t.to));
  auto up = prepare(
      "UPDATE sessions SET device_id = NULLIF(?, ''), state = ?, reason_code = ?, retryable = ?, "
      "open = ?, updated_at = ? WHERE id = ?");
  if (!up) return up.error();
  up->bindAll(sessionDeviceId, after, t.reasonCode, t.retryable, !t.closeSession && s.open, now,
              s.id);
  if (auto st = up->run(); !st) return st;

  AuditRecord audit;
  audit.actor = t.actor;
  audit.action = t.action;
  audit.deviceId = sessionDeviceId;  // the session's device, even when not touched
  audit.sessionId = s.id;
  audit.before = before;
  audit.after = after;
  audit.reason = t.reasonCode;
  audit.details = t.details;
  if (!held.empty()) {
    if (!audit.details.is_object()) audit.details = nlohmann::json::object();
    audit.details["device_unchanged"] = held;
  }
  if (auto st = appendAuditInTx(std::move(audit), now); !st) return st;

  if (device && held.empty()) {
    const bool newState = device->state != t.to || device->lastSessionId != s.id;
    auto dev = prepare(
        "UPDATE devices SET state = ?, reason_code = ?, retryable = ?, state_since = ?, "
        "last_session_id = ?, slot = ?, enrolled_at = ?, bound_ek_sha256 = ?, updated_at = ? "
        "WHERE id = ?");
    if (!dev) return dev.error();
    // Attested is enrolled: from then on the device's return is a re-enrollment (PB-1020).
    const bool enrolls = t.to == DeviceState::Attested || t.to == DeviceState::Ready;
    dev->bindAll(after, t.reasonCode, t.retryable, newState ? now : device->stateSince, s.id,
                 s.slot, enrolls ? now : device->enrolledAt,
                 bindEk.empty() ? device->boundEkSha256 : bindEk, now, deviceId);
    if (auto st = dev->run(); !st) {
      // The unique index: another transaction bound the EK first. Not an internal error.
      if (sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE && !bindEk.empty()) {
        return makeError(std::string(reason::kEkBoundElsewhere),
                         "EK " + bindEk + " is already bound to another device");
      }
      return st;
    }
  }
  if (device) {
    // An admin's approval was given for this question, and is used up by asking it again.
    if (t.consumeApprovalId != 0) {
      if (auto st = consumeApproval(t, deviceId, now); !st) return st;
    }
    if (!adoptUuid.empty()) {
      auto adopt = prepare("UPDATE devices SET smbios_uuid = ?, updated_at = ? WHERE id = ?");
      if (!adopt) return adopt.error();
      adopt->bindAll(adoptUuid, now, deviceId);
      if (auto st = adopt->run(); !st) return st;
      AuditRecord a;
      a.actor = t.actor;
      a.action = "registry.adopt_uuid";
      a.deviceId = deviceId;
      a.sessionId = s.id;
      a.details = {{"old", device->registry.smbiosUuid}, {"new", adoptUuid}};
      if (t.consumeApprovalId != 0) a.details["approval_id"] = t.consumeApprovalId;
      if (auto st = appendAuditInTx(std::move(a), now); !st) return st;
    }
  }
  return tx->commit();
}

Result<std::string> SqliteStore::deviceHeldFrom(const DeviceRecord& device, const SessionRecord& s,
                                                const std::string& bindEk) {
  if (!device.lastSessionId.empty() && device.lastSessionId != s.id) {
    auto owner = loadSession(device.lastSessionId);
    if (!owner) return owner.error();
    if (*owner && (*owner)->open) {
      return "session " + device.lastSessionId + " is in progress for this device";
    }
  }
  // Proven: this step binds the EK, or an earlier step of this session did. A session becomes
  // the device's last session only through createSession (never for a bound device) or a step
  // that changed the record, so for a bound device "last session is this one" means proven here.
  const bool bound = !device.boundEkSha256.empty();
  const bool proven = !bindEk.empty() || device.lastSessionId == s.id;
  if (bound && !proven) {
    return std::string("the device's EK is bound and this session has not proven it");
  }
  return std::string();
}

Result<int> SqliteStore::failOpenSessions(const std::string& code) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto st = prepare(
      select(kSessionColumns, "FROM sessions WHERE open = 1 ORDER BY started_at ASC, rowid ASC"));
  if (!st) return st.error();
  auto open = readAll<SessionRecord>(*st, readSession);
  if (!open) return open.error();
  const std::string failed(toString(DeviceState::Failed));
  for (const auto& s : *open) {
    auto up = prepare(
        "UPDATE sessions SET state = ?, reason_code = ?, retryable = 1, open = 0, updated_at = ? "
        "WHERE id = ?");
    if (!up) return up.error();
    up->bindAll(failed, code, now, s.id);
    if (auto r = up->run(); !r) return r.error();
    if (!s.deviceId.empty()) {
      // Only when this session still speaks for the device: a newer session owns its state.
      auto dev = prepare(
          "UPDATE devices SET state = ?, reason_code = ?, retryable = 1, state_since = ?, "
          "updated_at = ? WHERE id = ? AND last_session_id = ?");
      if (!dev) return dev.error();
      dev->bindAll(failed, code, now, now, s.deviceId, s.id);
      if (auto r = dev->run(); !r) return r.error();
    }
    AuditRecord audit;
    audit.actor = "benchd";
    audit.action = "session.failed_on_restart";
    audit.deviceId = s.deviceId;
    audit.sessionId = s.id;
    audit.before = toString(s.state);
    audit.after = failed;
    audit.reason = code;
    audit.details = {{"retryable", true}};
    if (auto r = appendAuditInTx(std::move(audit), now); !r) return r.error();
  }
  if (auto r = tx->commit(); !r) return r.error();
  return static_cast<int>(open->size());
}

}  // namespace pb
