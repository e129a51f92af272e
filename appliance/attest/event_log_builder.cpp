// SPDX-License-Identifier: Apache-2.0
// EventLogBuilder: synthetic event logs in both layouts, for tests and the simulator.
#include <algorithm>

#include "attest/event_log.hpp"
#include "attest/le_codec.hpp"
#include "attest/tpm_types.hpp"

namespace pb::attest {

namespace {
constexpr char kSpecIdSignature[] = "Spec ID Event03";  // 15 chars + NUL = 16 bytes
}  // namespace

using detail::le16;
using detail::le32;
using detail::le64;

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

EventLogBuilder EventLogBuilder::sha1Legacy() {
  EventLogBuilder b({alg::kSha1});
  b.legacy_ = true;
  return b;
}

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

EventLogBuilder& EventLogBuilder::shimAuthorityQuirk(const Bytes& certDer, std::size_t padding,
                                                     std::uint8_t tail) {
  Bytes covered = encodeUefiVariable(kShimLockGuid, "Shim", certDer);
  covered.insert(covered.end(), padding, 0);
  Bytes logged = covered;
  logged.push_back(tail);
  return eventDigestOf(7, ev::kEfiVariableAuthority, logged, covered);
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
  if (legacy_) {
    // TCG_PCR_EVENT throughout: no Spec ID event, the SHA-1 digest inline.
    auto writeLegacy = [&](std::uint32_t pcr, std::uint32_t type, const Bytes& sha1,
                           const Bytes& data) {
      le32(out, pcr);
      le32(out, type);
      out.insert(out.end(), sha1.begin(), sha1.end());
      le32(out, static_cast<std::uint32_t>(data.size()));
      out.insert(out.end(), data.begin(), data.end());
    };
    if (hasLocality_) {
      Bytes data(kStartupLocalitySignature, kStartupLocalitySignature + 16);
      data.push_back(locality_);
      writeLegacy(0, ev::kNoAction, Bytes(20, 0), data);
    }
    for (const auto& e : events_) {
      const Bytes* d = e.digest(alg::kSha1);
      writeLegacy(e.pcr, e.type, d != nullptr ? *d : Bytes(20, 0), e.data);
    }
    return out;
  }
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
    loc.data = Bytes(kStartupLocalitySignature, kStartupLocalitySignature + 16);
    loc.data.push_back(locality_);
    for (std::uint16_t b : banks_) loc.digests.emplace_back(b, Bytes(digestSize(b), 0));
    writeEvent(loc);
  }
  for (const auto& e : events_) writeEvent(e);
  return out;
}

std::map<std::uint32_t, Bytes> EventLogBuilder::expectedPcrs(std::uint16_t bank) const {
  EventLog log;
  log.format = legacy_ ? EventLogFormat::Sha1Legacy : EventLogFormat::CryptoAgile;
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
