// SPDX-License-Identifier: Apache-2.0
// Fuzzes TPMT_SIGNATURE parsing and signature verification with a fixed key. Invariant: no crash,
// and no random signature verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <openssl/evp.h>

#include "attest/tpm_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1");
  pb::Bytes in(data, data + size);
  auto sig = pb::attest::parseSignature(in);
  if (!sig) return 0;
  if (pb::attest::verifySignature(key, sig.value(), pb::Bytes{'m', 's', 'g'}).ok()) std::abort();
  return 0;
}
