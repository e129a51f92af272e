// SPDX-License-Identifier: Apache-2.0
#include "store/registry_import_plan.hpp"

#include <map>
#include <utility>

#include "store/store.hpp"

namespace pb {

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void note(std::vector<RowError>& list, RowError e) {
  if (list.size() < kMaxImportProblems) list.push_back(std::move(e));
}

std::string holderName(const DeviceRecord& d) {
  return d.id + " (serial " + d.registry.serial + ")";
}

// The same rules as parseRegistry's, again: rows may come from somewhere other than the parser.
void checkRows(const std::vector<RegistryRow>& rows, ImportPlan& plan) {
  std::map<std::string, int> serials;
  std::map<std::string, int> uuids;
  std::map<std::string, int> eks;
  for (const auto& row : rows) {
    for (auto& e : validateRegistryRow(row)) note(plan.badRows, std::move(e));
    auto twice = [&](std::map<std::string, int>& seen, const std::string& key, const char* field) {
      if (key.empty()) return;
      auto [it, fresh] = seen.emplace(key, row.line);
      if (!fresh) {
        note(plan.badRows,
             {row.line, field,
              std::string(field) + " " + key + " appears twice in this import (line " +
                  std::to_string(it->second) + ")"});
      }
    };
    twice(serials, lower(row.serial), "serial");
    twice(uuids, row.smbiosUuid, "smbios_uuid");
    // An EK names one TPM: two rows with one EK would let one TPM attest as either device.
    twice(eks, row.ekSha256, "ek_sha256");
  }
}

}  // namespace

bool sameRegistration(const RegistryRow& a, const RegistryRow& b) {
  return a.serial == b.serial && a.smbiosUuid == b.smbiosUuid && a.model == b.model &&
         a.owner == b.owner && a.ownerEmail == b.ownerEmail && a.tenant == b.tenant &&
         a.ekSha256 == b.ekSha256 && a.windowFrom == b.windowFrom && a.windowUntil == b.windowUntil;
}

Result<ImportPlan> planRegistryImport(Store& store, const std::vector<RegistryRow>& rows) {
  ImportPlan plan;
  checkRows(rows, plan);
  if (!plan.badRows.empty()) return plan;

  plan.rows.reserve(rows.size());
  for (const auto& row : rows) {
    auto existing = store.findDeviceBySerial(row.serial);  // case-insensitive, like the write
    if (!existing)
      return existing.error().withContext("registry import: line " + std::to_string(row.line));
    PlannedImportRow p;
    p.row = row;
    if (existing->has_value()) {
      const DeviceRecord& d = **existing;
      p.deviceId = d.id;
      p.before = d.registry;
      p.op = sameRegistration(d.registry, row) ? ImportOp::Unchanged : ImportOp::Update;
      plan.deviceIds.insert(d.id);
    }
    plan.rows.push_back(std::move(p));
  }

  // After the import, a UUID names one board and an EK one TPM. Another device holding the row's
  // value now is fine only when this import rewrites that device too (rows may swap values; the
  // in-file check above makes the new values distinct). An EK bound by attestation never moves.
  for (const auto& p : plan.rows) {
    const RegistryRow& row = p.row;
    auto byUuid = store.findDevicesByUuid(row.smbiosUuid);
    if (!byUuid)
      return byUuid.error().withContext("registry import: line " + std::to_string(row.line));
    for (const auto& h : *byUuid) {
      if (h.id == p.deviceId || plan.deviceIds.count(h.id)) continue;
      note(plan.conflicts, {row.line, "smbios_uuid",
                            "smbios_uuid " + row.smbiosUuid + " would belong to " +
                                (p.deviceId.empty() ? "the new device (serial " + row.serial + ")"
                                                    : p.deviceId + " (serial " + row.serial + ")") +
                                " and " + holderName(h)});
      break;
    }
    if (row.ekSha256.empty()) continue;
    auto byEk = store.findDevicesByEk(row.ekSha256);
    if (!byEk) return byEk.error().withContext("registry import: line " + std::to_string(row.line));
    for (const auto& h : *byEk) {
      if (h.id == p.deviceId) continue;
      const bool bound = h.boundEkSha256 == row.ekSha256;
      if (!bound && plan.deviceIds.count(h.id)) continue;
      note(plan.conflicts, {row.line, "ek_sha256",
                            "ek_sha256 " + row.ekSha256 + " already identifies " + holderName(h) +
                                (bound ? ", bound by attestation" : ", in the register")});
      break;
    }
  }
  if (!plan.conflicts.empty()) plan.rows.clear();
  return plan;
}

}  // namespace pb
