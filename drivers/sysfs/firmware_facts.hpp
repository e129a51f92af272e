// SPDX-License-Identifier: Apache-2.0
// Reads a device's firmware facts (ME firmware version, BIOS vendor/version, Secure Boot and
// Setup Mode, TPM presence/version, firmware attributes) from sysfs and efivarfs under an
// overridable root. README.md lists every path ("External Interface Access").
#pragma once

#include <string>

#include "facts/device_facts.hpp"

namespace pb {

inline constexpr std::size_t kMaxFirmwareAttributes = 1024;
inline constexpr std::size_t kMaxFirmwareAttributeDrivers = 16;

// The EFI global variable GUID (SecureBoot, SetupMode).
inline constexpr const char* kEfiGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

// Never fails as a whole: every fact is read on its own. A fact that is absent because the
// platform lacks it is reported as absent (legacy BIOS: Secure Boot off; no tpm0: no TPM); a
// fact that should be there but cannot be read or is malformed stays unknown (nullopt / "") and
// the reason goes to readProblems, so checks report missing_data rather than a guess.
FirmwareFacts readFirmwareFacts(const std::string& root);

}  // namespace pb
