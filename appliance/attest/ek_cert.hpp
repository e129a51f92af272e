// SPDX-License-Identifier: Apache-2.0
// EK certificate trust (tpm-attestation.md §9): full X.509 path validation with OpenSSL against the
// policy's TPM manufacturer roots and intermediates, tolerating the TCG EK profile quirks (critical
// SAN holding only a directoryName, empty subject, EKU 2.23.133.8.1, critical Subject Directory
// Attributes) without ignoring any other unknown critical extension; and the certificate key must
// be the EK public area the TPM uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "attest/tpm_types.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::attest {

inline constexpr std::size_t kMaxCertBytes = 16 * 1024;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Appends every certificate of every *.pem / *.crt / *.cer file in `dir` (also used for the OEM
// roots of platform certificates).
Status loadCertificateDir(const std::string& dir, std::vector<X509Ptr>& out);

// DER certificate, bounded, no trailing bytes.
Result<X509Ptr> parseCertificateDer(const Bytes& der);

class EkTrustStore {
 public:
  EkTrustStore();
  ~EkTrustStore();
  EkTrustStore(EkTrustStore&&) noexcept;
  EkTrustStore& operator=(EkTrustStore&&) noexcept;
  EkTrustStore(const EkTrustStore&) = delete;
  EkTrustStore& operator=(const EkTrustStore&) = delete;

  // Every *.pem / *.crt / *.cer file in the directories (PEM, possibly several certificates each).
  // An empty or unreadable roots directory is an error: no roots means nothing is trusted.
  static Result<EkTrustStore> load(const std::string& rootsDir,
                                   const std::string& intermediatesDir);
  void addRoot(X509* cert);          // takes a reference
  void addIntermediate(X509* cert);  // takes a reference
  [[nodiscard]] std::size_t rootCount() const { return roots_; }

  // Validates the chain at time `now` (Unix seconds). Error codes PB-3010 (chain), PB-3011
  // (certificate key is not `ek`).
  [[nodiscard]] Status verify(X509* cert, const TpmPublic& ek, std::int64_t now) const;

 private:
  X509_STORE* store_ = nullptr;
  STACK_OF(X509) * intermediates_ = nullptr;
  std::size_t roots_ = 0;
};

}  // namespace pb::attest
