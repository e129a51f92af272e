// SPDX-License-Identifier: Apache-2.0
// Issues TCG platform certificates (profile 2.0 layout: identity in the subjectAltName
// directoryName, platformConfiguration v2) for the simulator's OEM CA and for tests. Not linked
// into benchd: the appliance only reads these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "platcert/platform_cert.hpp"

namespace pb::platcert {

struct PlatformCertSpec {
  X509* holderEk = nullptr;    // the EK certificate the platform certificate is bound to
  X509* issuerCert = nullptr;  // the OEM CA certificate (its subject becomes the issuer)
  EVP_PKEY* issuerKey = nullptr;
  std::uint64_t serialNumber = 1;
  std::int64_t notBefore = 0;  // Unix seconds
  std::int64_t notAfter = 0;
  std::string manufacturer;
  std::string model;
  std::string version;
  std::string serial;
  std::vector<Component> components;  // manufacturer, model, serial, revision used
};

// DER; SHA-256 with the issuer key (RSA PKCS#1 v1.5 or ECDSA).
Result<Bytes> issuePlatformCertificate(const PlatformCertSpec& spec);

}  // namespace pb::platcert
