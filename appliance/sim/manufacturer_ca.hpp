// SPDX-License-Identifier: Apache-2.0
// The simulated TPM manufacturer: a root CA and an intermediate (EC P-256, made fresh per run
// with OpenSSL; never the system's swtpm-localca) that issue EK certificates in the TCG shape:
// empty subject, critical subjectAltName holding only a directoryName with the TPM manufacturer,
// model and version attributes, EKU 2.23.133.8.1, key usage per key type (EK Credential
// Profile; reference §9.2). The PEMs go to a directory the policy's tpm.manufacturer_roots names.
#pragma once

#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

// TPM identity written into the certificate's subjectAltName (TCG attributes 2.23.133.2.1-3).
struct EkCertificateSubject {
  std::uint32_t manufacturerId = 0;  // TPM_PT_MANUFACTURER, rendered "id:XXXXXXXX"
  std::string model = "swtpm";
  std::uint32_t firmwareVersion = 0;  // rendered "id:XXXXXXXX"
};

class ManufacturerCa {
 public:
  // `name` goes into the CAs' common names ("provbench simulated TPM manufacturer").
  static Result<std::unique_ptr<ManufacturerCa>> create(const std::string& name);
  ~ManufacturerCa();
  ManufacturerCa(const ManufacturerCa&) = delete;
  ManufacturerCa& operator=(const ManufacturerCa&) = delete;

  // <dir>/<prefix>root.pem and <dir>/<prefix>intermediate.pem (0644); the directory is made.
  Status writePems(const std::string& dir, const std::string& prefix = "") const;
  [[nodiscard]] std::string rootPem() const;
  [[nodiscard]] std::string intermediatePem() const;

  // EK certificate (DER) for an EK given as TPM2B_PUBLIC (RSA or ECC P-256), signed by the
  // intermediate.
  Result<Bytes> issueEkCertificate(const Bytes& ekPublic,
                                   const EkCertificateSubject& subject) const;

 private:
  struct Impl;
  explicit ManufacturerCa(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The EK public key as a DER SubjectPublicKeyInfo (what the certificate carries).
Result<Bytes> ekPublicToSpki(const Bytes& ekPublic);

}  // namespace pb
