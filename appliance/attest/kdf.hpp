// SPDX-License-Identifier: Apache-2.0
// The two key derivation functions of TPM 2.0 Part 1 §11.4.10: KDFa (SP 800-108 counter mode with
// HMAC) and KDFe (SP 800-56A concatenation KDF). Both return ceil(bits/8) bytes; when bits is not a
// multiple of 8 the unused high bits of the first byte are cleared, as the reference TPM does.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"

namespace pb::attest {

// label without its terminating NUL: the 0x00 separator is always inserted. Empty on bad hashAlg.
Bytes kdfa(std::uint16_t hashAlg, const Bytes& key, std::string_view label, const Bytes& contextU,
           const Bytes& contextV, std::uint32_t bits);

Bytes kdfe(std::uint16_t hashAlg, const Bytes& z, std::string_view label, const Bytes& partyUInfo,
           const Bytes& partyVInfo, std::uint32_t bits);

}  // namespace pb::attest
