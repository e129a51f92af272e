// SPDX-License-Identifier: Apache-2.0
// Secure Boot state from the PCR 7 events of a replayed log (tpm-attestation.md §8), with the two
// firmware quirks real logs show (README.md, "Real-world event logs").
#include <algorithm>
#include <optional>
#include <set>

#include <openssl/x509.h>

#include "attest/event_log.hpp"
#include "attest/le_codec.hpp"
#include "attest/tpm_types.hpp"
#include "core/reasons.hpp"

namespace pb::attest {

const Guid kShimLockGuid{0x50, 0xab, 0x5d, 0x60, 0x46, 0xe0, 0x00, 0x43,
                         0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23};

namespace {

using detail::Reader;

// Bytes the shim #157 layout may carry between the UEFI_VARIABLE_DATA and the uncovered last byte
// (shim sized the event from a padded struct; 5 zero bytes in the public capture).
constexpr std::size_t kMaxShimPadding = 7;

Error sbError(std::string message) {
  return makeError(std::string(reason::kSecureBootUnknown), std::move(message));
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

bool isWholeCertificate(const Bytes& der) {
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  const bool whole = cert != nullptr && p == der.data() + der.size();
  X509_free(cert);
  return whole;
}

// go-attestation issue #157: shim before rhboot/shim@8a27a48 logged its built-in certificate as
// an EV_EFI_VARIABLE_AUTHORITY event whose logged data is one byte longer than what it measured,
// and whose UEFI_VARIABLE_DATA holds a bare certificate (no EFI_SIGNATURE_DATA owner GUID). The
// peer accepts the event when the certificate parses without an owner GUID and the digest equals
// the hash of the data without its last byte. We accept exactly that shape, and narrower: the
// covered bytes are a UEFI_VARIABLE_DATA whose variable data is one whole DER certificate,
// followed by at most kMaxShimPadding zero bytes. Only the covered bytes are ever looked at.
bool isShimAuthorityQuirk(const Event& e, std::uint16_t bank, const Bytes& digest) {
  if (e.type != ev::kEfiVariableAuthority || e.data.size() < 2) return false;
  Bytes covered(e.data.begin(), e.data.end() - 1);
  if (hashBytes(bank, covered) != digest) return false;
  Reader r(covered.data(), covered.size());
  Guid guid{};
  std::uint64_t nameLen = 0;
  std::uint64_t dataLen = 0;
  if (!r.guid(guid) || !r.u64(nameLen) || !r.u64(dataLen)) return false;
  if (nameLen > 256 || dataLen > kMaxEventDataBytes || nameLen * 2 + dataLen > r.remaining())
    return false;
  Bytes name;
  Bytes value;
  Bytes padding;
  r.bytes(static_cast<std::size_t>(nameLen * 2), name);
  r.bytes(static_cast<std::size_t>(dataLen), value);
  if (r.remaining() > kMaxShimPadding) return false;
  r.bytes(r.remaining(), padding);
  if (std::any_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b != 0; }))
    return false;
  return isWholeCertificate(value);
}

}  // namespace

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
    if (d == nullptr)
      return sbError("PCR 7 event without a " + std::string(hashName(bank)) + " digest");
    if (hashBytes(bank, e.data) != *d) {
      if (!isShimAuthorityQuirk(e, bank, *d)) {
        return sbError("PCR 7 " + eventTypeName(e.type) + " event data does not match its digest");
      }
      ++st.shimQuirkAuthorityEvents;  // counted below as an authority event; its data is unread
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
  // PC Client PFP: a variable that does not exist is measured with zero-length data. A
  // zero-length SecureBoot is therefore "absent": Secure Boot is not enabled (PB-3060).
  if (secureBoot->empty()) {
    st.variableEmpty = true;
  } else if (secureBoot->size() != 1) {
    return sbError("the SecureBoot variable is " + std::to_string(secureBoot->size()) +
                   " bytes, expected 1 (or 0 when absent)");
  }
  st.enabled = !st.variableEmpty && (*secureBoot)[0] == 1;
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

}  // namespace pb::attest
