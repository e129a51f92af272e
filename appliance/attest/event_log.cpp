// SPDX-License-Identifier: Apache-2.0
#include "attest/event_log.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "attest/le_codec.hpp"
#include "attest/tpm_types.hpp"
#include "core/reasons.hpp"

namespace pb::attest {

const Guid kEfiGlobalVariableGuid{0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                  0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
const Guid kEfiImageSecurityDbGuid{0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                   0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};
const Guid kEfiCertSha256Guid{0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
                              0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
const Guid kEfiCertX509Guid{0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                            0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};

namespace {

using detail::Reader;

constexpr char kSpecIdSignature[] = "Spec ID Event03";  // 15 chars + NUL = 16 bytes

Error logError(std::string message) {
  return makeError(std::string(reason::kEventLogInvalid), std::move(message));
}

Bytes initialPcr(std::uint32_t pcr, std::size_t size, std::uint8_t pcr0Locality) {
  Bytes v(size, (pcr >= 17 && pcr <= 22) ? 0xFF : 0x00);
  if (pcr == 0 && !v.empty()) v.back() = pcr0Locality;
  return v;
}

bool isStartupLocality(const Event& e) {
  return e.type == ev::kNoAction && e.pcr == 0 && e.data.size() == 17 &&
         std::memcmp(e.data.data(), kStartupLocalitySignature, 16) == 0;
}

// Bounds and bookkeeping common to both layouts. The StartupLocality event (PC Client PFP
// §10.4.5.3, go-attestation's replayPCR) sets PCR 0's initial value; it only counts before the
// first PCR 0 measurement (after it, the initial value is already consumed) and only once.
Status addEvent(EventLog& log, Event e, bool& pcr0Measured, bool& localitySeen) {
  if (log.events.size() >= kMaxEvents) return logError("too many events");
  // Windows logs informational EV_NO_ACTION events in "PCR -1" (go-attestation's
  // option_rom_eventlog); they are never extended, so that one index is allowed for them.
  const bool windowsInfo = e.type == ev::kNoAction && e.pcr == kNoPcrIndex;
  if (e.pcr > kMaxPcrIndex && !windowsInfo)
    return logError("event PCR index " + std::to_string(e.pcr) + " out of range");
  if (isStartupLocality(e)) {
    if (!pcr0Measured && !localitySeen) log.startupLocality = e.data[16];
    localitySeen = true;
  }
  if (e.pcr == 0 && e.type != ev::kNoAction) pcr0Measured = true;
  if (e.type == ev::kEfiHcrtmEvent) log.hcrtm = true;
  log.events.push_back(std::move(e));
  return {};
}

// TCG_PCR_EVENT (PC Client PFP §10.2.1): pcrIndex, eventType, SHA-1 digest, eventSize, event.
bool readLegacyEvent(Reader& r, Event& e) {
  std::uint32_t size = 0;
  Bytes sha1;
  if (!r.u32(e.pcr) || !r.u32(e.type) || !r.bytes(20, sha1) || !r.u32(size) ||
      size > kMaxEventDataBytes || !r.bytes(size, e.data)) {
    return false;
  }
  e.digests.emplace_back(alg::kSha1, std::move(sha1));
  return true;
}

Status parseSpecId(const Bytes& data, EventLog& log) {
  Reader s(data.data() + 16, data.size() - 16);
  std::uint32_t platformClass = 0;
  std::uint8_t minor = 0;
  std::uint8_t major = 0;
  std::uint8_t errata = 0;
  std::uint8_t uintn = 0;
  std::uint32_t count = 0;
  if (!s.u32(platformClass) || !s.u8(minor) || !s.u8(major) || !s.u8(errata) || !s.u8(uintn) ||
      !s.u32(count)) {
    return logError("Spec ID event truncated");
  }
  if (count == 0 || count > 16) return logError("Spec ID event: algorithm count out of range");
  std::set<std::uint16_t> seen;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint16_t alg = 0;
    std::uint16_t dsize = 0;
    if (!s.u16(alg) || !s.u16(dsize)) return logError("Spec ID event: algorithm table truncated");
    if (!seen.insert(alg).second) return logError("Spec ID event: algorithm listed twice");
    std::size_t known = digestSize(alg);
    if (dsize == 0 || dsize > 64 || (known != 0 && known != dsize)) {
      return logError("Spec ID event: digest size does not match the algorithm");
    }
    log.algorithms.emplace_back(alg, dsize);
  }
  std::uint8_t vendorSize = 0;
  Bytes vendor;
  if (!s.u8(vendorSize) || !s.bytes(vendorSize, vendor))
    return logError("Spec ID event: vendor info truncated");
  return {};
}

}  // namespace

std::string eventTypeName(std::uint32_t type) {
  switch (type) {
    case ev::kPostCode:
      return "EV_POST_CODE";
    case ev::kNoAction:
      return "EV_NO_ACTION";
    case ev::kSeparator:
      return "EV_SEPARATOR";
    case ev::kAction:
      return "EV_ACTION";
    case ev::kEventTag:
      return "EV_EVENT_TAG";
    case ev::kSCrtmVersion:
      return "EV_S_CRTM_VERSION";
    case ev::kEfiVariableDriverConfig:
      return "EV_EFI_VARIABLE_DRIVER_CONFIG";
    case ev::kEfiVariableBoot:
      return "EV_EFI_VARIABLE_BOOT";
    case ev::kEfiBootServicesApplication:
      return "EV_EFI_BOOT_SERVICES_APPLICATION";
    case ev::kEfiBootServicesDriver:
      return "EV_EFI_BOOT_SERVICES_DRIVER";
    case ev::kEfiAction:
      return "EV_EFI_ACTION";
    case ev::kEfiPlatformFirmwareBlob:
      return "EV_EFI_PLATFORM_FIRMWARE_BLOB";
    case ev::kEfiHcrtmEvent:
      return "EV_EFI_HCRTM_EVENT";
    case ev::kEfiVariableAuthority:
      return "EV_EFI_VARIABLE_AUTHORITY";
    case ev::kSCrtmContents:
      return "EV_S_CRTM_CONTENTS";
    case ev::kCpuMicrocode:
      return "EV_CPU_MICROCODE";
    case ev::kPlatformConfigFlags:
      return "EV_PLATFORM_CONFIG_FLAGS";
    case ev::kTableOfDevices:
      return "EV_TABLE_OF_DEVICES";
    case ev::kCompactHash:
      return "EV_COMPACT_HASH";
    case ev::kIpl:
      return "EV_IPL";
    case ev::kIplPartitionData:
      return "EV_IPL_PARTITION_DATA";
    case ev::kNonhostInfo:
      return "EV_NONHOST_INFO";
    case ev::kOmitBootDeviceEvents:
      return "EV_OMIT_BOOT_DEVICE_EVENTS";
    case ev::kEfiRuntimeServicesDriver:
      return "EV_EFI_RUNTIME_SERVICES_DRIVER";
    case ev::kEfiGptEvent:
      return "EV_EFI_GPT_EVENT";
    case ev::kEfiHandoffTables:
      return "EV_EFI_HANDOFF_TABLES";
    case ev::kEfiPlatformFirmwareBlob2:
      return "EV_EFI_PLATFORM_FIRMWARE_BLOB2";
    case ev::kEfiHandoffTables2:
      return "EV_EFI_HANDOFF_TABLES2";
    case ev::kEfiVariableBoot2:
      return "EV_EFI_VARIABLE_BOOT2";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08x", type);
      return buf;
    }
  }
}

const Bytes* Event::digest(std::uint16_t bank) const {
  for (const auto& [alg, d] : digests) {
    if (alg == bank) return &d;
  }
  return nullptr;
}

bool sha1Only(const EventLog& log) {
  return !log.algorithms.empty() &&
         std::all_of(log.algorithms.begin(), log.algorithms.end(),
                     [](const auto& a) { return a.first == alg::kSha1; });
}

std::uint16_t preferredBank(const EventLog& log) {
  for (std::uint16_t bank : {alg::kSha256, alg::kSha384, alg::kSha512, alg::kSha1}) {
    for (const auto& [alg, size] : log.algorithms) {
      if (alg == bank) return bank;
    }
  }
  return 0;
}

std::string_view toString(EventLogFormat f) {
  return f == EventLogFormat::Sha1Legacy ? "sha1_legacy" : "crypto_agile";
}

Result<EventLog> parseEventLog(const Bytes& bytes) {
  if (bytes.empty() || bytes.size() > kMaxEventLogBytes) {
    return logError("event log size " + std::to_string(bytes.size()) + " out of bounds");
  }
  Reader r(bytes.data(), bytes.size());
  EventLog log;
  bool pcr0Measured = false;
  bool localitySeen = false;
  // Event 0 is a TCG_PCR_EVENT in both layouts. In a crypto-agile log it is the Spec ID event
  // ("Spec ID Event03"); anything else means the whole log is in the SHA-1 layout (TPM 1.2-era
  // firmware, and TPM 2.0 machines whose firmware only writes that layout).
  Event first;
  if (!readLegacyEvent(r, first)) return logError("first event truncated");
  const bool specId =
      first.data.size() >= 16 && std::memcmp(first.data.data(), kSpecIdSignature, 16) == 0;
  if (!specId) {
    log.format = EventLogFormat::Sha1Legacy;
    log.algorithms.emplace_back(alg::kSha1, std::uint16_t{20});
    if (auto s = addEvent(log, std::move(first), pcr0Measured, localitySeen); !s) return s.error();
    while (r.remaining() > 0) {
      Event e;
      if (!readLegacyEvent(r, e)) return logError("event truncated");
      if (auto s = addEvent(log, std::move(e), pcr0Measured, localitySeen); !s) return s.error();
    }
    return log;
  }
  if (first.type != ev::kNoAction || first.pcr != 0) {
    return logError("the Spec ID event is not an EV_NO_ACTION event in PCR 0");
  }
  if (auto s = parseSpecId(first.data, log); !s) return s.error();
  while (r.remaining() > 0) {
    Event e;
    std::uint32_t count = 0;
    if (!r.u32(e.pcr) || !r.u32(e.type) || !r.u32(count)) return logError("event header truncated");
    if (count != log.algorithms.size())
      return logError("event does not carry one digest per logged bank");
    std::set<std::uint16_t> seen;
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint16_t alg = 0;
      if (!r.u16(alg)) return logError("event digest truncated");
      auto it = std::find_if(log.algorithms.begin(), log.algorithms.end(),
                             [alg](const auto& a) { return a.first == alg; });
      if (it == log.algorithms.end() || !seen.insert(alg).second) {
        return logError("event digest for an unlisted or repeated algorithm");
      }
      Bytes d;
      if (!r.bytes(it->second, d)) return logError("event digest truncated");
      e.digests.emplace_back(alg, std::move(d));
    }
    std::uint32_t size = 0;
    if (!r.u32(size) || size > kMaxEventDataBytes || !r.bytes(size, e.data))
      return logError("event data truncated");
    if (auto s = addEvent(log, std::move(e), pcr0Measured, localitySeen); !s) return s.error();
  }
  return log;
}

std::map<std::uint32_t, Bytes> replayLog(const EventLog& log, std::uint16_t bank) {
  std::map<std::uint32_t, Bytes> pcrs;
  std::size_t dsize = digestSize(bank);
  if (dsize == 0) return pcrs;
  std::uint8_t locality = log.hcrtm ? 4 : log.startupLocality;
  for (const auto& e : log.events) {
    if (e.type == ev::kNoAction) continue;  // never extended
    const Bytes* d = e.digest(bank);
    if (d == nullptr) continue;
    auto [it, inserted] = pcrs.try_emplace(e.pcr, Bytes{});
    if (inserted) it->second = initialPcr(e.pcr, dsize, locality);
    Bytes buf = it->second;
    buf.insert(buf.end(), d->begin(), d->end());
    it->second = hashBytes(bank, buf);
  }
  return pcrs;
}

ReplayOutcome checkReplay(const EventLog& log, std::uint16_t bank,
                          const std::map<std::uint32_t, Bytes>& quotedPcrs) {
  ReplayOutcome out;
  if (std::none_of(log.algorithms.begin(), log.algorithms.end(),
                   [bank](const auto& a) { return a.first == bank; })) {
    out.detail = "the event log has no " + std::string(hashName(bank)) + " digests";
    return out;
  }
  auto replayed = replayLog(log, bank);
  std::string mismatched;
  for (const auto& [pcr, quoted] : quotedPcrs) {
    auto it = replayed.find(pcr);
    if (it == replayed.end()) continue;  // no events: reported, not verified
    if (it->second.size() == quoted.size() && constantTimeEqual(it->second, quoted)) {
      out.verifiedPcrs.push_back(pcr);
    } else {
      mismatched += (mismatched.empty() ? "" : ",") + std::to_string(pcr);
    }
  }
  if (!mismatched.empty()) {
    out.detail = "PCR " + mismatched + " do not replay to the quoted values";
    out.verifiedPcrs.clear();
    return out;
  }
  out.ok = true;
  out.detail = std::to_string(out.verifiedPcrs.size()) + " quoted PCRs replay exactly";
  return out;
}

}  // namespace pb::attest
