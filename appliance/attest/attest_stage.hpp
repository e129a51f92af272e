// SPDX-License-Identifier: Apache-2.0
// The attestation Stage: speaks PROTOCOL.md with the agent over the session's transport and turns
// the Verifier's result into a StageOutcome (attested, failed, not_attestable, or quarantined
// when the attested EK contradicts the asset register or the EK already bound to the device
// (PB-1022), or already identifies another device: a cloned or relayed TPM (PB-1023)).
#pragma once

#include <memory>
#include <string>
#include <utility>  // before boost/asio on Boost 1.74

#include "attest/ek_cert.hpp"
#include "session/policy_snapshot.hpp"
#include "session/stage.hpp"

namespace pb::attest {

class AttestStage final : public Stage {
 public:
  // trust: fixed TPM manufacturer roots and intermediates (tests).
  explicit AttestStage(const EkTrustStore& trust) : fixed_(&trust) {}
  // benchd: the roots and intermediates named by each session's own policy snapshot, loaded
  // again when the policy or either directory changes.
  AttestStage() = default;

  [[nodiscard]] std::string_view name() const override { return "attest"; }
  [[nodiscard]] DeviceState successState() const override { return DeviceState::Attested; }
  boost::asio::awaitable<StageOutcome> run(StageContext& ctx) override;

 private:
  // The trust store for this session's policy; nullptr (and `error`) when its roots are unusable.
  // The session keeps its own reference for the whole exchange: a later session that loads a
  // newer store (policy reload, a root added) replaces the cache, never the store in use.
  std::shared_ptr<const EkTrustStore> trustFor(const PolicySnapshot& policy, std::string& error);

  const EkTrustStore* fixed_ = nullptr;
  std::string cachedKey_;  // policy hash + the trust directories' modification times
  std::shared_ptr<const EkTrustStore> cached_;
};

}  // namespace pb::attest
