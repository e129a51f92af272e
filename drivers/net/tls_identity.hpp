// SPDX-License-Identifier: Apache-2.0
// The appliance's TLS identity for the agent channel: a self-signed EC P-256 certificate that
// agents pin by the SHA-256 of its SubjectPublicKeyInfo. Pinning the key (not the certificate)
// means a re-issued certificate over the same key keeps working, and no CA is involved at all.
//
// Pin file (shipped to agents on the bench image): exactly one line `sha256:<64 lower-hex>`,
// optionally followed by a single newline.
#pragma once

#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

// Generates a fresh key and certificate and writes them atomically: key mode 0600, cert 0644.
// Certificate: X.509 v3, random 128-bit serial, CN=commonName, valid from now for 10 years,
// basicConstraints critical CA:FALSE, keyUsage critical digitalSignature.
Status generateSelfSignedIdentity(const std::string& keyPath, const std::string& certPath,
                                  const std::string& commonName);

// SHA-256 of the DER SubjectPublicKeyInfo of `cert` (32 bytes); empty if it cannot be encoded.
Bytes spkiSha256(X509* cert);
// The same, as lower-case hex (64 characters); empty on failure.
std::string spkiPin(X509* cert);
// Pin of the first certificate in a PEM file.
Result<std::string> spkiPinForCertFile(const std::string& certPath);

// `sha256:<hex>\n`, the pin file content for `pinHex`.
std::string formatPinLine(const std::string& pinHex);
// Reads a pin file strictly (see above); returns the 32-byte digest.
Result<Bytes> readPinFile(const std::string& path);
// Parses pin file content (the part of readPinFile that does not touch the disk).
Result<Bytes> parsePinLine(std::string_view content);

}  // namespace pb
