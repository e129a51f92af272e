// SPDX-License-Identifier: Apache-2.0
// AMTHI ("PTHI") message codec: request building, strict response validation and the payload
// layouts of the commands provbench reads (amt.md §4-§7). Pure functions on bytes, shared by the
// client (parse*) and the firmware simulator (encode*), fuzzed through parseResponse + parse*.
//
// GetLocalSystemAccount (0x04000067) returns the $$OsAdmin credentials; it is deliberately absent
// from this codec so no provbench code can ask for it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::amthi {

// Command codes (class 0x04 = CFG host interface).
enum class Command : std::uint32_t {
  GetProvisioningState = 0x04000011,
  GetCodeVersions = 0x0400001A,
  GetSecurityParameters = 0x0400001B,
  EnumerateHashHandles = 0x0400002C,
  GetCertificateHashEntry = 0x0400002D,
  GetZeroTouchEnabled = 0x04000030,
  GetDnsSuffix = 0x04000036,  // GetPKIFQDNSuffix
  GetLanInterfaceSettings = 0x04000048,
  GetConfigServerData = 0x0400004E,
  GetRedirectionState = 0x04000058,
  GetUuid = 0x0400005C,
  GetControlMode = 0x0400006B,
};

inline constexpr std::uint32_t kResponseBit = 0x00800000;
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kResponseHeaderSize = 16;  // header + AMT_STATUS

// Every command this codec knows, for the simulator's dispatch and the round-trip tests.
inline constexpr Command kAllCommands[] = {Command::GetCodeVersions,
                                           Command::GetProvisioningState,
                                           Command::GetControlMode,
                                           Command::GetUuid,
                                           Command::GetDnsSuffix,
                                           Command::EnumerateHashHandles,
                                           Command::GetCertificateHashEntry,
                                           Command::GetZeroTouchEnabled,
                                           Command::GetConfigServerData,
                                           Command::GetSecurityParameters,
                                           Command::GetRedirectionState,
                                           Command::GetLanInterfaceSettings};

std::string_view commandName(Command c);
std::optional<Command> commandFromName(std::string_view name);
std::optional<Command> commandFromCode(std::uint32_t code);

// Error.code values of response validation: each malformed shape is distinct.
namespace error {
inline constexpr std::string_view kEmpty = "amthi.empty";           // zero-length: AMT disabled
inline constexpr std::string_view kShort = "amthi.short";           // < 16 bytes
inline constexpr std::string_view kBadLength = "amthi.bad_length";  // Length != bytes - 12
inline constexpr std::string_view kBadHeader = "amthi.bad_header";  // version / reserved
inline constexpr std::string_view kWrongCommand = "amthi.wrong_command";  // not request|0x800000
inline constexpr std::string_view kStatus = "amthi.status";               // AMT_STATUS != 0
inline constexpr std::string_view kTruncated = "amthi.truncated";         // payload too short
inline constexpr std::string_view kTrailing = "amthi.trailing";           // payload too long
inline constexpr std::string_view kBadValue = "amthi.bad_value";          // field out of range
inline constexpr std::string_view kBadRequest = "amthi.bad_request";      // simulator side
}  // namespace error

// AMT_STATUS values worth naming (amt.md §4.2).
inline constexpr std::uint32_t kStatusSuccess = 0;
inline constexpr std::uint32_t kStatusInternalError = 1;
inline constexpr std::uint32_t kStatusNotReady = 2;
inline constexpr std::uint32_t kStatusInvalidAmtMode = 3;
inline constexpr std::uint32_t kStatusInvalidMessageLength = 4;
inline constexpr std::uint32_t kStatusNotPermitted = 16;
inline constexpr std::uint32_t kStatusInvalidParameter = 36;
inline constexpr std::uint32_t kStatusInvalidHandle = 0x805;
inline constexpr std::uint32_t kStatusNotFound = 0x814;
std::string statusName(std::uint32_t status);

// ---- framing ----------------------------------------------------------------------------------

Bytes buildRequest(Command c, const Bytes& payload = {});
Bytes buildGetCertificateHashEntry(std::uint32_t handle);
Bytes buildGetLanInterfaceSettings(std::uint32_t interfaceIndex);  // 0 wired, 1 wireless

// Validates a response to `request` (amt.md §4.1) and returns its payload (after the status).
// A non-zero status is error::kStatus with the status named in the message.
Result<Bytes> parseResponse(Command request, const Bytes& response);

// The request as the simulator sees it: header checked exactly (version 1.1, reserved 0,
// Length = bytes - 12, no response bit).
struct Request {
  std::uint32_t command = 0;
  Bytes payload;
};
Result<Request> parseRequest(const Bytes& request);
Bytes buildResponse(std::uint32_t requestCommand, std::uint32_t status, const Bytes& payload);

// ---- payloads ---------------------------------------------------------------------------------

struct CodeVersions {
  std::string biosVersion;
  std::vector<std::pair<std::string, std::string>> versions;  // ("AMT", "16.1.25"), ...
  [[nodiscard]] std::string find(std::string_view description) const;
};
inline constexpr std::size_t kMaxVersionEntries = 50;
inline constexpr std::size_t kVersionStringMax = 20;

enum class ProvisioningState : std::uint32_t { Pre = 0, In = 1, Post = 2 };
enum class ControlMode : std::uint32_t { None = 0, Client = 1, Admin = 2, RemoteAssistance = 3 };
using Uuid = std::array<std::uint8_t, 16>;

inline constexpr std::size_t kMaxHashHandles = 33;  // rpc-go's bound
inline constexpr std::size_t kMaxHashNameLength = 64;
inline constexpr std::size_t kCertHashFieldSize = 64;

struct CertHashEntry {
  bool isDefault = false;
  bool isActive = false;
  std::uint8_t algorithm = 2;  // the firmware's byte (amt.md §7)
  Bytes hash;                  // the meaningful bytes only (by algorithm)
  std::string name;
};

struct ConfigServer {
  std::uint16_t port = 0;
  std::string address;  // up to 45 chars (char[46], NUL-terminated)
  std::string fqdn;
};
inline constexpr std::size_t kServerAddressField = 46;
inline constexpr std::size_t kMaxFqdn = 255;

struct SecurityParameters {
  bool enterpriseMode = false;
  bool tlsEnabled = false;
  bool hwCryptoEnabled = false;
  std::uint32_t provisioningState = 0;
  bool networkInterfaceEnabled = false;
  bool solEnabled = false;
  bool iderEnabled = false;
  bool fwUpdateEnabled = false;
  bool linkIsUp = false;
  bool kvmEnabled = false;
};

struct RedirectionState {
  bool sol = false;
  bool ider = false;
  bool kvm = false;
};

struct LanSettings {
  bool enabled = false;
  std::uint32_t ipv4 = 0;  // 0x01020304 = 1.2.3.4
  bool dhcpEnabled = false;
  std::uint8_t dhcpIpMode = 0;  // 1 active, 2 passive
  std::uint8_t linkStatus = 0;  // 1 up
  std::array<std::uint8_t, 6> mac{};
};

// Hash size for the firmware's algorithm byte: 3 means SHA-384 on AMT >= 6 and SHA-512 on
// AMT <= 5 (Intel's MOF, amt.md §7). nullopt for bytes no firmware uses.
std::optional<std::size_t> hashSize(std::uint8_t algorithm, int amtMajor = 6);
std::string hashAlgorithmName(std::uint8_t algorithm, int amtMajor = 6);

Result<CodeVersions> parseCodeVersions(const Bytes& payload);
Result<ProvisioningState> parseProvisioningState(const Bytes& payload);
Result<ControlMode> parseControlMode(const Bytes& payload);
Result<Uuid> parseUuid(const Bytes& payload);
Result<std::string> parseDnsSuffix(const Bytes& payload);
Result<std::vector<std::uint32_t>> parseHashHandles(const Bytes& payload);
Result<CertHashEntry> parseCertHashEntry(const Bytes& payload, int amtMajor = 6);
Result<bool> parseZeroTouchEnabled(const Bytes& payload);
Result<ConfigServer> parseConfigServer(const Bytes& payload);
Result<SecurityParameters> parseSecurityParameters(const Bytes& payload);
Result<RedirectionState> parseRedirectionState(const Bytes& payload);
Result<LanSettings> parseLanSettings(const Bytes& payload);

Bytes encodeCodeVersions(const CodeVersions& v);
Bytes encodeU32(std::uint32_t v);
Bytes encodeUuid(const Uuid& u);
Bytes encodeDnsSuffix(const std::string& s);
Bytes encodeHashHandles(const std::vector<std::uint32_t>& handles);
Bytes encodeCertHashEntry(const CertHashEntry& e);
Bytes encodeConfigServer(const ConfigServer& s);
Bytes encodeSecurityParameters(const SecurityParameters& p);
Bytes encodeRedirectionState(const RedirectionState& r);
Bytes encodeLanSettings(const LanSettings& l);

// "939b524b-13d4-1d18-e487-1c697a6b7a2b": the first three fields are stored little-endian
// (SMBIOS order, amt.md §5 GetUUID and §11.3).
std::string formatUuid(const Uuid& u);
std::optional<Uuid> parseUuidText(std::string_view text);

}  // namespace pb::amthi
