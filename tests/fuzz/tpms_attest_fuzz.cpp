// SPDX-License-Identifier: Apache-2.0
// Fuzzes TPMS_ATTEST parsing and the quote checks over it. Invariants: no crash; a parsed attest
// has no trailing bytes (its bytes are exactly the input or the input minus a TPM2B prefix); a
// forged quote never verifies without a valid signature.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/quote.hpp"
#include "attest/tpm_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pb::Bytes in(data, data + size);
  auto a = pb::attest::parseAttest(in);
  if (a && a->bytes.size() != size && a->bytes.size() + 2 != size) std::abort();
  pb::attest::QuoteInput q;
  q.attest = in;
  q.signature = pb::Bytes{0x00, 0x18, 0x00, 0x0b, 0x00, 0x01, 0x01, 0x00, 0x01, 0x01};
  q.expectedNonce = pb::Bytes(32, 0);
  q.requested = {pb::attest::makeSelection(pb::attest::alg::kSha256, {0})};
  if (pb::attest::verifyQuote(q).ok()) std::abort();  // no AK: must never pass
  return 0;
}
