// SPDX-License-Identifier: Apache-2.0
// The attestation Stage: speaks PROTOCOL.md with the agent over the session's transport and turns
// the Verifier's result into a StageOutcome (attested, failed, not_attestable, or quarantined
// when the attested EK contradicts the asset register or the EK already bound to the device).
#pragma once

#include <utility>  // before boost/asio on Boost 1.74

#include "attest/ek_cert.hpp"
#include "session/stage.hpp"

namespace pb::attest {

class AttestStage final : public Stage {
 public:
  // trust: the policy's TPM manufacturer roots and intermediates (loaded by main).
  explicit AttestStage(const EkTrustStore& trust) : trust_(trust) {}

  [[nodiscard]] std::string_view name() const override { return "attest"; }
  [[nodiscard]] DeviceState successState() const override { return DeviceState::Attested; }
  boost::asio::awaitable<StageOutcome> run(StageContext& ctx) override;

 private:
  const EkTrustStore& trust_;
};

}  // namespace pb::attest
