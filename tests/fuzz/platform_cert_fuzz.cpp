// SPDX-License-Identifier: Apache-2.0
// Fuzzes the bounded TCG platform-certificate parser, its JSON rendering (what `benchctl
// platformcert show` prints) and the checks against an OEM store with no roots: nothing may ever
// be judged good. Seeds: real OEM certificates from go-attestation's testdata (see
// tests/fixtures/platform_certs/README.md).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "platcert/platform_cert.hpp"
#include "platcert/platform_cert_json.hpp"
#include "platcert/platform_cert_verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto* store = new pb::platcert::OemTrustStore();
  auto pc = pb::platcert::parsePlatformCertificate(std::span<const std::uint8_t>(data, size));
  if (!pc) return 0;
  (void)pb::platcert::toJson(*pc).dump();
  (void)pb::platcert::toText(*pc);
  pb::platcert::DeviceIdentity device;
  if (pb::platcert::checkPlatformCertificate(*pc, *store, device, 1'800'000'000).empty())
    std::abort();
  return 0;
}
