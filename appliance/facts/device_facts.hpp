// SPDX-License-Identifier: Apache-2.0
// What the agent reports about a device (and what the verifier concluded), as the policy
// evaluator sees it. Every group is optional: a group the agent could not read stays nullopt and
// the checks that need it report missing_data, never pass.
//
// The vocabulary shared by the fact collectors (drivers/sysfs, agent), the facts codec (protocol)
// and the evaluator (policy), so it lives in facts/, below all three.
//
// Contract between the agent/fact collectors (issue 4: firmware + AMT, issue 3: TPM), the policy
// evaluator and `benchctl check --facts`. Field owners may add fields; never remove or rename.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facts/identity_facts.hpp"

namespace pb {

struct FirmwareFacts {
  std::string biosVendor;          // /sys/class/dmi/id/bios_vendor
  std::string biosVersion;         // /sys/class/dmi/id/bios_version
  std::string meFirmwareVersion;   // /sys/class/mei/mei0/fw_ver, first line "a.b.c.d"
  std::optional<bool> secureBoot;  // efivarfs SecureBoot-8be4df61-…
  std::optional<bool> setupMode;   // efivarfs SetupMode-8be4df61-…
  std::optional<bool> tpmPresent;  // /sys/class/tpm/tpm0
  std::string tpmVersion;          // "2.0" from tpm_version_major
  std::vector<std::pair<std::string, std::string>> firmwareAttributes;  // name -> current_value
  // What could not be read or made no sense ("SecureBoot efivar has 7 bytes, expected 5"); the
  // value concerned stays unknown, so its check reports missing_data with this as the reason.
  std::vector<std::string> readProblems;
};

struct AmtHashEntry {
  std::string name;
  std::string algorithm;  // "sha1" | "sha256" | "sha384" | "sha512"
  std::string hash;       // lower-case hex
  bool isDefault = false;
  bool isActive = false;
};

// What the MEI/AMTHI transport said, as a distinct explained fact (not a crash).
enum class AmtAccess { Ok, NoMeiDevice, NoAmtClient, Busy, Disabled, Error };

// The wire and display names of AmtAccess (the facts codec and the AMT checks both use them).
inline constexpr std::array<std::pair<AmtAccess, std::string_view>, 6> kAmtAccessNames{{
    {AmtAccess::Ok, "ok"},
    {AmtAccess::NoMeiDevice, "no_mei_device"},
    {AmtAccess::NoAmtClient, "no_amt_client"},
    {AmtAccess::Busy, "busy"},
    {AmtAccess::Disabled, "disabled"},
    {AmtAccess::Error, "error"},
}};

inline std::string_view toString(AmtAccess access) {
  for (const auto& [a, name] : kAmtAccessNames) {
    if (a == access) return name;
  }
  return "error";
}

struct AmtFacts {
  AmtAccess access = AmtAccess::Error;
  std::string accessDetail;  // human text for non-Ok access
  std::string amtVersion;    // GetCodeVersions "AMT"
  std::string buildNumber;
  std::string sku;
  std::string provisioningState;  // "pre" | "in" | "post"
  std::string controlMode;        // "none" | "client" | "acm"
  std::string uuid;               // GetUUID, canonical lower-case
  std::string dnsSuffix;          // GetDnsSuffix (PKI FQDN suffix)
  std::vector<AmtHashEntry> hashes;
  std::optional<bool> remoteConfigurationEnabled;  // GetZeroTouchEnabled
  std::string configServerAddress;                 // GetConfigServerData
  std::uint16_t configServerPort = 0;
  std::string configServerFqdn;
  std::optional<bool> solEnabled;  // GetRedirectionState / security parameters
  std::optional<bool> iderEnabled;
  std::optional<bool> kvmEnabled;
  std::optional<bool> tlsEnabled;
  std::string lanMac;  // GetLANInterfaceSettings
  std::optional<bool> dhcpEnabled;
  // AMTHI commands that failed ("GetCertificateHashEntry", …; details in accessDetail). The
  // fields they fill are incomplete: e.g. `hashes` is only the whole table if neither
  // EnumerateHashHandles nor GetCertificateHashEntry is listed here.
  std::vector<std::string> failedCommands;
};

// The attestation verifier's conclusions (issue 3) in the form policy checks need.
struct TpmFacts {
  bool present = false;
  std::string readiness;        // "ready" | "disabled" | "not_ready" | "lockout" | "absent"
  bool hardwareBacked = false;  // KeySignTest proved the AK signs in the TPM
  std::string ekAlgorithm;      // "rsa2048" | "ecc_nist_p256" | …
  std::string akAlgorithm;
  std::string ekSha256;  // hash of the EK public area: the device identity
  std::string pcrBank;
  std::vector<std::pair<std::uint32_t, std::string>> quotedPcrs;  // verified values
  std::optional<bool> secureBootFromLog;                          // from the replayed event log
};

struct DeviceFacts {
  IdentityFacts identity;
  std::optional<FirmwareFacts> firmware;
  std::optional<AmtFacts> amt;
  std::optional<TpmFacts> tpm;
};

}  // namespace pb
