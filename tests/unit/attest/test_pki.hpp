// SPDX-License-Identifier: Apache-2.0
// A throwaway TPM manufacturer PKI for tests: root, intermediate and EK certificates shaped like
// the TCG EK Credential Profile (empty subject, critical SAN with a TPM directoryName, EKU
// 2.23.133.8.1), plus switches for the negative cases.
#pragma once

#include <string>

#include "attest/ek_cert.hpp"

namespace pb::attest::testing {

struct CertOptions {
  bool tcgQuirks = true;  // empty subject + critical SAN dirName + TCG EKU
  bool unknownCriticalExtension = false;
  bool criticalSubjectDirectoryAttributes = false;
  long notBeforeOffset = -3600;  // relative to now
  long notAfterOffset = 10L * 365 * 24 * 3600;
};

struct TestCa {
  EvpPkeyPtr key;
  X509Ptr cert;
};

TestCa makeRootCa(const std::string& cn);
TestCa makeIntermediateCa(const TestCa& issuer, const std::string& cn);
X509Ptr issueEkCert(const TestCa& issuer, EVP_PKEY* ekKey, const CertOptions& options = {});
Bytes toDer(X509* cert);
std::string toPem(X509* cert);

}  // namespace pb::attest::testing
