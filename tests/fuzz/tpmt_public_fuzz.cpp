// SPDX-License-Identifier: Apache-2.0
// Fuzzes TPMT_PUBLIC / TPM2B_PUBLIC parsing, the Name computation, AK acceptance and conversion to
// an OpenSSL key. Invariants: no crash; the Name is nameAlg || H(exact bytes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/make_credential.hpp"
#include "attest/quote.hpp"
#include "attest/tpm_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pb::Bytes in(data, data + size);
  auto pub = pb::attest::parsePublicAuto(in);
  if (!pub) return 0;
  pb::Bytes h = pb::attest::hashBytes(pub->nameAlg, pub->bytes);
  if (pub->name.size() != h.size() + 2 || !std::equal(h.begin(), h.end(), pub->name.begin() + 2))
    std::abort();
  (void)pb::attest::checkAk(pub.value(), {"ecc_nist_p256", "rsa2048"});
  auto key = pb::attest::toEvpKey(pub.value());
  if (key && size < 600 && (pub->attributes & pb::attest::attr::kDecrypt) != 0) {
    (void)pb::attest::makeCredential(pub.value(), pub->name, pb::Bytes(16, 1));
  }
  return 0;
}
