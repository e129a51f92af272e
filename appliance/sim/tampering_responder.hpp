// SPDX-License-Identifier: Apache-2.0
// The attacks on the attestation exchange that an agent could play, for the simulator only
// (provbench-sim-agent; never linked into bench-agent): each must make the appliance fail the
// device with its documented code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/attest_responder.hpp"
#include "core/result.hpp"

namespace pb {

struct AgentTamper {
  bool replayQuote = false;         // send a quote made earlier, for another nonce
  bool wrongNonce = false;          // quote over a nonce that differs from the appliance's
  bool akUnrestricted = false;      // an AK without the restricted attribute
  bool narrowPcrSelection = false;  // quote fewer PCRs than asked for
  [[nodiscard]] bool any() const {
    return replayQuote || wrongNonce || akUnrestricted || narrowPcrSelection;
  }
};

// "replay_quote,wrong_nonce,ak_unrestricted,narrow_pcr_selection" (any subset, comma-separated).
Result<AgentTamper> parseAgentTamper(std::string_view list);
std::string formatAgentTamper(const AgentTamper& t);

class TamperingResponder : public AttestResponder {
 public:
  TamperingResponder(AttestResponderOptions options, AgentTamper tamper)
      : AttestResponder(std::move(options)), tamper_(tamper) {}

 protected:
  AkOptions akOptions(KeyAlgorithm requested) override;
  void onAkReady(TpmDevice& tpm, const std::vector<unsigned>& pcrs) override;
  Result<TpmQuote> makeQuote(TpmDevice& tpm, const Bytes& nonce,
                             const std::vector<unsigned>& pcrs) override;

 private:
  AgentTamper tamper_;
  std::optional<TpmQuote> stale_;
};

}  // namespace pb
