// SPDX-License-Identifier: Apache-2.0
// The attestation verifier for one device session, step by step as the exchange runs
// (PROTOCOL.md): verifyKeys -> makeChallenge -> checkActivation -> makeQuoteRequest -> verifyQuote.
// Each step adds CheckResults (ids tpm.ek_chain, tpm.ak_attributes, tpm.activation, tpm.quote,
// tpm.event_log, tpm.secure_boot, tpm.golden_pcrs, tpm.hardware_backed) and may end the
// verification with not_attestable or failed; only verifyQuote can conclude attested, and only
// when every check passed. Steps out of order fail closed. No I/O, no asio.
#pragma once

#include <optional>
#include <string>

#include "attest/attest_messages.hpp"
#include "attest/ek_cert.hpp"
#include "attest/quote.hpp"
#include "core/clock.hpp"
#include "facts/device_facts.hpp"
#include "policy/check_result.hpp"
#include "policy/policy.hpp"

namespace pb::attest {

enum class AttestOutcome { Pending, Attested, Failed, NotAttestable };
std::string_view toString(AttestOutcome o);

struct AttestResult {
  AttestOutcome outcome = AttestOutcome::Pending;
  std::string code;     // reason code when Failed / NotAttestable
  std::string message;  // one sentence, never a secret
  TpmFacts facts;
  CheckResults checks;
  double tpmMs = 0;  // TPM time the agent reported, summed (ms; swtpm steps take under 1 ms)
};

class Verifier {
 public:
  // registeredEkSha256: the EK hash from the asset register (lower-case hex), if any; lets a TPM
  // without an EK certificate be attested (and must then match).
  Verifier(const TpmPolicy& policy, const EkTrustStore& trust, const Clock& clock,
           NonceStore& nonces, std::optional<std::string> registeredEkSha256 = std::nullopt,
           std::string model = {});
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // The attest_start frame for this policy.
  [[nodiscard]] nlohmann::json startFrame() const;
  // Step 2. Returns the result so far; outcome Pending means continue.
  const AttestResult& verifyKeys(const AttestKeys& keys);
  // Step 3: credential for the verified EK and AK Name. Fails if verifyKeys did not pass.
  Result<Credential> makeChallenge();
  // Step 4: the secret the agent recovered, compared in constant time; never echoed.
  const AttestResult& checkActivation(const AttestActivated& activated);
  // Step 5.
  Result<QuoteRequest> makeQuoteRequest();
  // Step 6: concludes Attested, Failed or NotAttestable. It stays Pending once, when the log is
  // SHA-1 only, the policy accepts that, and the quote was not of the SHA-1 bank: the next
  // makeQuoteRequest then asks for the SHA-1 bank (PROTOCOL.md step 5b).
  const AttestResult& verifyQuote(const QuoteMessage& quote);
  // Ends the verification as failed (protocol error, timeout) with `code`.
  const AttestResult& fail(std::string_view code, std::string message);

  [[nodiscard]] const AttestResult& result() const { return result_; }
  // The parsed EK and AK (valid after a passing verifyKeys).
  [[nodiscard]] const TpmPublic& ek() const { return ek_; }
  [[nodiscard]] const TpmPublic& ak() const { return ak_; }

 private:
  enum class Step { Keys, Challenge, Activation, QuoteRequest, Quote, Done };
  void check(std::string id, CheckOutcome outcome, std::string_view code, std::string message,
             std::string_view remediation = {});
  const AttestResult& conclude(AttestOutcome outcome, std::string_view code, std::string message);
  bool expect(Step step);

  const TpmPolicy& policy_;
  const EkTrustStore& trust_;
  const Clock& clock_;
  NonceStore& nonces_;
  std::optional<std::string> registeredEk_;
  std::string model_;
  Step step_ = Step::Keys;
  AttestResult result_;
  TpmPublic ek_;
  TpmPublic ak_;
  EvpPkeyPtr akKey_;
  Bytes secret_;
  Bytes nonce_;
  Bytes signChallenge_;
  std::uint16_t bank_ = 0;
  bool sha1Requoted_ = false;  // the SHA-1 bank was asked for after a SHA-1-only log
};

}  // namespace pb::attest
