// SPDX-License-Identifier: Apache-2.0
#include "amt/amt_simulator.hpp"

#include <algorithm>
#include <cerrno>

namespace pb {

using amthi::Command;

namespace {

bool selected(const std::string& selector, Command c) {
  return selector == "all" || (!selector.empty() && selector == amthi::commandName(c));
}

}  // namespace

AmtSimulator::AmtSimulator(AmtSimConfig config)
    : config_(std::move(config)), busyLeft_(config_.faults.busyConnects) {}

std::uint32_t AmtSimulator::connect() {
  if (config_.faults.noClient) return ENOTTY;
  if (busyLeft_ > 0) {
    --busyLeft_;
    return EBUSY;
  }
  return 0;
}

AmtHello AmtSimulator::hello() {
  AmtHello h;
  h.adminCredentialsSet = config_.hello.adminCredentialsSet;
  h.retryCount = std::min<std::uint32_t>(hellosSent_++, 14);
  h.uuid = config_.uuid;
  for (const auto& e : config_.hashes) {
    if (!e.isActive || h.hashes.size() >= kHelloMaxHashes) continue;
    // The hello encodes SHA-1/256/384 only, with its own type bytes (amt.md §7).
    std::uint8_t type = e.algorithm == 1 ? 1 : e.algorithm == 2 ? 2 : e.algorithm == 3 ? 3 : 0;
    if (type != 0) h.hashes.push_back(AmtHelloHash{type, e.hash});
  }
  return h;
}

Bytes AmtSimulator::answer(std::uint32_t code, const Bytes& payload) {
  const auto command = amthi::commandFromCode(code);
  // Unknown commands, and GetLocalSystemAccount in particular, are refused: the simulator holds
  // no credentials and provbench never asks for them.
  if (!command) return amthi::buildResponse(code, amthi::kStatusNotPermitted, {});
  const bool takesIndex =
      *command == Command::GetCertificateHashEntry || *command == Command::GetLanInterfaceSettings;
  if (payload.size() != (takesIndex ? 4u : 0u)) {
    return amthi::buildResponse(code, amthi::kStatusInvalidMessageLength, {});
  }
  const std::uint32_t index = takesIndex ? static_cast<std::uint32_t>(payload[0]) |
                                               (static_cast<std::uint32_t>(payload[1]) << 8) |
                                               (static_cast<std::uint32_t>(payload[2]) << 16) |
                                               (static_cast<std::uint32_t>(payload[3]) << 24)
                                         : 0;
  Bytes out;
  switch (*command) {
    case Command::GetCodeVersions:
      out = amthi::encodeCodeVersions(config_.codeVersions);
      break;
    case Command::GetProvisioningState:
      out = amthi::encodeU32(static_cast<std::uint32_t>(config_.provisioningState));
      break;
    case Command::GetControlMode:
      out = amthi::encodeU32(static_cast<std::uint32_t>(config_.controlMode));
      break;
    case Command::GetUuid:
      out = amthi::encodeUuid(config_.uuid);
      break;
    case Command::GetDnsSuffix:
      out = amthi::encodeDnsSuffix(config_.dnsSuffix);
      break;
    case Command::EnumerateHashHandles: {
      std::vector<std::uint32_t> handles;
      for (std::uint32_t i = 0; i < config_.hashes.size(); ++i) handles.push_back(i);
      out = amthi::encodeHashHandles(handles);
      break;
    }
    case Command::GetCertificateHashEntry: {
      if (index >= config_.hashes.size()) {
        return amthi::buildResponse(code, amthi::kStatusInvalidHandle, {});
      }
      const auto& h = config_.hashes[index];
      out = amthi::encodeCertHashEntry(
          amthi::CertHashEntry{h.isDefault, h.isActive, h.algorithm, h.hash, h.name});
      break;
    }
    case Command::GetZeroTouchEnabled:
      out = amthi::encodeU32(config_.remoteConfiguration ? 1 : 0);
      break;
    case Command::GetConfigServerData:
      out = amthi::encodeConfigServer(config_.configServer);
      break;
    case Command::GetSecurityParameters: {
      amthi::SecurityParameters p;
      p.enterpriseMode = true;
      p.tlsEnabled = config_.tlsEnabled;
      p.hwCryptoEnabled = true;
      p.provisioningState = static_cast<std::uint32_t>(config_.provisioningState);
      p.networkInterfaceEnabled = config_.lan.enabled;
      p.solEnabled = config_.redirection.sol;
      p.iderEnabled = config_.redirection.ider;
      p.fwUpdateEnabled = true;
      p.linkIsUp = config_.lan.linkStatus == 1;
      p.kvmEnabled = config_.redirection.kvm;
      out = amthi::encodeSecurityParameters(p);
      break;
    }
    case Command::GetRedirectionState:
      out = amthi::encodeRedirectionState(config_.redirection);
      break;
    case Command::GetLanInterfaceSettings:
      // The simulated device has a wired interface only.
      if (index != 0) return amthi::buildResponse(code, amthi::kStatusInvalidParameter, {});
      out = amthi::encodeLanSettings(config_.lan);
      break;
  }
  const auto& f = config_.faults;
  if (selected(f.badStatus, *command)) return amthi::buildResponse(code, f.badStatusCode, {});
  // A neighbouring command's response code, as a confused firmware or a stale message would give.
  const std::uint32_t echo = selected(f.wrongEcho, *command) ? code + 1 : code;
  Bytes r = amthi::buildResponse(echo, amthi::kStatusSuccess, out);
  if (selected(f.truncated, *command)) {
    // The header still announces the full length; the data stops half-way (or inside the
    // header when there is no payload).
    r.resize(out.empty() ? 10 : amthi::kResponseHeaderSize + out.size() / 2);
  }
  return r;
}

Bytes AmtSimulator::handle(const Bytes& request) {
  ++requests_;
  if (config_.faults.disabled) return {};
  auto req = amthi::parseRequest(request);
  if (!req.ok()) {
    const std::uint32_t code = request.size() >= 8
                                   ? static_cast<std::uint32_t>(request[4]) |
                                         (static_cast<std::uint32_t>(request[5]) << 8) |
                                         (static_cast<std::uint32_t>(request[6]) << 16) |
                                         (static_cast<std::uint32_t>(request[7]) << 24)
                                   : 0;
    return amthi::buildResponse(code & ~amthi::kResponseBit, amthi::kStatusInvalidMessageLength,
                                {});
  }
  return answer(req->command, req->payload);
}

}  // namespace pb
