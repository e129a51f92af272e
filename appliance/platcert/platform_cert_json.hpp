// SPDX-License-Identifier: Apache-2.0
// What `benchctl platformcert show` prints: the parsed certificate as JSON, and as text. Strings
// from the certificate are shown only when printable (isPrintableUtf8); others as hex, so an OEM
// string cannot rewrite the technician's terminal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "platcert/platform_cert.hpp"

namespace pb::platcert {

nlohmann::json toJson(const PlatformCertificate& pc);
std::string toText(const PlatformCertificate& pc);

}  // namespace pb::platcert
