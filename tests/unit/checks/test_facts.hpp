// SPDX-License-Identifier: Apache-2.0
// A device that passes every check under goodPolicy(), for tests to spoil one fact at a time.
#pragma once

#include "facts/device_facts.hpp"
#include "policy/policy.hpp"

namespace pb::test {

inline constexpr const char* kInternalRoot =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
inline constexpr const char* kGoDaddyClass2 =
    "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4";
inline constexpr const char* kVeriSignG5 =
    "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df";

inline Policy goodPolicy() {
  Policy p = defaultPolicy();
  p.amt.allowedThumbprints = {{"Corp Root CA", "sha256", kInternalRoot}};
  p.amt.dnsSuffix = "prov.corp.example";
  p.amt.minimumMeFirmware = {{16, "16.1.30.2307"}, {18, "18.0.5.2141"}};
  return p;
}

inline DeviceFacts goodFacts() {
  DeviceFacts f;
  f.identity.serial = "PF3ABCD";
  f.identity.smbiosUuid = "4c4c4544-0042-3510-8052-b4c04f4b4c31";
  f.identity.model = "ThinkPad T14";
  f.identity.vendor = "LENOVO";
  f.identity.macs = {"8c:16:45:01:02:03"};
  FirmwareFacts fw;
  fw.biosVendor = "LENOVO";
  fw.biosVersion = "R1MET55W (1.25 )";
  fw.meFirmwareVersion = "0:16.1.30.2307";
  fw.secureBoot = true;
  fw.setupMode = false;
  fw.tpmPresent = true;
  fw.tpmVersion = "2";
  fw.firmwareAttributes = {{"AMTControl", "Enable"}};
  f.firmware = fw;
  AmtFacts a;
  a.access = AmtAccess::Ok;
  a.amtVersion = "16.1.30";
  a.buildNumber = "2307";
  a.sku = "16392";
  a.provisioningState = "pre";
  a.controlMode = "none";
  a.uuid = "4c4c4544-0042-3510-8052-b4c04f4b4c31";
  a.dnsSuffix = "prov.corp.example";
  a.hashes = {{"Go Daddy Class 2 CA", "sha256", kGoDaddyClass2, true, false},
              {"VeriSign Class 3 Primary CA-G5", "sha256", kVeriSignG5, true, false},
              {"Corp Root CA", "sha256", kInternalRoot, false, true}};
  a.remoteConfigurationEnabled = false;
  a.configServerFqdn = "amtprov.prov.corp.example";
  a.configServerPort = 9972;
  a.solEnabled = false;
  a.iderEnabled = false;
  a.kvmEnabled = false;
  a.tlsEnabled = true;
  a.lanMac = "8c:16:45:01:02:03";
  a.dhcpEnabled = true;
  f.amt = a;
  return f;
}

}  // namespace pb::test
