// SPDX-License-Identifier: Apache-2.0
#include "attest/event_log.hpp"

#include <algorithm>
#include <cstring>
#include <set>

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

constexpr char kSpecIdSignature[] = "Spec ID Event03";  // 15 chars + NUL = 16 bytes
constexpr char kStartupLocality[] = "StartupLocality";  // 15 chars + NUL = 16 bytes

Error logError(std::string message) {
  return makeError(std::string(reason::kEventLogInvalid), std::move(message));
}
Error sbError(std::string message) {
  return makeError(std::string(reason::kSecureBootUnknown), std::move(message));
}

// Little-endian bounded reader: every read checks the remaining size first.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] std::size_t remaining() const { return size_ - pos_; }
  bool u8(std::uint8_t& v) {
    if (remaining() < 1) return false;
    v = data_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (remaining() < 2) return false;
    v = static_cast<std::uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (remaining() < 4) return false;
    v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | data_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& v) {
    if (remaining() < 8) return false;
    v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | data_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 8;
    return true;
  }
  bool bytes(std::size_t n, Bytes& out) {
    if (remaining() < n) return false;
    out.assign(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return true;
  }
  bool guid(Guid& g) {
    if (remaining() < 16) return false;
    std::memcpy(g.data(), data_ + pos_, 16);
    pos_ += 16;
    return true;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void le64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Bytes initialPcr(std::uint32_t pcr, std::size_t size, std::uint8_t pcr0Locality) {
  Bytes v(size, (pcr >= 17 && pcr <= 22) ? 0xFF : 0x00);
  if (pcr == 0 && !v.empty()) v.back() = pcr0Locality;
  return v;
}

struct UefiVariable {
  Guid guid{};
  std::string name;
  Bytes value;
};

Result<UefiVariable> parseUefiVariable(const Bytes& data) {
  Reader r(data.data(), data.size());
  UefiVariable v;
  std::uint64_t nameLen = 0;
  std::uint64_t dataLen = 0;
  if (!r.guid(v.guid) || !r.u64(nameLen) || !r.u64(dataLen))
    return sbError("UEFI variable header truncated");
  if (nameLen > 256 || dataLen > kMaxEventDataBytes || nameLen * 2 + dataLen != r.remaining()) {
    return sbError("UEFI variable lengths do not match the event size");
  }
  for (std::uint64_t i = 0; i < nameLen; ++i) {
    std::uint16_t c = 0;
    r.u16(c);
    v.name.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  r.bytes(static_cast<std::size_t>(dataLen), v.value);
  return v;
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

Result<EventLog> parseEventLog(const Bytes& bytes) {
  if (bytes.empty() || bytes.size() > kMaxEventLogBytes) {
    return logError("event log size " + std::to_string(bytes.size()) + " out of bounds");
  }
  Reader r(bytes.data(), bytes.size());
  EventLog log;
  // Event 0: TCG_PCR_EVENT (SHA-1 format) carrying the Spec ID event.
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::uint32_t size = 0;
  Bytes sha1;
  Bytes data;
  if (!r.u32(pcr) || !r.u32(type) || !r.bytes(20, sha1) || !r.u32(size) ||
      size > kMaxEventDataBytes || !r.bytes(size, data)) {
    return logError("first event truncated");
  }
  if (type != ev::kNoAction || pcr != 0 || data.size() < 16 ||
      std::memcmp(data.data(), kSpecIdSignature, 16) != 0) {
    return logError("not a crypto-agile log: the first event is not the Spec ID event");
  }
  {
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
  }
  while (r.remaining() > 0) {
    if (log.events.size() >= kMaxEvents) return logError("too many events");
    Event e;
    std::uint32_t count = 0;
    if (!r.u32(e.pcr) || !r.u32(e.type) || !r.u32(count)) return logError("event header truncated");
    if (e.pcr > kMaxPcrIndex)
      return logError("event PCR index " + std::to_string(e.pcr) + " out of range");
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
    if (!r.u32(size) || size > kMaxEventDataBytes || !r.bytes(size, e.data))
      return logError("event data truncated");
    if (e.type == ev::kNoAction && e.pcr == 0 && e.data.size() == 17 &&
        std::memcmp(e.data.data(), kStartupLocality, 16) == 0) {
      log.startupLocality = e.data[16];
    }
    if (e.type == ev::kEfiHcrtmEvent) log.hcrtm = true;
    log.events.push_back(std::move(e));
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

Result<std::vector<SignatureListEntry>> parseSignatureLists(const Bytes& data) {
  std::vector<SignatureListEntry> out;
  Reader r(data.data(), data.size());
  while (r.remaining() > 0) {
    Guid type{};
    std::uint32_t listSize = 0;
    std::uint32_t headerSize = 0;
    std::uint32_t sigSize = 0;
    if (!r.guid(type) || !r.u32(listSize) || !r.u32(headerSize) || !r.u32(sigSize)) {
      return sbError("EFI_SIGNATURE_LIST header truncated");
    }
    std::uint64_t fixed = 28;
    if (listSize < fixed + headerSize || listSize - fixed > r.remaining() + 0ULL) {
      return sbError("EFI_SIGNATURE_LIST size out of range");
    }
    if (sigSize < 16 || sigSize > kMaxEventDataBytes)
      return sbError("EFI_SIGNATURE_LIST signature size out of range");
    if (type == kEfiCertSha256Guid && sigSize != 16 + 32)
      return sbError("EFI_CERT_SHA256 entry of the wrong size");
    Bytes header;
    r.bytes(headerSize, header);  // SignatureHeaderSize is skipped, never read as signatures
    std::uint64_t body = listSize - fixed - headerSize;
    if (body % sigSize != 0)
      return sbError("EFI_SIGNATURE_LIST body is not a whole number of signatures");
    for (std::uint64_t i = 0; i < body / sigSize; ++i) {
      if (out.size() >= kMaxEvents) return sbError("too many signatures");
      SignatureListEntry e;
      e.type = type;
      if (!r.guid(e.owner) || !r.bytes(sigSize - 16, e.data))
        return sbError("EFI_SIGNATURE_DATA truncated");
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<SecureBootState> extractSecureBoot(const EventLog& log, std::uint16_t bank,
                                          const std::vector<std::uint32_t>& verifiedPcrs) {
  if (std::find(verifiedPcrs.begin(), verifiedPcrs.end(), 7U) == verifiedPcrs.end()) {
    return sbError("PCR 7 is not covered by a verified quote and replay");
  }
  SecureBootState st;
  std::size_t separators = 0;
  std::set<std::pair<Guid, std::string>> seen;
  std::optional<Bytes> secureBoot;
  std::optional<Bytes> pk;
  std::optional<Bytes> kek;
  std::optional<Bytes> db;
  std::optional<Bytes> dbx;
  for (const auto& e : log.events) {
    if (e.pcr != 7 || e.type == ev::kNoAction) continue;
    const Bytes* d = e.digest(bank);
    // Type and data are not covered by the PCR: only data that hashes to its digest counts.
    if (d == nullptr || hashBytes(bank, e.data) != *d) {
      return sbError("PCR 7 " + eventTypeName(e.type) + " event data does not match its digest");
    }
    switch (e.type) {
      case ev::kSeparator:
        if (e.data != Bytes{0, 0, 0, 0}) return sbError("PCR 7 separator signals a firmware error");
        ++separators;
        break;
      case ev::kEfiVariableDriverConfig: {
        if (separators > 0) return sbError("Secure Boot variable measured after the separator");
        auto var = parseUefiVariable(e.data);
        if (!var) return var.error();
        if (!seen.insert({var->guid, var->name}).second) {
          return sbError("Secure Boot variable " + var->name + " measured twice");
        }
        if (var->guid == kEfiGlobalVariableGuid && var->name == "SecureBoot")
          secureBoot = var->value;
        if (var->guid == kEfiGlobalVariableGuid && var->name == "PK") pk = var->value;
        if (var->guid == kEfiGlobalVariableGuid && var->name == "KEK") kek = var->value;
        if (var->guid == kEfiImageSecurityDbGuid && var->name == "db") db = var->value;
        if (var->guid == kEfiImageSecurityDbGuid && var->name == "dbx") dbx = var->value;
        break;
      }
      case ev::kEfiVariableAuthority:
        if (separators == 0) return sbError("authority event before the separator");
        ++st.authorityEvents;
        break;
      case ev::kEfiAction: {
        std::string text(e.data.begin(), e.data.end());
        if (text == "UEFI Debug Mode") return sbError("firmware runs in UEFI debug mode");
        if (text == "DMA Protection Disabled") st.dmaProtectionDisabled = true;
        break;
      }
      default:
        return sbError("unexpected " + eventTypeName(e.type) + " event in PCR 7");
    }
  }
  if (separators != 1)
    return sbError("PCR 7 has " + std::to_string(separators) + " separators, expected 1");
  if (!secureBoot) return sbError("the SecureBoot variable was not measured");
  if (secureBoot->size() != 1) return sbError("the SecureBoot variable is not one byte");
  st.enabled = (*secureBoot)[0] == 1;
  auto count = [](const std::optional<Bytes>& v, std::size_t& n,
                  std::vector<Bytes>* hashes) -> Status {
    if (!v) return {};
    auto lists = parseSignatureLists(*v);
    if (!lists) return lists.error();
    n = lists->size();
    if (hashes != nullptr) {
      for (const auto& e : lists.value()) {
        if (e.type == kEfiCertSha256Guid) hashes->push_back(e.data);
      }
    }
    return {};
  };
  for (auto s : {count(pk, st.pkEntries, nullptr), count(kek, st.kekEntries, nullptr),
                 count(db, st.dbEntries, nullptr), count(dbx, st.dbxEntries, &st.dbxSha256)}) {
    if (!s) return s.error();
  }
  if (st.enabled &&
      (st.pkEntries == 0 || st.kekEntries == 0 || st.dbEntries == 0 || st.authorityEvents == 0)) {
    return sbError("Secure Boot reported on but PK, KEK, db or authority events are missing");
  }
  return st;
}

// ---- writer ----

Bytes encodeUefiVariable(const Guid& guid, const std::string& name, const Bytes& value) {
  Bytes out(guid.begin(), guid.end());
  le64(out, name.size());
  le64(out, value.size());
  for (char c : name) le16(out, static_cast<std::uint8_t>(c));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Bytes encodeSha256SignatureList(const Guid& owner, const std::vector<Bytes>& hashes,
                                std::size_t headerSize) {
  Bytes out(kEfiCertSha256Guid.begin(), kEfiCertSha256Guid.end());
  le32(out, static_cast<std::uint32_t>(28 + headerSize + hashes.size() * 48));
  le32(out, static_cast<std::uint32_t>(headerSize));
  le32(out, 48);
  out.insert(out.end(), headerSize, 0);
  for (const auto& h : hashes) {
    out.insert(out.end(), owner.begin(), owner.end());
    out.insert(out.end(), h.begin(), h.end());
  }
  return out;
}

EventLogBuilder::EventLogBuilder(std::vector<std::uint16_t> banks) : banks_(std::move(banks)) {}

EventLogBuilder& EventLogBuilder::startupLocality(std::uint8_t locality) {
  locality_ = locality;
  hasLocality_ = true;
  return *this;
}

EventLogBuilder& EventLogBuilder::event(std::uint32_t pcr, std::uint32_t type, const Bytes& data) {
  return eventDigestOf(pcr, type, data, data);
}

EventLogBuilder& EventLogBuilder::eventDigestOf(std::uint32_t pcr, std::uint32_t type,
                                                const Bytes& data, const Bytes& digestOf) {
  Event e;
  e.pcr = pcr;
  e.type = type;
  e.data = data;
  for (std::uint16_t b : banks_) e.digests.emplace_back(b, hashBytes(b, digestOf));
  events_.push_back(std::move(e));
  return *this;
}

EventLogBuilder& EventLogBuilder::efiVariable(std::uint32_t pcr, std::uint32_t type,
                                              const Guid& guid, const std::string& name,
                                              const Bytes& value) {
  return event(pcr, type, encodeUefiVariable(guid, name, value));
}

EventLogBuilder& EventLogBuilder::separator(std::uint32_t pcr) {
  return event(pcr, ev::kSeparator, Bytes{0, 0, 0, 0});
}

EventLogBuilder& EventLogBuilder::secureBootVariables(bool enabled) {
  const Guid owner{0x77, 0xfa, 0x9a, 0xbd, 0x03, 0x59, 0xb6, 0x4d,
                   0x1d, 0x73, 0x6f, 0x5e, 0x2a, 0x52, 0x5d, 0x54};
  Bytes keys = enabled ? encodeSha256SignatureList(owner, {sha256("platform-key")}) : Bytes{};
  efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "SecureBoot",
              Bytes{enabled ? std::uint8_t{1} : std::uint8_t{0}});
  efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "PK", keys);
  efiVariable(7, ev::kEfiVariableDriverConfig, kEfiGlobalVariableGuid, "KEK",
              enabled ? encodeSha256SignatureList(owner, {sha256("kek")}) : Bytes{});
  efiVariable(7, ev::kEfiVariableDriverConfig, kEfiImageSecurityDbGuid, "db",
              enabled ? encodeSha256SignatureList(owner, {sha256("bootloader"), sha256("kernel")})
                      : Bytes{});
  efiVariable(7, ev::kEfiVariableDriverConfig, kEfiImageSecurityDbGuid, "dbx",
              encodeSha256SignatureList(owner, {sha256("revoked-1"), sha256("revoked-2")}));
  separator(7);
  if (enabled) {
    Bytes sig(owner.begin(), owner.end());
    Bytes h = sha256("bootloader");
    sig.insert(sig.end(), h.begin(), h.end());
    efiVariable(7, ev::kEfiVariableAuthority, kEfiImageSecurityDbGuid, "db", sig);
  }
  return *this;
}

EventLogBuilder EventLogBuilder::typicalBoot(bool secureBoot, std::size_t extraEvents) {
  EventLogBuilder b({alg::kSha256});
  b.startupLocality(0);
  b.event(0, ev::kSCrtmVersion, Bytes{'1', 0, '.', 0, '0', 0, 0, 0});
  b.eventDigestOf(0, ev::kEfiPlatformFirmwareBlob, Bytes(16, 0x11), toBytes("firmware-volume"));
  b.secureBootVariables(secureBoot);
  b.efiVariable(1, ev::kEfiVariableBoot, kEfiGlobalVariableGuid, "BootOrder", Bytes{0, 0});
  for (std::uint32_t pcr = 0; pcr <= 6; ++pcr) b.separator(pcr);
  for (std::size_t i = 0; i < extraEvents; ++i) {
    b.eventDigestOf(4, ev::kEfiBootServicesApplication, Bytes(32, static_cast<std::uint8_t>(i)),
                    toBytes("boot-image-" + std::to_string(i)));
  }
  b.event(5, ev::kEfiAction, toBytes("Exit Boot Services Invocation"));
  return b;
}

Bytes EventLogBuilder::build() const {
  Bytes out;
  Bytes spec(kSpecIdSignature, kSpecIdSignature + 16);
  le32(spec, 0);      // platformClass
  spec.push_back(0);  // specVersionMinor
  spec.push_back(2);  // specVersionMajor
  spec.push_back(0);  // specErrata
  spec.push_back(2);  // uintnSize
  le32(spec, static_cast<std::uint32_t>(banks_.size()));
  for (std::uint16_t b : banks_) {
    le16(spec, b);
    le16(spec, static_cast<std::uint16_t>(digestSize(b)));
  }
  spec.push_back(0);  // vendorInfoSize
  le32(out, 0);
  le32(out, ev::kNoAction);
  out.insert(out.end(), 20, 0);
  le32(out, static_cast<std::uint32_t>(spec.size()));
  out.insert(out.end(), spec.begin(), spec.end());
  auto writeEvent = [&](const Event& e) {
    le32(out, e.pcr);
    le32(out, e.type);
    le32(out, static_cast<std::uint32_t>(e.digests.size()));
    for (const auto& [alg, d] : e.digests) {
      le16(out, alg);
      out.insert(out.end(), d.begin(), d.end());
    }
    le32(out, static_cast<std::uint32_t>(e.data.size()));
    out.insert(out.end(), e.data.begin(), e.data.end());
  };
  if (hasLocality_) {
    Event loc;
    loc.pcr = 0;
    loc.type = ev::kNoAction;
    loc.data = Bytes(kStartupLocality, kStartupLocality + 16);
    loc.data.push_back(locality_);
    for (std::uint16_t b : banks_) loc.digests.emplace_back(b, Bytes(digestSize(b), 0));
    writeEvent(loc);
  }
  for (const auto& e : events_) writeEvent(e);
  return out;
}

std::map<std::uint32_t, Bytes> EventLogBuilder::expectedPcrs(std::uint16_t bank) const {
  EventLog log;
  for (std::uint16_t b : banks_)
    log.algorithms.emplace_back(b, static_cast<std::uint16_t>(digestSize(b)));
  log.events = events_;
  log.startupLocality = locality_;
  log.hcrtm = std::any_of(events_.begin(), events_.end(),
                          [](const Event& e) { return e.type == ev::kEfiHcrtmEvent; });
  return replayLog(log, bank);
}

std::vector<EventLogBuilder::Extend> EventLogBuilder::extends() const {
  std::vector<Extend> out;
  for (const auto& e : events_) {
    if (e.type == ev::kNoAction) continue;
    for (const auto& [alg, d] : e.digests) out.push_back(Extend{e.pcr, alg, d});
  }
  return out;
}

}  // namespace pb::attest
