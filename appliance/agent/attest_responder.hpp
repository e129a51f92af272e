// SPDX-License-Identifier: Apache-2.0
// The agent side of the in-band attestation exchange (attest_start → attest_keys,
// attest_challenge → attest_activated, quote_request → quote; see appliance/agent/README.md and
// the contract in the attestation docs). Transport-free: `handle()` takes one appliance frame and
// returns the reply (the AgentResponder seam), so it is driven by AgentSession on the wire and by
// scripted frames in tests.
//
// The TPM is opened on attest_start with the explicit TCTI given on the command line. A device
// without a usable TPM answers attest_keys honestly (readiness absent / disabled / not_ready /
// lockout, no keys); it never fakes keys.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/responder.hpp"
#include "core/result.hpp"
#include "tpm/tpm_device.hpp"

namespace pb {

inline constexpr const char* kDefaultEventLogPath =
    "/sys/kernel/security/tpm0/binary_bios_measurements";

struct AttestResponderOptions {
  std::string tcti = kDefaultTcti;
  std::string eventLogPath = kDefaultEventLogPath;
  // Hex doubles the size and the whole quote frame must fit in 1 MiB.
  std::size_t maxEventLogBytes = 384 * 1024;
};

class AttestResponder : public AgentResponder {
 public:
  explicit AttestResponder(AttestResponderOptions options);
  ~AttestResponder() override;
  AttestResponder(const AttestResponder&) = delete;
  AttestResponder& operator=(const AttestResponder&) = delete;

  // attest_start, attest_challenge, quote_request.
  [[nodiscard]] bool handles(std::string_view type) const override;

  // The reply frame. An Error carries the reason code for the `error` frame the caller sends
  // before closing: PB-0001 for a malformed field, PB-0005 for a frame out of order, PB-9002
  // when the TPM failed a command mid-exchange.
  Result<nlohmann::json> respond(const nlohmann::json& frame) override;

  // Total TPM time of this exchange so far.
  [[nodiscard]] std::chrono::microseconds tpmTime() const;

 protected:
  // Seams for the simulator's tampering responder, which plays the attacks the appliance must
  // reject. bench-agent itself never overrides them.
  virtual AkOptions akOptions(KeyAlgorithm requested) { return {requested, true}; }
  virtual void onAkReady(TpmDevice& /*tpm*/, const std::vector<unsigned>& /*pcrs*/) {}
  virtual Result<TpmQuote> makeQuote(TpmDevice& tpm, const Bytes& nonce,
                                     const std::vector<unsigned>& pcrs) {
    return tpm.quote(nonce, pcrs);
  }

 private:
  enum class Step { Idle, KeysSent, Activated };

  Result<nlohmann::json> start(const nlohmann::json& frame);
  Result<nlohmann::json> challenge(const nlohmann::json& frame);
  Result<nlohmann::json> quote(const nlohmann::json& frame);
  nlohmann::json notUsable(TpmReadiness readiness, const std::string& detail,
                           std::chrono::microseconds t0);
  std::string readEventLog() const;

  AttestResponderOptions options_;
  std::unique_ptr<TpmDevice> tpm_;
  Step step_ = Step::Idle;
  std::chrono::microseconds closedTpmTime_{0};
  TpmInfo info_;
};

}  // namespace pb
