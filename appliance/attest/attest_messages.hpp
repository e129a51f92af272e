// SPDX-License-Identifier: Apache-2.0
// The attestation exchange frames (PROTOCOL.md) as typed structs. Parsing is strict and bounded:
// a missing field, a wrong type, bad hex or an oversize value is an error (code PB-0001), never a
// default. No asio here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/make_credential.hpp"
#include "attest/quote.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::attest {

namespace msg {
inline constexpr std::string_view kAttestStart = "attest_start";
inline constexpr std::string_view kAttestKeys = "attest_keys";
inline constexpr std::string_view kAttestChallenge = "attest_challenge";
inline constexpr std::string_view kAttestActivated = "attest_activated";
inline constexpr std::string_view kQuoteRequest = "quote_request";
inline constexpr std::string_view kQuote = "quote";
}  // namespace msg

struct TpmReport {
  bool present = false;
  std::string readiness;  // ready | disabled | not_ready | lockout | absent
  std::string detail;
  std::string manufacturer;
  std::string firmware;
};

struct AttestKeys {
  TpmReport tpm;
  std::optional<Bytes> ekCert;  // DER; nullopt when the TPM has none
  Bytes ekPub;                  // TPM2B_PUBLIC
  Bytes akPub;                  // TPM2B_PUBLIC
  double tpmMs = 0;             // ms, as the agent reported it
};

struct AttestActivated {
  Bytes secret;
  double tpmMs = 0;  // ms, as the agent reported it
};

struct QuoteMessage {
  Bytes quoted;
  Bytes signature;
  Bytes challengeSignature;
  PcrValues pcrValues;
  Bytes eventLog;
  double tpmMs = 0;  // ms, as the agent reported it
};

struct QuoteRequest {
  Bytes nonce;
  std::uint16_t bank = 0;
  std::vector<std::uint32_t> pcrs;
  Bytes signChallenge;
};

Result<AttestKeys> parseAttestKeys(const nlohmann::json& j);
Result<AttestActivated> parseAttestActivated(const nlohmann::json& j);
Result<QuoteMessage> parseQuote(const nlohmann::json& j);

nlohmann::json attestStartJson(const std::string& akAlgorithm, std::uint16_t bank,
                               const std::vector<std::uint32_t>& pcrs);
nlohmann::json attestChallengeJson(const Credential& c);
nlohmann::json quoteRequestJson(const QuoteRequest& r);

}  // namespace pb::attest
