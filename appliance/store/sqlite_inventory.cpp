// SPDX-License-Identifier: Apache-2.0
// SqliteStore, role DeviceInventory: the asset register import, device lookups and block/unblock.
#include <map>
#include <set>

#include "core/reasons.hpp"
#include "registry/registry_import.hpp"
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
  // Validate everything before touching the database: rows may come from somewhere other than
  // parseRegistry, and the import is all-or-nothing anyway.
  std::set<std::string> serials;
  std::set<std::string> uuids;
  std::set<std::string> eks;
  for (const auto& row : rows) {
    auto errors = validateRegistryRow(row);
    if (!errors.empty()) {
      return makeError(std::string(reason::kAdminBadRequest),
                       "registry import: line " + std::to_string(row.line) + ": " +
                           errors.front().message + " (nothing imported)");
    }
    std::string serialKey = row.serial;
    for (char& c : serialKey) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!serials.insert(serialKey).second || !uuids.insert(row.smbiosUuid).second) {
      return makeError(std::string(reason::kAdminBadRequest),
                       "registry import: line " + std::to_string(row.line) +
                           ": serial or smbios_uuid appears twice in this import (nothing "
                           "imported)");
    }
    if (!row.ekSha256.empty() && !eks.insert(row.ekSha256).second) {
      return makeError(std::string(reason::kAdminBadRequest),
                       "registry import: line " + std::to_string(row.line) + ": ek_sha256 " +
                           row.ekSha256 + " appears twice in this import (nothing imported)");
    }
  }

  const std::int64_t now = clock_.nowUnix();
  auto tx = sql::Transaction::begin(db_);
  if (!tx) return tx.error();
  ImportSummary summary;
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    auto existing = loadDevice("WHERE serial = ?", row.serial);
    if (!existing) return existing.error();
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
      ++summary.created;
      ids.push_back(*id);
    } else {
      const DeviceRecord& old = **existing;
      ids.push_back(old.id);
      nlohmann::json changes = registryChanges(old.registry, row);
      if (changes.empty()) {
        ++summary.unchanged;
        continue;
      }
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
      ++summary.updated;
    }
    if (auto s = appendAuditInTx(std::move(audit), now); !s) return s.error();
  }

  // A UUID names one board. Checked after all rows are written so that an import may swap two
  // devices' UUIDs (a typo fix); only UUIDs touched by this import are checked.
  for (const auto& uuid : uuids) {
    auto dup = prepare("SELECT id, serial FROM devices WHERE smbios_uuid = ? ORDER BY id");
    if (!dup) return dup.error();
    dup->bindAll(uuid);
    std::vector<std::string> holders;
    for (;;) {
      auto r = dup->step();
      if (!r) return r.error();
      if (!*r) break;
      holders.push_back(dup->text(0) + " (serial " + dup->text(1) + ")");
    }
    if (holders.size() > 1) {
      return conflict("registry import: smbios_uuid " + uuid + " would belong to " + holders[0] +
                      " and " + holders[1] + " (nothing imported)");
    }
  }

  // An EK names one TPM, so one device: not another device's registered EK, nor one that
  // attestation bound to another device. Checked after all rows, like the UUID, so two devices'
  // EKs may be swapped in one import.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].ekSha256.empty()) continue;
    auto holder = otherEkHolder(rows[i].ekSha256, ids[i]);
    if (!holder) return holder.error();
    if (!holder->empty()) {
      return conflict("registry import: line " + std::to_string(rows[i].line) + ": ek_sha256 " +
                      rows[i].ekSha256 + " already identifies " + *holder + " (nothing imported)");
    }
  }

  for (const auto& id : ids) {
    auto d = loadDevice("WHERE id = ?", id);
    if (!d) return d.error();
    if (!*d) return corrupt("device " + id + " vanished during import");
    summary.devices.push_back(std::move(**d));
  }
  if (auto s = tx->commit(); !s) return s.error();
  return summary;
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
