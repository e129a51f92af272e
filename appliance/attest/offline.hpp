// SPDX-License-Identifier: Apache-2.0
// The offline operator tools behind `benchctl quote verify` and `benchctl eventlog show`: the same
// checks as the in-band verifier, on the files tpm2-tools writes. No I/O here (main reads files).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"

namespace pb::attest {

struct QuoteVerifyFiles {
  Bytes akPub;  // TPM2B_PUBLIC, TPMT_PUBLIC or PEM
  Bytes msg;    // TPMS_ATTEST
  Bytes sig;    // TPMT_SIGNATURE
  Bytes pcrs;   // tpm2_quote -o output
  std::string nonceHex;
  std::string pcrList;  // "" = the selection recorded in the PCR file (serialized format only)
};

// {"verdict":"pass"|"fail","code":…,"message":…,"checks":[{"name","outcome","detail"}],…}.
// allPassed is true only when no check failed.
nlohmann::json quoteVerifyJson(const QuoteVerifyFiles& files, bool& allPassed);

// Parsed events, replayed PCRs per bank and the Secure Boot state the log claims (unverified: no
// quote). ok is false when the log does not parse.
nlohmann::json eventLogJson(const Bytes& log, bool& ok);
std::string eventLogText(const nlohmann::json& report);

}  // namespace pb::attest
