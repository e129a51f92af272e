// SPDX-License-Identifier: Apache-2.0
// What a device says about itself before it has proven anything. These are lookup keys only:
// none of them admits a device on its own.
#pragma once

#include <string>
#include <vector>

namespace pb {

struct IdentityFacts {
  std::string serial;       // /sys/class/dmi/id/product_serial
  std::string smbiosUuid;   // /sys/class/dmi/id/product_uuid (as reported; admission canonicalises)
  std::string model;        // product_name
  std::string vendor;       // sys_vendor
  std::string boardSerial;  // board_serial
  std::vector<std::string> macs;  // permanent MACs of physical interfaces, lower-case aa:bb:…
};

}  // namespace pb
