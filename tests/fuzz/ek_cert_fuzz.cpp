// SPDX-License-Identifier: Apache-2.0
// Fuzzes EK certificate parsing and path validation against a store with no roots (nothing may
// ever validate) and the key comparison.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/ek_cert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static pb::attest::EkTrustStore* store = new pb::attest::EkTrustStore();
  pb::Bytes in(data, data + size);
  auto cert = pb::attest::parseCertificateDer(in);
  if (!cert) return 0;
  pb::attest::TpmPublic ek;
  ek.type = pb::attest::alg::kEcc;
  if (store->verify(cert->get(), ek, 1'800'000'000).ok()) std::abort();
  return 0;
}
