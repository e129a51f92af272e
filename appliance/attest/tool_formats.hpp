// SPDX-License-Identifier: Apache-2.0
// The file formats tpm2-tools writes, so `benchctl quote verify` accepts the same files as
// tpm2_quote / tpm2_checkquote: PCR selection specs ("sha256:0,1,2+sha1:0") and the PCR output
// file (`tpm2_quote -o`: the 5.x "serialized" host-struct layout, or plain "values", the digests
// concatenated in selection order).
#pragma once

#include <string_view>
#include <vector>

#include "attest/quote.hpp"
#include "core/result.hpp"

namespace pb::attest {

// "sha256:0,1,2" or several banks joined with '+'. PCR indices 0..23; no duplicate banks.
Result<std::vector<PcrSelection>> parsePcrListSpec(std::string_view spec);

// The PCR values file: exactly sum(count * digest size) bytes, in selection order.
Result<PcrValues> parsePcrValuesFile(const Bytes& file, const std::vector<PcrSelection>& selection);

// An AK public as TPM2B_PUBLIC / TPMT_PUBLIC, or a PEM SubjectPublicKeyInfo. For PEM, the public
// area is unknown (no attributes, no scheme): `pub` stays empty and only `key` is set.
struct AkFile {
  bool fromPem = false;
  TpmPublic pub;
  EvpPkeyPtr key;
};
Result<AkFile> parseAkFile(const Bytes& file);

}  // namespace pb::attest
