// SPDX-License-Identifier: Apache-2.0
#include "sim/amt_sim_device.hpp"

#include "core/files.hpp"
#include "sysfs/firmware_facts.hpp"

namespace pb {

Result<std::unique_ptr<AmtSimServer>> startAmtSimDevice(const FleetDevice& d,
                                                        const std::string& socketPath) {
  auto server = std::make_unique<AmtSimServer>(d.amt, socketPath);
  if (Status st = server->start(); !st.ok()) {
    return st.error().withContext("AMT simulator of " + d.name);
  }
  return server;
}

Status writeFirmwareTree(const FleetDevice& d, const std::string& root) {
  const FleetFirmware& f = d.firmware;
  const std::string dmi = root + "/sys/class/dmi/id";
  if (Status st = makeDirs(dmi, 0755); !st.ok()) return st;
  if (Status st = writeFileAtomic(dmi + "/bios_vendor", f.biosVendor + "\n", 0444); !st.ok())
    return st;
  if (Status st = writeFileAtomic(dmi + "/bios_version", f.biosVersion + "\n", 0444); !st.ok())
    return st;

  std::string me = f.meFirmwareVersion;
  if (me.empty()) {
    const std::string amt = d.amt.codeVersions.find("AMT");
    const std::string build = d.amt.codeVersions.find("Build Number");
    if (!amt.empty()) me = amt + "." + (build.empty() ? "0" : build);
  }
  if (!me.empty()) {
    const std::string mei = root + "/sys/class/mei/mei0";
    if (Status st = makeDirs(mei, 0755); !st.ok()) return st;
    if (Status st = writeFileAtomic(mei + "/fw_ver", "0:" + me + "\n0:" + me + "\n", 0444);
        !st.ok()) {
      return st;
    }
  }

  if (f.efi) {
    const std::string efivars = root + "/sys/firmware/efi/efivars";
    if (Status st = makeDirs(efivars, 0755); !st.ok()) return st;
    // u32 attributes (boot-service + runtime access) then the one value byte.
    auto efiBool = [](bool v) {
      return std::string("\x06\x00\x00\x00", 4) + (v ? '\x01' : '\x00');
    };
    const std::string guid = kEfiGlobalVariableGuid;
    if (Status st = writeFileAtomic(efivars + "/SecureBoot-" + guid, efiBool(f.secureBoot), 0644);
        !st.ok()) {
      return st;
    }
    if (Status st = writeFileAtomic(efivars + "/SetupMode-" + guid, efiBool(f.setupMode), 0644);
        !st.ok()) {
      return st;
    }
  }

  if (f.tpm != "none") {
    const std::string tpm = root + "/sys/class/tpm/tpm0";
    if (Status st = makeDirs(tpm, 0755); !st.ok()) return st;
    if (Status st =
            writeFileAtomic(tpm + "/tpm_version_major", f.tpm == "1.2" ? "1\n" : "2\n", 0444);
        !st.ok()) {
      return st;
    }
  }
  return {};
}

}  // namespace pb
