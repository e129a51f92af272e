// SPDX-License-Identifier: Apache-2.0
// TCG PC Client event logs (tpm-attestation.md §7) in both layouts firmware writes: crypto-agile
// (Spec ID event first, one digest per bank) and the SHA-1 layout of TCG_PCR_EVENTs. Bounded
// parser, replay against quoted PCRs, Secure Boot extraction (§8, secure_boot.cpp), and
// EventLogBuilder (event_log_builder.cpp), a writer for synthetic logs (the simulator extends the
// same events into swtpm). Event type and data are not covered by the PCR digests, so only events
// whose data hashes to their digest are ever interpreted (one documented firmware quirk aside:
// README.md, "Real-world event logs").
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::attest {

namespace ev {
inline constexpr std::uint32_t kPostCode = 0x00000001;
inline constexpr std::uint32_t kNoAction = 0x00000003;
inline constexpr std::uint32_t kSeparator = 0x00000004;
inline constexpr std::uint32_t kAction = 0x00000005;
inline constexpr std::uint32_t kEventTag = 0x00000006;
inline constexpr std::uint32_t kSCrtmContents = 0x00000007;
inline constexpr std::uint32_t kSCrtmVersion = 0x00000008;
inline constexpr std::uint32_t kCpuMicrocode = 0x00000009;
inline constexpr std::uint32_t kPlatformConfigFlags = 0x0000000A;
inline constexpr std::uint32_t kTableOfDevices = 0x0000000B;
inline constexpr std::uint32_t kCompactHash = 0x0000000C;
inline constexpr std::uint32_t kIpl = 0x0000000D;
inline constexpr std::uint32_t kIplPartitionData = 0x0000000E;
inline constexpr std::uint32_t kNonhostInfo = 0x00000011;
inline constexpr std::uint32_t kOmitBootDeviceEvents = 0x00000012;
inline constexpr std::uint32_t kEfiVariableDriverConfig = 0x80000001;
inline constexpr std::uint32_t kEfiVariableBoot = 0x80000002;
inline constexpr std::uint32_t kEfiBootServicesApplication = 0x80000003;
inline constexpr std::uint32_t kEfiBootServicesDriver = 0x80000004;
inline constexpr std::uint32_t kEfiRuntimeServicesDriver = 0x80000005;
inline constexpr std::uint32_t kEfiGptEvent = 0x80000006;
inline constexpr std::uint32_t kEfiAction = 0x80000007;
inline constexpr std::uint32_t kEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr std::uint32_t kEfiHandoffTables = 0x80000009;
inline constexpr std::uint32_t kEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr std::uint32_t kEfiHandoffTables2 = 0x8000000B;
inline constexpr std::uint32_t kEfiVariableBoot2 = 0x8000000C;
inline constexpr std::uint32_t kEfiHcrtmEvent = 0x80000010;
inline constexpr std::uint32_t kEfiVariableAuthority = 0x800000E0;
}  // namespace ev

std::string eventTypeName(std::uint32_t type);

using Guid = std::array<std::uint8_t, 16>;  // in its on-disk (mixed-endian) byte order
extern const Guid kEfiGlobalVariableGuid;   // 8be4df61-93ca-11d2-aa0d-00e098032b8c
extern const Guid kEfiImageSecurityDbGuid;  // d719b2cb-3d3a-4596-a3bc-dad00e67656f
extern const Guid kEfiCertSha256Guid;       // c1c41626-504c-4092-aca9-41f936934328
extern const Guid kEfiCertX509Guid;         // a5c059a1-94e4-4aa7-87b5-ab155c2bf072
extern const Guid kShimLockGuid;            // 605dab50-e046-4300-abb6-3dd810dd8b23

// TCG_EfiStartupLocalityEvent: this signature (16 bytes with the NUL) and one locality byte.
inline constexpr char kStartupLocalitySignature[] = "StartupLocality";

// Bounds on untrusted logs.
inline constexpr std::size_t kMaxEventLogBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxEventDataBytes = 1024 * 1024;
inline constexpr std::size_t kMaxEvents = 65536;
inline constexpr std::uint32_t kMaxPcrIndex = 23;
inline constexpr std::uint32_t kNoPcrIndex = 0xFFFFFFFF;  // EV_NO_ACTION only (Windows)

struct Event {
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::vector<std::pair<std::uint16_t, Bytes>> digests;  // per bank, as logged
  Bytes data;
  [[nodiscard]] const Bytes* digest(std::uint16_t bank) const;
};

enum class EventLogFormat {
  CryptoAgile,  // Spec ID event ("Spec ID Event03") first, then TCG_PCR_EVENT2s
  Sha1Legacy,   // TCG_PCR_EVENTs only: pcrIndex, eventType, SHA-1 digest, eventSize, event
};
std::string_view toString(EventLogFormat f);  // "crypto_agile" | "sha1_legacy"

struct EventLog {
  EventLogFormat format = EventLogFormat::CryptoAgile;
  std::vector<std::pair<std::uint16_t, std::uint16_t>>
      algorithms;             // Spec ID event: alg, digest size (SHA-1 layout: sha1, 20)
  std::vector<Event> events;  // after the Spec ID event (SHA-1 layout: every event)
  std::uint8_t startupLocality = 0;
  bool hcrtm = false;
};

// Either layout: a first event carrying the "Spec ID Event03" signature makes the log
// crypto-agile; any other first event means the SHA-1 layout. Every length is bounded.
Result<EventLog> parseEventLog(const Bytes& bytes);

// The log carries SHA-1 digests only (SHA-1 layout, or a crypto-agile log listing only SHA-1):
// its replay can only be checked against the SHA-1 PCR bank, and SHA-1 collisions are practical.
bool sha1Only(const EventLog& log);
// The strongest bank the log has digests for (sha256 > sha384 > sha512 > sha1); 0 if none.
std::uint16_t preferredBank(const EventLog& log);

// PCR values the log replays to for one bank (only PCRs with events).
std::map<std::uint32_t, Bytes> replayLog(const EventLog& log, std::uint16_t bank);

struct ReplayOutcome {
  bool ok = false;
  std::string detail;
  std::vector<std::uint32_t> verifiedPcrs;  // quoted PCRs that have events and replay exactly
};
// Each quoted PCR that has events must replay exactly to its quoted value; PCRs in the log that
// are not quoted are not verified (and never interpreted).
ReplayOutcome checkReplay(const EventLog& log, std::uint16_t bank,
                          const std::map<std::uint32_t, Bytes>& quotedPcrs);

struct SignatureListEntry {
  Guid type{};
  Guid owner{};
  Bytes data;
};
// A UEFI variable's EFI_SIGNATURE_LIST sequence (UEFI 2.x §32.4.1), skipping SignatureHeaderSize.
Result<std::vector<SignatureListEntry>> parseSignatureLists(const Bytes& data);

struct SecureBootState {
  bool enabled = false;
  bool variableEmpty = false;  // SecureBoot measured with zero-length data: absent, so off
  bool dmaProtectionDisabled = false;
  std::size_t pkEntries = 0;
  std::size_t kekEntries = 0;
  std::size_t dbEntries = 0;
  std::size_t dbxEntries = 0;
  std::vector<Bytes> dbxSha256;  // revoked hashes
  std::size_t authorityEvents = 0;
  std::size_t shimQuirkAuthorityEvents = 0;  // accepted under the go-attestation #157 rule
};

// Secure Boot state from PCR 7 events. Requires PCR 7 to have been verified by replay; checks the
// go-eventlog rule set (§8). Error code PB-3061 when the state cannot be established.
Result<SecureBootState> extractSecureBoot(const EventLog& log, std::uint16_t bank,
                                          const std::vector<std::uint32_t>& verifiedPcrs);

// Writes synthetic logs (crypto-agile, or the SHA-1 layout) and reports the PCR values they replay
// to.
class EventLogBuilder {
 public:
  explicit EventLogBuilder(std::vector<std::uint16_t> banks);
  // The SHA-1 layout (TCG_PCR_EVENT, no Spec ID event): the banks must be exactly {sha1}.
  static EventLogBuilder sha1Legacy();
  // A StartupLocality EV_NO_ACTION event written first (before any measurement).
  EventLogBuilder& startupLocality(std::uint8_t locality);
  // An event whose digest in every bank is H(data).
  EventLogBuilder& event(std::uint32_t pcr, std::uint32_t type, const Bytes& data);
  // An event whose digests are H(digestOf) while the logged data is `data` (tampering, or events
  // such as EV_EFI_BOOT_SERVICES_APPLICATION whose digest is of the image, not of the data).
  EventLogBuilder& eventDigestOf(std::uint32_t pcr, std::uint32_t type, const Bytes& data,
                                 const Bytes& digestOf);
  EventLogBuilder& efiVariable(std::uint32_t pcr, std::uint32_t type, const Guid& guid,
                               const std::string& name, const Bytes& value);
  EventLogBuilder& separator(std::uint32_t pcr);
  // An EV_EFI_VARIABLE_AUTHORITY event as shim before rhboot/shim@8a27a48 logged its built-in
  // certificate (go-attestation issue #157): UEFI_VARIABLE_DATA {shim-lock GUID, "Shim", the bare
  // DER certificate without an owner GUID}, then `padding` zero bytes that the digest covers, then
  // one byte (`tail`) that the digest does not cover.
  EventLogBuilder& shimAuthorityQuirk(const Bytes& certDer, std::size_t padding = 5,
                                      std::uint8_t tail = 0xAF);
  // PCR 7 as firmware measures it: SecureBoot, PK, KEK, db, dbx, separator, one db authority.
  EventLogBuilder& secureBootVariables(bool enabled);
  // A typical boot: S-CRTM version and firmware blobs (PCR0), separators in PCR 0-7, Secure Boot
  // variables, boot-services applications in PCR 4 (count of them = extraEvents).
  static EventLogBuilder typicalBoot(bool secureBoot, std::size_t extraEvents = 4);

  [[nodiscard]] Bytes build() const;
  [[nodiscard]] std::map<std::uint32_t, Bytes> expectedPcrs(std::uint16_t bank) const;
  struct Extend {
    std::uint32_t pcr;
    std::uint16_t bank;
    Bytes digest;
  };
  // The extends to perform on a TPM (in order) so its PCRs equal expectedPcrs().
  [[nodiscard]] std::vector<Extend> extends() const;
  [[nodiscard]] std::size_t eventCount() const { return events_.size(); }
  // Direct access to the events for tests that tamper with a single field.
  std::vector<Event>& events() { return events_; }

 private:
  std::vector<std::uint16_t> banks_;
  bool legacy_ = false;
  std::uint8_t locality_ = 0;
  bool hasLocality_ = false;
  std::vector<Event> events_;
};

// UEFI_VARIABLE_DATA encoding: GUID, name length, data length, UTF-16LE name, data.
Bytes encodeUefiVariable(const Guid& guid, const std::string& name, const Bytes& value);
// An EFI_SIGNATURE_LIST of SHA-256 hashes (for building db/dbx contents).
Bytes encodeSha256SignatureList(const Guid& owner, const std::vector<Bytes>& hashes,
                                std::size_t headerSize = 0);

}  // namespace pb::attest
