// SPDX-License-Identifier: Apache-2.0
// Builds TPM structures in software, signed by a software key, so each negative test can break
// exactly one property of an otherwise valid quote (the attacker model of an unrestricted key or
// a malicious agent).
#pragma once

#include <cstdint>
#include <vector>

#include "attest/tpm_types.hpp"

namespace pb::attest::testing {

struct SoftKey {
  EvpPkeyPtr priv;
  TpmPublic pub;  // parsed from marshalled TPMT_PUBLIC bytes
};

inline constexpr std::uint32_t kAkAttributes = attr::kFixedTpm | attr::kFixedParent |
                                               attr::kSensitiveDataOrigin | attr::kUserWithAuth |
                                               attr::kRestricted | attr::kSign;

// ECC P-256 key with an ECDSA-SHA256 scheme (or RSA-2048 RSASSA-SHA256 when rsa is true).
SoftKey makeSoftKey(std::uint32_t attributes = kAkAttributes, bool rsa = false, bool pss = false);

struct AttestFields {
  std::uint32_t magic = kTpmGeneratedValue;
  std::uint16_t type = kStAttestQuote;
  Bytes qualifiedSigner{0x00, 0x0b};
  Bytes extraData;
  std::uint64_t clock = 1000;
  std::uint32_t resetCount = 1;
  std::uint32_t restartCount = 0;
  bool safe = true;
  std::uint64_t firmwareVersion = 0x2000;
  std::vector<PcrSelection> selection;
  Bytes pcrDigest;
};

Bytes marshalAttest(const AttestFields& f);
// TPMT_SIGNATURE over H(message) with the key's scheme (ECDSA or RSASSA; RSAPSS if pss).
Bytes signTpm(const SoftKey& key, const Bytes& message, std::uint16_t hashAlg = alg::kSha256,
              bool pss = false);
// The pcrDigest for values in selection order.
Bytes pcrDigestOf(const std::vector<Bytes>& values, std::uint16_t hashAlg = alg::kSha256);

}  // namespace pb::attest::testing
