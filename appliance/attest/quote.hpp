// SPDX-License-Identifier: Apache-2.0
// AK acceptance (tpm-attestation.md §4), nonces (§6) and quote verification (§5.5). Pure: no I/O,
// no asio. Every check is reported by name with its outcome, so operators (benchctl quote verify)
// and the kiosk see which one failed, and the first failure decides the reason code.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attest/tpm_types.hpp"
#include "core/bytes.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace pb::attest {

inline constexpr std::size_t kNonceBytes = 32;

// Outstanding nonces: 32 random bytes each, single use, expiring. Not thread-safe (benchd is
// single-threaded). Bounded: at most kMaxOutstanding; the oldest is dropped first.
class NonceStore {
 public:
  static constexpr std::size_t kMaxOutstanding = 4096;
  NonceStore(const Clock& clock, std::int64_t lifetimeSeconds)
      : clock_(clock), lifetime_(lifetimeSeconds) {}

  Bytes issue();
  // Succeeds once for `issued` if it is outstanding and unexpired and `presented` equals it
  // (constant time). `issued` is retired whatever the outcome: a failed attempt burns it.
  // Error code: PB-3042 (quote_nonce); the message never contains either value.
  Status consume(const Bytes& issued, const Bytes& presented);
  [[nodiscard]] std::size_t outstanding() const { return issued_.size(); }

 private:
  struct Entry {
    Bytes nonce;
    std::int64_t expires = 0;
  };
  const Clock& clock_;
  std::int64_t lifetime_;
  std::vector<Entry> issued_;
};

// Required AK attributes and allowed algorithms ("ecc_nist_p256", "rsa2048", …).
// Error codes: PB-3020 (attributes), PB-3021 (algorithm).
Status checkAk(const TpmPublic& ak, const std::vector<std::string>& allowedAlgorithms);

enum class CheckState { Pass, Fail, Skipped };

struct NamedCheck {
  std::string name;  // "signature", "magic", "type", "nonce", "pcr_selection", "pcr_digest", …
  CheckState state = CheckState::Fail;
  std::string detail;
};

// PCR values claimed by the agent: bank hash alg -> PCR index -> value.
using PcrValues = std::map<std::uint16_t, std::map<std::uint32_t, Bytes>>;

struct QuoteInput {
  const TpmPublic* ak = nullptr;  // the accepted AK (its scheme pins the signature)
  EVP_PKEY* akKey = nullptr;      // OpenSSL key of the same public area
  Bytes attest;                   // TPMS_ATTEST (or TPM2B_ATTEST) bytes as received
  Bytes signature;                // TPMT_SIGNATURE bytes as received
  Bytes expectedNonce;
  std::vector<PcrSelection> requested;
  PcrValues pcrValues;
};

struct QuoteReport {
  std::vector<NamedCheck> checks;
  std::string code;  // first failing check's reason code; empty when every check passed
  std::string message;
  TpmsAttest attest;
  // PCR values proven by the quote (bank, index, value), in the signed selection order.
  struct Pcr {
    std::uint16_t bank;
    std::uint32_t index;
    Bytes value;
  };
  std::vector<Pcr> verified;
  [[nodiscard]] bool ok() const { return code.empty(); }
};

QuoteReport verifyQuote(const QuoteInput& in);

// Builds the normalised selection from a bank and PCR list (sorted, de-duplicated).
PcrSelection makeSelection(std::uint16_t bank, std::vector<std::uint32_t> pcrs);

std::string_view toString(CheckState s);

}  // namespace pb::attest
