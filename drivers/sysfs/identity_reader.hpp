// SPDX-License-Identifier: Apache-2.0
// Reads a device's identity facts (DMI strings, MACs of physical NICs) from sysfs under an
// overridable root, so tests and the simulator point it at fixture trees. README.md lists every
// path read ("External Interface Access").
#pragma once

#include <cstddef>
#include <string>

#include "core/result.hpp"
#include "facts/identity_facts.hpp"

namespace pb {

inline constexpr std::size_t kMaxSysfsAttributeBytes = 4096;
inline constexpr std::size_t kMaxNetInterfaces = 256;

// `root` is "/" on a real system. A missing DMI attribute gives an empty string (admission
// decides what a missing identity means); a DMI directory that cannot be read, an attribute that
// exists but cannot be read, is too large or is not printable UTF-8, or a malformed MAC is an
// error (Error.code "sysfs"): the agent must not report a partial identity as if it were whole.
// More than maxInterfaces entries under sys/class/net is an error (tests lower it).
Result<IdentityFacts> readIdentityFacts(const std::string& root,
                                        std::size_t maxInterfaces = kMaxNetInterfaces);

}  // namespace pb
