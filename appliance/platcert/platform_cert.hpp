// SPDX-License-Identifier: Apache-2.0
// TCG Platform Certificates: X.509 attribute certificates (RFC 5755) an OEM issues to bind a
// platform's manufacturer, model, serial and components to its TPM's EK certificate (TCG Platform
// Attribute Credential Profile v1.1; Platform Certificate Profile v2.0). Parsing only; trust and
// the comparison with the device are in platform_cert_verify.hpp.
// Bounded: at most kMaxPlatformCertBytes of input, kMaxComponents components, kMaxAttributes
// attributes, kMaxExtensions extensions, strings of kMaxStringBytes; nesting via DerReader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::platcert {

inline constexpr std::size_t kMaxPlatformCertBytes = 32 * 1024;
inline constexpr std::size_t kMaxComponents = 128;
inline constexpr std::size_t kMaxAttributes = 32;
inline constexpr std::size_t kMaxExtensions = 32;
inline constexpr std::size_t kMaxProperties = 64;
inline constexpr std::size_t kMaxStringBytes = 1024;

// An X.500 Name as it appears in the certificate: DER (compared with OpenSSL's X509_NAME_cmp)
// and the attribute values in order, for display.
struct DistinguishedName {
  Bytes der;                                               // the Name SEQUENCE
  std::vector<std::pair<std::string, std::string>> parts;  // (OID or short name, value)
  [[nodiscard]] std::string text() const;                  // "CN=..., O=..., C=..."
};

struct SpecVersion {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::int64_t revision = 0;
  [[nodiscard]] std::string text() const;
};

struct ComponentAddress {
  std::string type;  // OID: 2.23.133.17.1 ethernetMac, .2 wlanMac, .3 bluetoothMac
  std::string value;
};

struct Component {
  std::string classRegistry;  // v2: OID of the class registry (2.23.133.18.3.1 = TCG); v1: ""
  Bytes classValue;           // v2: 4 bytes; v1: the optional componentClass OCTET STRING
  std::string manufacturer;
  std::string model;
  std::string serial;    // "" when absent
  std::string revision;  // "" when absent
  bool fieldReplaceable = false;
  std::vector<ComponentAddress> addresses;
};

struct Property {
  std::string name;
  std::string value;
};

struct Extension {
  std::string oid;
  bool critical = false;
};

struct PlatformCertificate {
  Bytes der;        // the whole certificate
  Bytes tbs;        // the signed part (AttributeCertificateInfo)
  int version = 0;  // 2 for v2 attribute certificates (the encoded value is 1)
  Bytes serialNumber;

  // Holder: the EK certificate, by its issuer and serial (BaseCertificateID).
  DistinguishedName holderIssuer;
  Bytes holderSerial;  // INTEGER contents octets, as encoded

  DistinguishedName issuer;
  std::string signatureAlgorithm;  // OID (outer AlgorithmIdentifier)
  Bytes signatureAlgorithmDer;     // the outer AlgorithmIdentifier, for parameter checks
  Bytes signature;                 // BIT STRING contents without the unused-bits octet
  std::int64_t notBefore = 0;      // Unix seconds
  std::int64_t notAfter = 0;

  std::string platformManufacturer;
  std::string platformManufacturerId;  // PEN OID when present
  std::string platformModel;
  std::string platformVersion;
  std::string platformSerial;

  bool hasPlatformSpecification = false;
  SpecVersion platformSpecification;
  std::uint32_t platformClass = 0;
  bool hasCredentialSpecification = false;
  SpecVersion credentialSpecification;
  std::string credentialType;  // OID, 2.23.133.8.2 = platform certificate
  bool hasTbbSecurityAssertions = false;

  int platformConfigurationVersion = 0;  // 0 none, 1 (2.23.133.5.1.7.1), 2 (2.23.133.5.1.7.2)
  std::vector<Component> components;
  std::vector<Property> properties;
  std::string platformConfigUri;
  std::string componentsUri;

  std::vector<std::string> unknownAttributes;  // OIDs the parser does not interpret
  std::vector<Extension> extensions;
};

// Error code PB-3101 (malformed) with a message naming the part that failed.
Result<PlatformCertificate> parsePlatformCertificate(std::span<const std::uint8_t> der);

}  // namespace pb::platcert
