// SPDX-License-Identifier: Apache-2.0
// Store role: the asset register and the device records (store.hpp explains the roles).
// Admission, the kiosk and the admin commands read it; the register import and the admin's
// block/unblock write it. A device's state is written by the session ledger, not here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/device_state.hpp"
#include "core/result.hpp"
#include "registry/registry_row.hpp"
#include "store/registry_import_plan.hpp"

namespace pb {

struct DeviceRecord {
  std::string id;  // reserved device id, "dev-000001" (assigned at import, never reused)
  RegistryRow registry;
  bool blocked = false;
  std::string blockReason;
  std::optional<DeviceState> state;  // nullopt: never seen on the bench
  std::string reasonCode;            // PB-xxxx of the current state ("" for none)
  bool retryable = false;
  std::int64_t enrolledAt = 0;  // when the device was last attested or ready (0: never)
  std::string boundEkSha256;    // EK hash proven by attestation ("" until then)
  std::string slot;
  std::string lastSessionId;
  std::int64_t stateSince = 0;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
};

// Device counts for `status`, by aggregate queries (no record is read into memory).
struct DeviceCounts {
  std::map<std::string, std::int64_t> byState;  // state name, or "unseen"; absent means 0
  std::int64_t total = 0;
  std::int64_t blocked = 0;
};

struct ImportSummary {
  int created = 0;
  int updated = 0;
  int unchanged = 0;  // already registered with exactly these values (no write, no audit record)
  std::vector<DeviceRecord> devices;  // the records after import, in file order
};

class DeviceInventory {
 public:
  virtual ~DeviceInventory() = default;

  // All rows or none. A serial already registered updates that record (audited as
  // registry.update with the old and new values); a new serial creates a record with a fresh id.
  virtual Result<ImportSummary> importRegistry(const std::vector<RegistryRow>& rows,
                                               const std::string& actor,
                                               const std::string& sourceName) = 0;
  // One slice [begin, end) of a clean plan (registry_import_plan.hpp) in one transaction: each
  // row's device must still be as the plan saw it, and its UUID / EK still free (else a PB-9504
  // conflict naming the line, and nothing of the slice is written). Audited like importRegistry.
  // benchd applies a large import slice by slice so that no write holds its loop for long.
  virtual Result<ImportChunkResult> applyImportChunk(const ImportPlan& plan, std::size_t begin,
                                                     std::size_t end, const std::string& actor,
                                                     const std::string& sourceName) = 0;
  virtual Result<std::optional<DeviceRecord>> findDevice(const std::string& id) = 0;
  virtual Result<std::optional<DeviceRecord>> findDeviceBySerial(const std::string& serial) = 0;
  virtual Result<std::vector<DeviceRecord>> findDevicesByUuid(const std::string& smbiosUuid) = 0;
  // Devices an EK (lower-case hex SHA-256) already identifies: bound by attestation or given in the
  // register. At most one is bound (a unique index); the attestation stage refuses the EK for any
  // other device (PB-1023).
  virtual Result<std::vector<DeviceRecord>> findDevicesByEk(const std::string& ekSha256) = 0;
  virtual Result<std::vector<DeviceRecord>> listDevices(std::optional<DeviceState> state) = 0;
  // One page of devices in id order (keyset pagination): those with id > afterId ("" for the
  // first page), at most `limit`. state: only that state; unseenOnly: only devices never seen.
  virtual Result<std::vector<DeviceRecord>> listDevicesPage(std::optional<DeviceState> state,
                                                            bool unseenOnly,
                                                            const std::string& afterId,
                                                            int limit) = 0;
  // For `status`: aggregate queries, no record is read into memory.
  virtual Result<DeviceCounts> deviceCounts() = 0;

  // An admin action, audited with the actor (device.block / device.unblock).
  virtual Status setBlocked(const std::string& deviceId, bool blocked, const std::string& actor,
                            const std::string& reason) = 0;
};

}  // namespace pb
