// SPDX-License-Identifier: Apache-2.0
// AMTHI response parser: the first byte picks the command the response is parsed as; the rest is
// the response message (what /dev/mei delivers, i.e. what the ME firmware or anything posing as
// it controls).
#include <cstddef>
#include <cstdint>

#include "amt/amthi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pb::amthi;
  if (size < 1) return 0;
  constexpr std::size_t kCount = sizeof(kAllCommands) / sizeof(kAllCommands[0]);
  const Command c = kAllCommands[data[0] % kCount];
  const pb::Bytes response(data + 1, data + size);
  auto payload = parseResponse(c, response);
  // Every payload parser also runs on the raw bytes, so the fuzzer reaches them without having
  // to build a valid header first.
  const pb::Bytes& p = payload.ok() ? *payload : response;
  switch (c) {
    case Command::GetCodeVersions:
      (void)parseCodeVersions(p);
      break;
    case Command::GetProvisioningState:
      (void)parseProvisioningState(p);
      break;
    case Command::GetControlMode:
      (void)parseControlMode(p);
      break;
    case Command::GetUuid:
      (void)parseUuid(p);
      break;
    case Command::GetDnsSuffix:
      (void)parseDnsSuffix(p);
      break;
    case Command::EnumerateHashHandles:
      (void)parseHashHandles(p);
      break;
    case Command::GetCertificateHashEntry:
      (void)parseCertHashEntry(p, 16);
      (void)parseCertHashEntry(p, 5);
      break;
    case Command::GetZeroTouchEnabled:
      (void)parseZeroTouchEnabled(p);
      break;
    case Command::GetConfigServerData:
      (void)parseConfigServer(p);
      break;
    case Command::GetSecurityParameters:
      (void)parseSecurityParameters(p);
      break;
    case Command::GetRedirectionState:
      (void)parseRedirectionState(p);
      break;
    case Command::GetLanInterfaceSettings:
      (void)parseLanSettings(p);
      break;
  }
  (void)parseRequest(response);
  return 0;
}
