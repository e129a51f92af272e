// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role DeviceInventory: the asset register import, device lookups and block/unblock.
#include <map>
#include <set>

#include "admission/identity.hpp"
#include "core/reasons.hpp"
#include "registry/registry_row.hpp"
#include "store/registry_import_plan.hpp"
#include "store/sqlite_store.hpp"

namespace pb {

using namespace store_internal;  // NOLINT(google-build-using-namespace): the module's own helpers

namespace {

// Registry fields compared on re-import, with how they appear in the audit details.
nlohmann::json registryChanges(const RegistryRow& before, const RegistryRow& after) {
  nlohmann::json changes = nlohmann::json::object();
  auto cmp = [&](const char* name, const auto& a, const auto& b) {
    if (a != b) changes[name] = {{"old", a}, {"new", b}};
  };
  cmp("serial", before.serial, after.serial);  // case only: the lookup is case-insensitive
  cmp("smbios_uuid", before.smbiosUuid, after.smbiosUuid);
  cmp("model", before.model, after.model);
  cmp("owner", before.owner, after.owner);
  cmp("owner_email", before.ownerEmail, after.ownerEmail);
  cmp("tenant", before.tenant, after.tenant);
  cmp("ek_sha256", before.ekSha256, after.ekSha256);
  if (before.windowFrom != after.windowFrom) {
    changes["window_from"] = {{"old", formatUtc(before.windowFrom)},
                              {"new", formatUtc(after.windowFrom)}};
  }
  if (before.windowUntil != after.windowUntil) {
    changes["window_until"] = {{"old", formatUtc(before.windowUntil)},
                               {"new", formatUtc(after.windowUntil)}};
  }
  return changes;
}

}  // namespace

Result<std::optional<DeviceRecord>> SqliteStore::loadDevice(const char* where,
                                                            const std::string& key) {
  auto st = prepare(select(kDeviceColumns, "FROM devices ") + where);
  if (!st) return st.error();
  st->bindAll(key);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<DeviceRecord>();
  auto d = readDevice(*st);
  if (!d) return d.error();
  return std::optional<DeviceRecord>(std::move(d).value());
}

Result<std::optional<DeviceRecord>> SqliteStore::findDevice(const std::string& id) {
  return loadDevice("WHERE id = ?", id);
}

Result<std::optional<DeviceRecord>> SqliteStore::findDeviceBySerial(const std::string& serial) {
  return loadDevice("WHERE serial = ?", serial);  // the column is COLLATE NOCASE
}

Result<std::vector<DeviceRecord>> SqliteStore::findDevicesByUuid(const std::string& smbiosUuid) {
  auto canon = canonicalUuid(smbiosUuid);
  if (!canon) return std::vector<DeviceRecord>();  // cannot match a stored (canonical) UUID
  auto st = prepare(select(kDeviceColumns, "FROM devices WHERE smbios_uuid = ? ORDER BY id"));
  if (!st) return st.error();
  st->bindAll(*canon);
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::vector<DeviceRecord>> SqliteStore::findDevicesByEk(const std::string& ekSha256) {
  auto st = prepare(select(
      kDeviceColumns, "FROM devices WHERE bound_ek_sha256 = ?1 OR ek_sha256 = ?1 ORDER BY id"));
  if (!st) return st.error();
  std::string ek = ekSha256;
  for (char& c : ek) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!isLowerHex64(ek)) return std::vector<DeviceRecord>();  // matches nothing stored
  st->bindAll(ek);
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::string> SqliteStore::otherEkHolder(const std::string& ek, const std::string& deviceId) {
  auto st = prepare(
      "SELECT id, serial, bound_ek_sha256 = ?1 FROM devices "
      "WHERE (bound_ek_sha256 = ?1 OR ek_sha256 = ?1) AND id <> ?2 ORDER BY id LIMIT 1");
  if (!st) return st.error();
  st->bindAll(ek, deviceId);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::string();
  return st->text(0) + " (serial " + st->text(1) + ", " +
         (st->int64(2) != 0 ? "bound by attestation" : "in the register") + ")";
}

Result<std::vector<DeviceRecord>> SqliteStore::listDevices(std::optional<DeviceState> state) {
  auto st = prepare(select(kDeviceColumns, state ? "FROM devices WHERE state = ? ORDER BY id"
                                                 : "FROM devices ORDER BY id"));
  if (!st) return st.error();
  if (state) st->bindAll(toString(*state));
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<std::vector<DeviceRecord>> SqliteStore::listDevicesPage(std::optional<DeviceState> state,
                                                               bool unseenOnly,
                                                               const std::string& afterId,
                                                               int limit) {
  // The primary key gives id order, so every page is one index range scan whatever its offset.
  const char* where = state ? "FROM devices WHERE state = ? AND id > ? ORDER BY id LIMIT ?"
                      : unseenOnly
                          ? "FROM devices WHERE state IS NULL AND id > ? ORDER BY id LIMIT ?"
                          : "FROM devices WHERE id > ? ORDER BY id LIMIT ?";
  auto st = prepare(select(kDeviceColumns, where));
  if (!st) return st.error();
  if (state) {
    st->bindAll(toString(*state), afterId, limit);
  } else {
    st->bindAll(afterId, limit);
  }
  return readAll<DeviceRecord>(*st, readDevice);
}

Result<DeviceCounts> SqliteStore::deviceCounts() {
  auto st = prepare("SELECT state, COUNT(*), SUM(blocked) FROM devices GROUP BY state");
  if (!st) return st.error();
  DeviceCounts counts;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::string state = st->isNull(0) ? std::string("unseen") : st->text(0);
    counts.byState[state] += st->int64(1);
    counts.total += st->int64(1);
    counts.blocked += st->int64(2);
  }
  return counts;
}

Result<std::string> SqliteStore::nextDeviceId() {
  auto up = prepare("UPDATE counters SET value = value + 1 WHERE name = 'device_id'");
  if (!up) return up.error();
  if (auto s = up->run(); !s) return s.error();
  auto get = prepare("SELECT value FROM counters WHERE name = 'device_id'");
  if (!get) return get.error();
  auto row = get->step();
  if (!row) return row.error();
  if (!*row) return corrupt("device id counter is missing");
  return deviceIdFor(get->int64(0));
}

Result<ImportSummary> SqliteStore::importRegistry(const std::vector<RegistryRow>& rows,
                                                  const std::string& actor,
                                                  const std::string& sourceName) {
  // The two halves benchd runs apart for a large file (store/registry_import_plan.hpp), here
  // back to back and written in one transaction: a direct caller gets all rows or none.
  auto plan = planRegistryImport(*this, rows);
  if (!plan) return plan.error();
  if (!plan->badRows.empty()) {
    const RowError& e = plan->badRows.front();
    return makeError(std::string(reason::kAdminBadRequest), "registry import: line " +
                                                                std::to_string(e.line) + ": " +
                                                                e.message + " (nothing imported)");
  }
  if (!plan->conflicts.empty()) {
    const RowError& e = plan->conflicts.front();
    return conflict("registry import: line " + std::to_string(e.line) + ": " + e.message +
                    " (nothing imported)");
  }
  auto applied = applyImportChunk(*plan, 0, plan->rows.size(), actor, sourceName);
  if (!applied) return applied.error();
  ImportSummary summary;
  summary.created = applied->created;
  summary.updated = applied->updated;
  summary.unchanged = applied->unchanged;
  for (const auto& id : applied->ids) {
    auto d = loadDevice("WHERE id = ?", id);
    if (!d) return d.error();
    if (!*d) return corrupt("device " + id + " vanished during import");
    summary.devices.push_back(std::move(**d));
  }
  return summary;
}

Result<std::string> SqliteStore::importClash(const RegistryRow& row, const std::string& deviceId,
                                             const std::set<std::string>& rewritten) {
  // Another device holding the row's UUID or EK is fine only when this import rewrites it too
  // (a swap); an EK bound by attestation never moves (PB-1023's rule).
  auto byUuid = prepare("SELECT id, serial FROM devices WHERE smbios_uuid = ? AND id <> ?");
  if (!byUuid) return byUuid.error();
  byUuid->bindAll(row.smbiosUuid, deviceId);
  for (;;) {
    auto r = byUuid->step();
    if (!r) return r.error();
    if (!*r) break;
    if (rewritten.count(byUuid->text(0))) continue;
    return "smbios_uuid " + row.smbiosUuid + " would belong to " +
           (deviceId.empty() ? std::string("the new device") : deviceId) + " (serial " +
           row.serial + ") and " + byUuid->text(0) + " (serial " + byUuid->text(1) + ")";
  }
  if (row.ekSha256.empty()) return std::string();
  auto byEk = prepare(
      "SELECT id, serial, bound_ek_sha256 = ?1 FROM devices "
      "WHERE (bound_ek_sha256 = ?1 OR ek_sha256 = ?1) AND id <> ?2 ORDER BY id");
  if (!byEk) return byEk.error();
  byEk->bindAll(row.ekSha256, deviceId);
  for (;;) {
    auto r = byEk->step();
    if (!r) return r.error();
    if (!*r) break;
    const bool bound = byEk->int64(2) != 0;
    if (!bound && rewritten.count(byEk->text(0))) continue;
    return "ek_sha256 " + row.ekSha256 + " already identifies " + byEk->text(0) + " (serial " +
           byEk->text(1) + ", " + (bound ? "bound by attestation" : "in the register") + ")";
  }
  return std::string();
}

Result<ImportChunkResult> SqliteStore::applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                                        std::size_t end, const std::string& actor,
                                                        const std::string& sourceName) {
  if (!plan.clean()) {
    return makeError(std::string(reason::kAdminBadRequest),
                     "registry import: the file has problems (nothing imported)");
  }
  if (begin > end || end > plan.rows.size()) {
    return makeError("store", "registry import: slice outside the plan");
  }
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  ImportChunkResult out;
  for (std::size_t i = begin; i < end; ++i) {
    const PlannedImportRow& p = plan.rows[i];
    const RegistryRow& row = p.row;
    const std::string at = "registry import: line " + std::to_string(row.line) + ": ";
    auto existing = loadDevice("WHERE serial = ?", row.serial);
    if (!existing) return existing.error().withContext(at);
    // The plan was made on another connection, maybe seconds ago: each row's device must still
    // be as it was then, or the row would overwrite a change nobody reviewed.
    if (p.op == ImportOp::Create && *existing) {
      return conflict(at + "serial " + row.serial + " was registered as " + (*existing)->id +
                      " after the file was checked");
    }
    if (p.op != ImportOp::Create && (!*existing || (*existing)->id != p.deviceId ||
                                     !sameRegistration((*existing)->registry, p.before))) {
      return conflict(at + "device " + p.deviceId + " (serial " + row.serial +
                      ") changed after the file was checked");
    }
    auto clash = importClash(row, p.deviceId, plan.deviceIds);
    if (!clash) return clash.error();
    if (!clash->empty()) return conflict(at + *clash);
    if (p.op == ImportOp::Unchanged) {
      ++out.unchanged;
      out.ids.push_back(p.deviceId);
      continue;
    }
    AuditRecord audit;
    audit.actor = actor;
    audit.details = {{"source", sourceName}, {"line", row.line}};
    if (!*existing) {
      auto id = nextDeviceId();
      if (!id) return id.error();
      auto ins = prepare(
          "INSERT INTO devices (id, serial, smbios_uuid, model, owner, owner_email, tenant, "
          "ek_sha256, window_from, window_until, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      if (!ins) return ins.error();
      ins->bindAll(*id, row.serial, row.smbiosUuid, row.model, row.owner, row.ownerEmail,
                   row.tenant, row.ekSha256, row.windowFrom, row.windowUntil, now, now);
      if (auto s = ins->run(); !s) {
        return s.error().withContext("registry import: line " + std::to_string(row.line));
      }
      audit.action = "registry.create";
      audit.deviceId = *id;
      audit.details["serial"] = row.serial;
      audit.details["smbios_uuid"] = row.smbiosUuid;
      audit.details["model"] = row.model;
      audit.details["owner"] = row.owner;
      audit.details["owner_email"] = row.ownerEmail;
      audit.details["tenant"] = row.tenant;
      audit.details["ek_sha256"] = row.ekSha256;
      audit.details["window_from"] = formatUtc(row.windowFrom);
      audit.details["window_until"] = formatUtc(row.windowUntil);
      ++out.created;
      out.ids.push_back(*id);
    } else {
      const DeviceRecord& old = **existing;
      out.ids.push_back(old.id);
      nlohmann::json changes = registryChanges(old.registry, row);
      auto up = prepare(
          "UPDATE devices SET serial = ?, smbios_uuid = ?, model = ?, owner = ?, "
          "owner_email = ?, tenant = ?, ek_sha256 = ?, window_from = ?, window_until = ?, "
          "updated_at = ? WHERE id = ?");
      if (!up) return up.error();
      up->bindAll(row.serial, row.smbiosUuid, row.model, row.owner, row.ownerEmail, row.tenant,
                  row.ekSha256, row.windowFrom, row.windowUntil, now, old.id);
      if (auto s = up->run(); !s) {
        return s.error().withContext("registry import: line " + std::to_string(row.line));
      }
      audit.action = "registry.update";
      audit.deviceId = old.id;
      audit.details["changes"] = std::move(changes);
      ++out.updated;
    }
    if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  }
  if (auto s = tx->commit(); !s) return s.error();
  return out;
}

Status SqliteStore::setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                               const std::string& reason) {
  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  auto device = loadDevice("WHERE id = ?", deviceId);
  if (!device) return device.error();
  if (!*device) return notFound("unknown device " + deviceId);
  if ((*device)->blocked == blocked) {
    return conflict("device " + deviceId + (blocked ? " is already blocked" : " is not blocked"));
  }
  auto up =
      prepare("UPDATE devices SET blocked = ?, block_reason = ?, updated_at = ? WHERE id = ?");
  if (!up) return up.error();
  up->bindAll(blocked, blocked ? reason : std::string(), now, deviceId);
  if (auto s = up->run(); !s) return s;
  AuditRecord audit;
  audit.actor = actor;
  audit.action = blocked ? "device.block" : "device.unblock";
  audit.deviceId = deviceId;
  audit.reason = reason;
  if (auto s = appendAuditInTx(std::move(audit), now); !s) return s;
  return tx->commit();
}

}  // namespace pb
