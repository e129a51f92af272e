// SPDX-License-Identifier: Apache-2.0
// The AMTHI client: one method per command provbench reads, each one request and one strictly
// validated response over an AmtTransport. Read-only by construction: no command that changes
// AMT state, and never GetLocalSystemAccount.
#pragma once

#include <chrono>
#include <vector>

#include "amt/amthi.hpp"
#include "mei/amt_transport.hpp"

namespace pb {

class AmtClient {
 public:
  // `transport` must outlive the client. amt.md §2.5: rpc-go's HECI read timeout is 3 s.
  explicit AmtClient(AmtTransport& transport,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

  Result<amthi::CodeVersions> getCodeVersions();
  Result<amthi::ProvisioningState> getProvisioningState();
  Result<amthi::ControlMode> getControlMode();
  Result<amthi::Uuid> getUuid();
  Result<std::string> getDnsSuffix();
  Result<std::vector<std::uint32_t>> enumerateHashHandles();
  // amtMajor decides what algorithm byte 3 means (amt.md §7).
  Result<amthi::CertHashEntry> getCertificateHashEntry(std::uint32_t handle, int amtMajor = 6);
  Result<bool> getZeroTouchEnabled();
  Result<amthi::ConfigServer> getConfigServerData();
  Result<amthi::SecurityParameters> getSecurityParameters();
  Result<amthi::RedirectionState> getRedirectionState();
  Result<amthi::LanSettings> getLanInterfaceSettings(std::uint32_t interfaceIndex = 0);

 private:
  Result<Bytes> call(amthi::Command c, const Bytes& request);

  AmtTransport& transport_;
  std::chrono::milliseconds timeout_;
};

}  // namespace pb
