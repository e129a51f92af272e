// SPDX-License-Identifier: Apache-2.0
#include "amt/amt_client.hpp"

namespace pb {

using amthi::Command;

AmtClient::AmtClient(AmtTransport& transport, std::chrono::milliseconds timeout)
    : transport_(transport), timeout_(timeout) {}

Result<Bytes> AmtClient::call(Command c, const Bytes& request) {
  auto raw = transport_.exchange(request, timeout_);
  if (!raw.ok()) return raw.error().withContext(amthi::commandName(c));
  return amthi::parseResponse(c, *raw);
}

namespace {

template <class T, class Parse>
Result<T> then(Result<Bytes> payload, Parse parse) {
  if (!payload.ok()) return payload.error();
  return parse(*payload);
}

}  // namespace

Result<amthi::CodeVersions> AmtClient::getCodeVersions() {
  return then<amthi::CodeVersions>(
      call(Command::GetCodeVersions, amthi::buildRequest(Command::GetCodeVersions)),
      amthi::parseCodeVersions);
}

Result<amthi::ProvisioningState> AmtClient::getProvisioningState() {
  return then<amthi::ProvisioningState>(
      call(Command::GetProvisioningState, amthi::buildRequest(Command::GetProvisioningState)),
      amthi::parseProvisioningState);
}

Result<amthi::ControlMode> AmtClient::getControlMode() {
  return then<amthi::ControlMode>(
      call(Command::GetControlMode, amthi::buildRequest(Command::GetControlMode)),
      amthi::parseControlMode);
}

Result<amthi::Uuid> AmtClient::getUuid() {
  return then<amthi::Uuid>(call(Command::GetUuid, amthi::buildRequest(Command::GetUuid)),
                           amthi::parseUuid);
}

Result<std::string> AmtClient::getDnsSuffix() {
  return then<std::string>(call(Command::GetDnsSuffix, amthi::buildRequest(Command::GetDnsSuffix)),
                           amthi::parseDnsSuffix);
}

Result<std::vector<std::uint32_t>> AmtClient::enumerateHashHandles() {
  return then<std::vector<std::uint32_t>>(
      call(Command::EnumerateHashHandles, amthi::buildRequest(Command::EnumerateHashHandles)),
      amthi::parseHashHandles);
}

Result<amthi::CertHashEntry> AmtClient::getCertificateHashEntry(std::uint32_t handle,
                                                                int amtMajor) {
  return then<amthi::CertHashEntry>(
      call(Command::GetCertificateHashEntry, amthi::buildGetCertificateHashEntry(handle)),
      [amtMajor](const Bytes& p) { return amthi::parseCertHashEntry(p, amtMajor); });
}

Result<bool> AmtClient::getZeroTouchEnabled() {
  return then<bool>(
      call(Command::GetZeroTouchEnabled, amthi::buildRequest(Command::GetZeroTouchEnabled)),
      amthi::parseZeroTouchEnabled);
}

Result<amthi::ConfigServer> AmtClient::getConfigServerData() {
  return then<amthi::ConfigServer>(
      call(Command::GetConfigServerData, amthi::buildRequest(Command::GetConfigServerData)),
      amthi::parseConfigServer);
}

Result<amthi::SecurityParameters> AmtClient::getSecurityParameters() {
  return then<amthi::SecurityParameters>(
      call(Command::GetSecurityParameters, amthi::buildRequest(Command::GetSecurityParameters)),
      amthi::parseSecurityParameters);
}

Result<amthi::RedirectionState> AmtClient::getRedirectionState() {
  return then<amthi::RedirectionState>(
      call(Command::GetRedirectionState, amthi::buildRequest(Command::GetRedirectionState)),
      amthi::parseRedirectionState);
}

Result<amthi::LanSettings> AmtClient::getLanInterfaceSettings(std::uint32_t interfaceIndex) {
  return then<amthi::LanSettings>(
      call(Command::GetLanInterfaceSettings, amthi::buildGetLanInterfaceSettings(interfaceIndex)),
      amthi::parseLanSettings);
}

}  // namespace pb
