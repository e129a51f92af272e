// SPDX-License-Identifier: Apache-2.0
#include "amt/amthi.hpp"

#include <algorithm>

namespace pb::amthi {

namespace {

Error err(std::string_view code, std::string message) {
  return makeError(std::string(code), std::move(message));
}

std::uint32_t u32At(const Bytes& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

std::uint16_t u16At(const Bytes& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
}

void putU32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void putU16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

// Printable ASCII only: these strings reach JSON, logs and the kiosk.
bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A fixed char[N] field: the text ends at the first NUL; what follows must be NUL padding.
Result<std::string> fixedString(const Bytes& b, std::size_t off, std::size_t n,
                                std::string_view what) {
  std::size_t len = 0;
  while (len < n && b[off + len] != 0) ++len;
  std::string s(reinterpret_cast<const char*>(b.data() + off), len);
  if (!printable(s)) return err(error::kBadValue, std::string(what) + " is not printable ASCII");
  return s;
}

// An exact-size check with the two distinct outcomes the tests and the kiosk tell apart.
Status exactSize(const Bytes& p, std::size_t want, Command c) {
  if (p.size() < want) {
    return err(error::kTruncated, std::string(commandName(c)) + " payload has " +
                                      std::to_string(p.size()) + " bytes, needs " +
                                      std::to_string(want));
  }
  if (p.size() > want) {
    return err(error::kTrailing, std::string(commandName(c)) + " payload has " +
                                     std::to_string(p.size() - want) +
                                     " unexpected trailing bytes");
  }
  return {};
}

Result<bool> boolean(std::uint32_t v, std::string_view what) {
  if (v > 1)
    return err(error::kBadValue, std::string(what) + " is " + std::to_string(v) + ", not 0/1");
  return v == 1;
}

Result<std::uint32_t> singleU32(const Bytes& p, Command c) {
  if (auto st = exactSize(p, 4, c); !st.ok()) return st.error();
  return u32At(p, 0);
}

// u16 length + chars, the whole payload (AMT_ANSI_STRING as a response).
Result<std::string> ansiString(const Bytes& p, std::size_t off, std::size_t maxLen, Command c,
                               std::string_view what) {
  if (p.size() < off + 2) {
    return err(error::kTruncated,
               std::string(commandName(c)) + " payload lacks the " + std::string(what) + " length");
  }
  const std::size_t len = u16At(p, off);
  if (len > maxLen) {
    return err(error::kBadValue, std::string(what) + " length " + std::to_string(len) +
                                     " exceeds " + std::to_string(maxLen));
  }
  if (auto st = exactSize(p, off + 2 + len, c); !st.ok()) return st.error();
  std::string s(reinterpret_cast<const char*>(p.data() + off + 2), len);
  // Some firmware counts a terminating NUL in the length.
  while (!s.empty() && s.back() == '\0') s.pop_back();
  if (!printable(s)) return err(error::kBadValue, std::string(what) + " is not printable ASCII");
  return s;
}

std::string hex32(std::uint32_t v) {
  const std::uint8_t be[4] = {static_cast<std::uint8_t>(v >> 24),
                              static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
                              static_cast<std::uint8_t>(v)};
  return toHex(be, sizeof(be));
}

struct NamedCommand {
  Command command;
  std::string_view name;
};

constexpr NamedCommand kNames[] = {
    {Command::GetProvisioningState, "GetProvisioningState"},
    {Command::GetCodeVersions, "GetCodeVersions"},
    {Command::GetSecurityParameters, "GetSecurityParameters"},
    {Command::EnumerateHashHandles, "EnumerateHashHandles"},
    {Command::GetCertificateHashEntry, "GetCertificateHashEntry"},
    {Command::GetZeroTouchEnabled, "GetZeroTouchEnabled"},
    {Command::GetDnsSuffix, "GetDnsSuffix"},
    {Command::GetLanInterfaceSettings, "GetLANInterfaceSettings"},
    {Command::GetConfigServerData, "GetConfigServerData"},
    {Command::GetRedirectionState, "GetRedirectionState"},
    {Command::GetUuid, "GetUUID"},
    {Command::GetControlMode, "GetControlMode"},
};

}  // namespace

std::string_view commandName(Command c) {
  for (const auto& n : kNames) {
    if (n.command == c) return n.name;
  }
  return "unknown command";
}

std::optional<Command> commandFromName(std::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.command;
  }
  return std::nullopt;
}

std::optional<Command> commandFromCode(std::uint32_t code) {
  for (const auto& n : kNames) {
    if (static_cast<std::uint32_t>(n.command) == code) return n.command;
  }
  return std::nullopt;
}

std::string statusName(std::uint32_t status) {
  switch (status) {
    case 0:
      return "SUCCESS";
    case 1:
      return "INTERNAL_ERROR";
    case 2:
      return "NOT_READY";
    case 3:
      return "INVALID_AMT_MODE";
    case 4:
      return "INVALID_MESSAGE_LENGTH";
    case 16:
      return "NOT_PERMITTED";
    case 23:
      return "MAX_LIMIT_REACHED";
    case 36:
      return "INVALID_PARAMETER";
    case 47:
      return "RNG_GENERATION_IN_PROGRESS";
    case 48:
      return "RNG_NOT_READY";
    case 49:
      return "CERTIFICATE_NOT_READY";
    case 0x805:
      return "INVALID_HANDLE";
    case 0x814:
      return "NOT_FOUND";
    default:
      return "status " + std::to_string(status);
  }
}

Bytes buildRequest(Command c, const Bytes& payload) {
  Bytes b = {1, 1, 0, 0};
  putU32(b, static_cast<std::uint32_t>(c));
  putU32(b, static_cast<std::uint32_t>(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes buildGetCertificateHashEntry(std::uint32_t handle) {
  return buildRequest(Command::GetCertificateHashEntry, encodeU32(handle));
}

Bytes buildGetLanInterfaceSettings(std::uint32_t interfaceIndex) {
  return buildRequest(Command::GetLanInterfaceSettings, encodeU32(interfaceIndex));
}

Result<Bytes> parseResponse(Command request, const Bytes& r) {
  const std::string name(commandName(request));
  if (r.empty()) {
    return err(error::kEmpty, name + ": zero-length response (AMT is disabled)");
  }
  if (r.size() < kResponseHeaderSize) {
    return err(error::kShort, name + ": response of " + std::to_string(r.size()) +
                                  " bytes is shorter than the 16-byte header");
  }
  const std::uint32_t length = u32At(r, 8);
  if (length != r.size() - kHeaderSize) {
    return err(error::kBadLength, name + ": header Length " + std::to_string(length) + " but " +
                                      std::to_string(r.size() - kHeaderSize) +
                                      " bytes follow the header");
  }
  const std::uint32_t command = u32At(r, 4);
  const std::uint32_t want = static_cast<std::uint32_t>(request) | kResponseBit;
  if (command != want) {
    return err(error::kWrongCommand,
               name + ": answers command 0x" + hex32(command) + ", expected 0x" + hex32(want));
  }
  if (r[0] != 1 || r[1] < 1 || r[2] != 0 || r[3] != 0) {
    return err(error::kBadHeader, name + ": header version " + std::to_string(r[0]) + "." +
                                      std::to_string(r[1]) + " or reserved bytes not as expected");
  }
  const std::uint32_t status = u32At(r, 12);
  if (status != kStatusSuccess) {
    return err(error::kStatus, name + ": AMT status " + statusName(status));
  }
  return Bytes(r.begin() + kResponseHeaderSize, r.end());
}

Result<Request> parseRequest(const Bytes& b) {
  if (b.size() < kHeaderSize) return err(error::kBadRequest, "request shorter than 12 bytes");
  if (b[0] != 1 || b[1] != 1 || b[2] != 0 || b[3] != 0) {
    return err(error::kBadRequest, "request header is not version 1.1 with reserved 0");
  }
  const std::uint32_t length = u32At(b, 8);
  if (length != b.size() - kHeaderSize) {
    return err(error::kBadRequest, "request Length does not match its size");
  }
  Request req;
  req.command = u32At(b, 4);
  if ((req.command & kResponseBit) != 0)
    return err(error::kBadRequest, "request has the response bit");
  req.payload.assign(b.begin() + kHeaderSize, b.end());
  return req;
}

Bytes buildResponse(std::uint32_t requestCommand, std::uint32_t status, const Bytes& payload) {
  Bytes b = {1, 1, 0, 0};
  putU32(b, requestCommand | kResponseBit);
  putU32(b, static_cast<std::uint32_t>(4 + payload.size()));
  putU32(b, status);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

std::string CodeVersions::find(std::string_view description) const {
  for (const auto& [d, v] : versions) {
    if (d == description) return v;
  }
  return {};
}

std::optional<std::size_t> hashSize(std::uint8_t algorithm, int amtMajor) {
  switch (algorithm) {
    case 0:
      return 16;
    case 1:
      return 20;
    case 2:
      return 32;
    case 3:
      return amtMajor <= 5 ? 64 : 48;
    case 4:
      return 28;
    case 5:
      return 64;
    default:
      return std::nullopt;
  }
}

std::string hashAlgorithmName(std::uint8_t algorithm, int amtMajor) {
  switch (algorithm) {
    case 0:
      return "md5";
    case 1:
      return "sha1";
    case 2:
      return "sha256";
    case 3:
      return amtMajor <= 5 ? "sha512" : "sha384";
    case 4:
      return "sha224";
    case 5:
      return "sha512";
    default:
      return "unknown";
  }
}

Result<CodeVersions> parseCodeVersions(const Bytes& p) {
  constexpr std::size_t kFixed = 65 + 4;
  constexpr std::size_t kEntry = 2 + kVersionStringMax + 2 + kVersionStringMax;
  if (p.size() < kFixed) {
    return err(error::kTruncated, "GetCodeVersions payload has " + std::to_string(p.size()) +
                                      " bytes, needs at least 69");
  }
  CodeVersions v;
  auto bios = fixedString(p, 0, 65, "BIOS version");
  if (!bios.ok()) return bios.error();
  v.biosVersion = *bios;
  const std::uint32_t count = u32At(p, 65);
  if (count > kMaxVersionEntries) {
    return err(error::kBadValue, "GetCodeVersions count " + std::to_string(count) + " exceeds " +
                                     std::to_string(kMaxVersionEntries));
  }
  if (auto st = exactSize(p, kFixed + kEntry * count, Command::GetCodeVersions); !st.ok()) {
    return st.error();
  }
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t off = kFixed + kEntry * i;
    const std::size_t dlen = u16At(p, off);
    const std::size_t vlen = u16At(p, off + 2 + kVersionStringMax);
    if (dlen > kVersionStringMax || vlen > kVersionStringMax) {
      return err(error::kBadValue,
                 "GetCodeVersions entry " + std::to_string(i) + " has a string length over 20");
    }
    auto d = fixedString(p, off + 2, dlen, "version description");
    auto s = fixedString(p, off + 4 + kVersionStringMax, vlen, "version string");
    if (!d.ok()) return d.error();
    if (!s.ok()) return s.error();
    v.versions.emplace_back(*d, *s);
  }
  return v;
}

Result<ProvisioningState> parseProvisioningState(const Bytes& p) {
  auto v = singleU32(p, Command::GetProvisioningState);
  if (!v.ok()) return v.error();
  if (*v > 2) return err(error::kBadValue, "provisioning state " + std::to_string(*v) + " unknown");
  return static_cast<ProvisioningState>(*v);
}

Result<ControlMode> parseControlMode(const Bytes& p) {
  auto v = singleU32(p, Command::GetControlMode);
  if (!v.ok()) return v.error();
  if (*v > 3) return err(error::kBadValue, "control mode " + std::to_string(*v) + " unknown");
  return static_cast<ControlMode>(*v);
}

Result<Uuid> parseUuid(const Bytes& p) {
  if (auto st = exactSize(p, 16, Command::GetUuid); !st.ok()) return st.error();
  Uuid u{};
  std::copy(p.begin(), p.end(), u.begin());
  return u;
}

Result<std::string> parseDnsSuffix(const Bytes& p) {
  return ansiString(p, 0, kMaxFqdn, Command::GetDnsSuffix, "DNS suffix");
}

Result<std::vector<std::uint32_t>> parseHashHandles(const Bytes& p) {
  if (p.size() < 4) return err(error::kTruncated, "EnumerateHashHandles payload lacks the count");
  const std::uint32_t count = u32At(p, 0);
  if (count > kMaxHashHandles) {
    return err(error::kBadValue, "EnumerateHashHandles count " + std::to_string(count) +
                                     " exceeds " + std::to_string(kMaxHashHandles));
  }
  if (auto st = exactSize(p, 4 + 4 * std::size_t{count}, Command::EnumerateHashHandles); !st.ok()) {
    return st.error();
  }
  std::vector<std::uint32_t> handles;
  for (std::size_t i = 0; i < count; ++i) handles.push_back(u32At(p, 4 + 4 * i));
  return handles;
}

Result<CertHashEntry> parseCertHashEntry(const Bytes& p, int amtMajor) {
  // u32 IsDefault; u32 IsActive; u8 Hash[64]; u8 Algorithm; u16 NameLen; char Name[NameLen]
  constexpr std::size_t kFixed = 4 + 4 + kCertHashFieldSize + 1 + 2;
  if (p.size() < kFixed) {
    return err(error::kTruncated, "GetCertificateHashEntry payload has " +
                                      std::to_string(p.size()) + " bytes, needs at least 75");
  }
  CertHashEntry e;
  auto def = boolean(u32At(p, 0), "IsDefault");
  auto act = boolean(u32At(p, 4), "IsActive");
  if (!def.ok()) return def.error();
  if (!act.ok()) return act.error();
  e.isDefault = *def;
  e.isActive = *act;
  e.algorithm = p[72];
  const auto size = hashSize(e.algorithm, amtMajor);
  if (!size) {
    return err(error::kBadValue, "hash algorithm byte " + std::to_string(e.algorithm) + " unknown");
  }
  e.hash.assign(p.begin() + 8, p.begin() + 8 + static_cast<std::ptrdiff_t>(*size));
  auto name = ansiString(p, 73, kMaxHashNameLength, Command::GetCertificateHashEntry, "hash name");
  if (!name.ok()) return name.error();
  e.name = *name;
  return e;
}

Result<bool> parseZeroTouchEnabled(const Bytes& p) {
  auto v = singleU32(p, Command::GetZeroTouchEnabled);
  if (!v.ok()) return v.error();
  return boolean(*v, "ZeroTouchEnabled");
}

Result<ConfigServer> parseConfigServer(const Bytes& p) {
  constexpr std::size_t kFixed = 2 + kServerAddressField;
  if (p.size() < kFixed + 2) {
    return err(error::kTruncated, "GetConfigServerData payload has " + std::to_string(p.size()) +
                                      " bytes, needs at least 50");
  }
  ConfigServer s;
  s.port = u16At(p, 0);
  auto addr = fixedString(p, 2, kServerAddressField, "config server address");
  if (!addr.ok()) return addr.error();
  s.address = *addr;
  auto fqdn = ansiString(p, kFixed, kMaxFqdn, Command::GetConfigServerData, "config server FQDN");
  if (!fqdn.ok()) return fqdn.error();
  s.fqdn = *fqdn;
  return s;
}

Result<SecurityParameters> parseSecurityParameters(const Bytes& p) {
  if (auto st = exactSize(p, std::size_t{17} * 4, Command::GetSecurityParameters); !st.ok())
    return st.error();
  std::uint32_t f[10];
  for (std::size_t i = 0; i < 10; ++i) f[i] = u32At(p, 4 * i);
  SecurityParameters s;
  bool* flags[] = {&s.enterpriseMode,
                   &s.tlsEnabled,
                   &s.hwCryptoEnabled,
                   nullptr,
                   &s.networkInterfaceEnabled,
                   &s.solEnabled,
                   &s.iderEnabled,
                   &s.fwUpdateEnabled,
                   &s.linkIsUp,
                   &s.kvmEnabled};
  for (std::size_t i = 0; i < 10; ++i) {
    if (flags[i] == nullptr) continue;
    auto b = boolean(f[i], "security parameter " + std::to_string(i));
    if (!b.ok()) return b.error();
    *flags[i] = *b;
  }
  if (f[3] > 2)
    return err(error::kBadValue, "provisioning state " + std::to_string(f[3]) + " unknown");
  s.provisioningState = f[3];
  return s;
}

Result<RedirectionState> parseRedirectionState(const Bytes& p) {
  auto v = singleU32(p, Command::GetRedirectionState);
  if (!v.ok()) return v.error();
  if ((*v & ~0x7u) != 0) {
    return err(error::kBadValue, "redirection state has unknown bits set");
  }
  return RedirectionState{(*v & 1u) != 0, (*v & 2u) != 0, (*v & 4u) != 0};
}

Result<LanSettings> parseLanSettings(const Bytes& p) {
  if (auto st = exactSize(p, 20, Command::GetLanInterfaceSettings); !st.ok()) return st.error();
  LanSettings l;
  auto en = boolean(u32At(p, 0), "LAN Enabled");
  auto dhcp = boolean(u32At(p, 8), "DhcpEnabled");
  if (!en.ok()) return en.error();
  if (!dhcp.ok()) return dhcp.error();
  l.enabled = *en;
  l.ipv4 = u32At(p, 4);
  l.dhcpEnabled = *dhcp;
  l.dhcpIpMode = p[12];
  l.linkStatus = p[13];
  std::copy(p.begin() + 14, p.end(), l.mac.begin());
  return l;
}

Bytes encodeU32(std::uint32_t v) {
  Bytes b;
  putU32(b, v);
  return b;
}

Bytes encodeCodeVersions(const CodeVersions& v) {
  Bytes b(65, 0);
  std::copy_n(v.biosVersion.begin(), std::min<std::size_t>(v.biosVersion.size(), 64), b.begin());
  putU32(b, static_cast<std::uint32_t>(v.versions.size()));
  for (const auto& [d, s] : v.versions) {
    for (const std::string* str : {&d, &s}) {
      const std::size_t n = std::min(str->size(), kVersionStringMax);
      putU16(b, static_cast<std::uint16_t>(n));
      const std::size_t at = b.size();
      b.resize(at + kVersionStringMax, 0);
      std::copy_n(str->begin(), n, b.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  return b;
}

Bytes encodeUuid(const Uuid& u) {
  return Bytes(u.begin(), u.end());
}

Bytes encodeDnsSuffix(const std::string& s) {
  Bytes b;
  putU16(b, static_cast<std::uint16_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

Bytes encodeHashHandles(const std::vector<std::uint32_t>& handles) {
  Bytes b;
  putU32(b, static_cast<std::uint32_t>(handles.size()));
  for (auto h : handles) putU32(b, h);
  return b;
}

Bytes encodeCertHashEntry(const CertHashEntry& e) {
  Bytes b;
  putU32(b, e.isDefault ? 1 : 0);
  putU32(b, e.isActive ? 1 : 0);
  Bytes field(kCertHashFieldSize, 0);
  std::copy_n(e.hash.begin(), std::min(e.hash.size(), kCertHashFieldSize), field.begin());
  b.insert(b.end(), field.begin(), field.end());
  b.push_back(e.algorithm);
  putU16(b, static_cast<std::uint16_t>(e.name.size()));
  b.insert(b.end(), e.name.begin(), e.name.end());
  return b;
}

Bytes encodeConfigServer(const ConfigServer& s) {
  Bytes b;
  putU16(b, s.port);
  Bytes addr(kServerAddressField, 0);
  std::copy_n(s.address.begin(), std::min(s.address.size(), kServerAddressField - 1), addr.begin());
  b.insert(b.end(), addr.begin(), addr.end());
  putU16(b, static_cast<std::uint16_t>(s.fqdn.size()));
  b.insert(b.end(), s.fqdn.begin(), s.fqdn.end());
  return b;
}

Bytes encodeSecurityParameters(const SecurityParameters& p) {
  Bytes b;
  for (std::uint32_t v : {std::uint32_t{p.enterpriseMode}, std::uint32_t{p.tlsEnabled},
                          std::uint32_t{p.hwCryptoEnabled}, p.provisioningState,
                          std::uint32_t{p.networkInterfaceEnabled}, std::uint32_t{p.solEnabled},
                          std::uint32_t{p.iderEnabled}, std::uint32_t{p.fwUpdateEnabled},
                          std::uint32_t{p.linkIsUp}, std::uint32_t{p.kvmEnabled}}) {
    putU32(b, v);
  }
  for (int i = 0; i < 7; ++i) putU32(b, 0);
  return b;
}

Bytes encodeRedirectionState(const RedirectionState& r) {
  return encodeU32((r.sol ? 1u : 0u) | (r.ider ? 2u : 0u) | (r.kvm ? 4u : 0u));
}

Bytes encodeLanSettings(const LanSettings& l) {
  Bytes b;
  putU32(b, l.enabled ? 1 : 0);
  putU32(b, l.ipv4);
  putU32(b, l.dhcpEnabled ? 1 : 0);
  b.push_back(l.dhcpIpMode);
  b.push_back(l.linkStatus);
  b.insert(b.end(), l.mac.begin(), l.mac.end());
  return b;
}

std::string formatUuid(const Uuid& u) {
  const std::uint8_t ordered[16] = {u[3], u[2], u[1],  u[0],  u[5],  u[4],  u[7],  u[6],
                                    u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]};
  const std::string hex = toHex(ordered, sizeof(ordered));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::optional<Uuid> parseUuidText(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') hex.push_back(c);
  }
  auto raw = fromHex(hex);
  if (!raw || raw->size() != 16) return std::nullopt;
  const Bytes& r = *raw;
  return Uuid{r[3], r[2], r[1],  r[0],  r[5],  r[4],  r[7],  r[6],
              r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]};
}

}  // namespace pb::amthi
