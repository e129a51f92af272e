// SPDX-License-Identifier: Apache-2.0
// What the AMT firmware simulator answers: a device's AMT state as a YAML-describable value.
// The defaults are a realistic factory device (amt.md §9.3 hash list, remote configuration on,
// pre-provisioning) plus the organisation's internal CA, "Acme Internal Root CA".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "amt/amthi.hpp"
#include "core/result.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb {

struct AmtSimHash {
  std::string name;
  std::uint8_t algorithm = 2;  // firmware byte (amt.md §7): 1 sha1, 2 sha256, 3 sha384
  Bytes hash;
  bool isDefault = false;
  bool isActive = true;
};

// Fault switches. A command name field takes an AMTHI command name ("GetUUID") or "all".
struct AmtSimFaults {
  std::uint32_t busyConnects = 0;  // the first N connects get EBUSY (LMS holding the client)
  bool noClient = false;           // every connect gets ENOTTY (AMT absent / disabled in BIOS)
  bool disabled = false;           // every response is zero-length (AMT disabled)
  std::string truncated;           // response cut short
  std::string wrongEcho;           // response echoes another command
  std::string badStatus;           // response carries badStatusCode and no payload
  std::uint32_t badStatusCode = amthi::kStatusInternalError;
};

struct AmtSimHello {
  std::string target;  // "host:port" (UDP); empty = no hellos
  bool adminCredentialsSet = false;
  std::uint32_t intervalMs = 0;  // 0 = one hello at start
};

struct AmtSimConfig {
  amthi::CodeVersions codeVersions;
  amthi::ProvisioningState provisioningState = amthi::ProvisioningState::Pre;
  amthi::ControlMode controlMode = amthi::ControlMode::None;
  amthi::Uuid uuid{};
  std::vector<AmtSimHash> hashes;
  std::string dnsSuffix;
  bool remoteConfiguration = true;
  amthi::ConfigServer configServer;
  bool tlsEnabled = false;
  amthi::RedirectionState redirection;
  amthi::LanSettings lan;
  AmtSimHello hello;
  AmtSimFaults faults;
};

// The factory trusted-root list (amt.md §9.3 rows 1-24, the MeshCentral hello order), all
// default and active.
std::vector<AmtSimHash> factoryHashes();
// The organisation's internal CA as the simulator knows it (non-default, active). The hash is a
// simulation placeholder: sha256("provbench simulation: Acme Internal Root CA").
AmtSimHash internalCaHash();
inline constexpr std::string_view kInternalCaName = "Acme Internal Root CA";
inline constexpr std::string_view kInternalCaSha256 =
    "53423e781bf7aa2e3172b8b1f67816fa0e3c22efb898769a4d1224340655f3e5";

// Factory device: AMT 16.1.25 build 2124, pre-provisioning, no control mode, factory hashes +
// internal CA, remote configuration on, provisioning server port 9971 with no address, wired LAN
// up with DHCP, redirection off, no faults.
AmtSimConfig defaultAmtSimConfig();

// Reads an `amt:` mapping over `config` (keys absent keep their value). Problems go to `issues`
// at their positions. Keys: see drivers/amt/README.md.
void readAmtSimConfig(const YamlNode& node, const std::string& path, YamlIssues& issues,
                      AmtSimConfig& config);
// A standalone simulator description file (the `amt:` mapping's content at the root).
Result<AmtSimConfig> loadAmtSimConfig(const std::string& file);

}  // namespace pb
