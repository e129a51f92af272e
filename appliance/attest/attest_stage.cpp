// SPDX-License-Identifier: Apache-2.0
#include "attest/attest_stage.hpp"

#include <chrono>

#include <sys/stat.h>

#include "attest/attest_messages.hpp"
#include "attest/verifier.hpp"
#include "core/reasons.hpp"
#include "protocol/messages.hpp"
#include "session/policy_snapshot.hpp"

namespace pb::attest {

namespace {

nlohmann::json checksJson(const CheckResults& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : checks) {
    out.push_back(nlohmann::json{{"id", c.id},
                                 {"outcome", std::string(toString(c.outcome))},
                                 {"code", c.code},
                                 {"message", c.message},
                                 {"remediation", c.remediation}});
  }
  return out;
}

StageOutcome toOutcome(const AttestResult& r, std::string_view deviceBoundEk,
                       std::string_view registeredEk) {
  StageOutcome out;
  out.details = nlohmann::json{
      {"checks", checksJson(r.checks)},      {"tpm_ms", r.tpmMs},
      {"ek_sha256", r.facts.ekSha256},       {"ek_algorithm", r.facts.ekAlgorithm},
      {"ak_algorithm", r.facts.akAlgorithm}, {"hardware_backed", r.facts.hardwareBacked}};
  switch (r.outcome) {
    case AttestOutcome::Attested:
      // The EK is the identity: it must agree with the register and with any earlier binding.
      if ((!registeredEk.empty() && registeredEk != r.facts.ekSha256) ||
          (!deviceBoundEk.empty() && deviceBoundEk != r.facts.ekSha256)) {
        out.to = DeviceState::Quarantined;
        out.code = std::string(reason::kEkMismatch);
        return out;
      }
      out.to = DeviceState::Attested;
      out.bindEkSha256 = r.facts.ekSha256;
      return out;
    case AttestOutcome::NotAttestable:
      out.to = DeviceState::NotAttestable;
      out.code = r.code;
      return out;
    default:
      out.to = DeviceState::Failed;
      out.code = r.code.empty() ? std::string(reason::kInternalError) : r.code;
      // Transport trouble is worth a retry; a verification failure is not.
      out.retryable = out.code == reason::kTimeout || out.code == reason::kPeerClosed;
      return out;
  }
}

// The attested EK may already be another device's identity: bound to it by an earlier
// attestation, or listed for it in the register. Then this TPM is a clone of that one, or a relay
// to it, and this device is quarantined without being bound.
StageOutcome refuseEkOfAnotherDevice(const StageContext& ctx, StageOutcome out,
                                     const std::string& ek) {
  if (!ctx.devicesWithEk) return out;
  Result<std::vector<DeviceRecord>> holders = ctx.devicesWithEk(ek);
  if (!holders) {
    // Cannot tell: fail closed, retryable (the inventory may be back next time).
    out.to = DeviceState::Failed;
    out.code = std::string(reason::kInternalError);
    out.retryable = true;
    out.bindEkSha256.clear();
    out.details["detail"] = "cannot look up the EK's devices: " + holders.error().message;
    return out;
  }
  const std::string self = ctx.device ? ctx.device->id : std::string();
  for (const DeviceRecord& other : *holders) {
    if (other.id == self) continue;
    out.to = DeviceState::Quarantined;
    out.code = std::string(reason::kEkBoundElsewhere);
    out.retryable = false;
    out.bindEkSha256.clear();
    out.details["ek_belongs_to"] = other.id;
    out.details["detail"] =
        "the EK already identifies device " + other.id +
        (other.boundEkSha256 == ek ? " (bound by attestation)" : " (in the asset register)");
    return out;
  }
  return out;
}

}  // namespace

namespace {

// Changes when a certificate file is added to or removed from either directory ("" when absent),
// so a vendor root an admin drops in is used without a policy reload.
std::string directoryStamp(const TpmPolicy& tpm) {
  std::string stamp;
  for (const std::string* dir : {&tpm.manufacturerRootsDir, &tpm.manufacturerIntermediatesDir}) {
    struct stat st {};
    if (!dir->empty() && ::stat(dir->c_str(), &st) == 0) {
      stamp += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    stamp += ";";
  }
  return stamp;
}

}  // namespace

std::shared_ptr<const EkTrustStore> AttestStage::trustFor(const PolicySnapshot& snapshot,
                                                          std::string& error) {
  // Not owned: the caller of AttestStage(trust) keeps it alive (an empty owner, no deleter).
  if (fixed_ != nullptr)
    return std::shared_ptr<const EkTrustStore>(std::shared_ptr<void>(), fixed_);
  const TpmPolicy& tpm = snapshot.policy.tpm;
  const std::string key = snapshot.hash + "|" + directoryStamp(tpm);
  if (cached_ && cachedKey_ == key) return cached_;
  Result<EkTrustStore> loaded =
      EkTrustStore::load(tpm.manufacturerRootsDir, tpm.manufacturerIntermediatesDir);
  if (!loaded) {
    error = loaded.error().message;
    return nullptr;
  }
  cached_ = std::make_shared<const EkTrustStore>(std::move(*loaded));
  cachedKey_ = key;
  return cached_;
}

boost::asio::awaitable<StageOutcome> AttestStage::run(StageContext& ctx) {
  const TpmPolicy& policy = ctx.policy.policy.tpm;
  std::string trustError;
  const std::shared_ptr<const EkTrustStore> trust = trustFor(ctx.policy, trustError);
  if (trust == nullptr) {
    // Without manufacturer roots nothing can be trusted: fail closed, and say it is the policy.
    StageOutcome out;
    out.to = DeviceState::Failed;
    out.code = std::string(reason::kPolicyIncomplete);
    out.details["detail"] = "tpm.manufacturer_roots: " + trustError;
    co_return out;
  }
  NonceStore nonces(ctx.clock, policy.nonceLifetimeSeconds);
  std::string registeredEk = ctx.device ? ctx.device->registry.ekSha256 : std::string{};
  std::string boundEk = ctx.device ? ctx.device->boundEkSha256 : std::string{};
  Verifier v(policy, *trust, ctx.clock, nonces,
             registeredEk.empty() ? std::nullopt : std::optional<std::string>(registeredEk),
             ctx.facts.model);

  // Sends `frame`; on failure ends the verification with the transport's code.
  auto send = [&](nlohmann::json frame) -> boost::asio::awaitable<bool> {
    Status s = co_await ctx.agent.writeFrame(frame, ctx.ioTimeout);
    if (!s) v.fail(s.error().code, "cannot send to the agent");
    co_return s.ok();
  };
  // Reads the next frame; a transport error or an `error` frame from the agent ends it.
  auto receive = [&]() -> boost::asio::awaitable<std::optional<nlohmann::json>> {
    auto frame = co_await ctx.agent.readFrame(ctx.ioTimeout);
    if (!frame) {
      v.fail(frame.error().code, "no answer from the agent");
      co_return std::nullopt;
    }
    if (messageType(*frame) == pb::msg::kError) {
      v.fail(reason::kUnexpectedMessage, "the agent reported an error during attestation");
      co_return std::nullopt;
    }
    co_return std::move(*frame);
  };
  // A malformed or unexpected frame: tell the agent, end failed.
  auto reject = [&](const Error& e) -> boost::asio::awaitable<void> {
    nlohmann::json err = ErrorFrame{e.code, e.message}.toJson();
    co_await ctx.agent.writeFrame(err, ctx.ioTimeout);
    v.fail(e.code, e.message);
  };

  // Figure 3 of the issue: what the appliance spends (parsing and verifying, not waiting) against
  // the TPM time the agent reports. Both go into the log and the stage's audit record.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point stageStart = Clock::now();
  Clock::duration applianceTime{};
  auto timed = [&applianceTime](auto&& work) {
    const Clock::time_point t0 = Clock::now();
    auto result = work();
    applianceTime += Clock::now() - t0;
    return result;
  };

  ctx.log.info("attest.start", {{"session", ctx.session.id}});
  if (co_await send(v.startFrame())) {
    if (auto frame = co_await receive()) {
      auto keys = timed([&] { return parseAttestKeys(*frame); });
      if (!keys) {
        co_await reject(keys.error());
      } else {
        timed([&] { return (v.verifyKeys(keys.value()), 0); });
      }
    }
  }
  if (v.result().outcome == AttestOutcome::Pending) {
    auto cred = timed([&] { return v.makeChallenge(); });
    if (cred && co_await send(attestChallengeJson(cred.value()))) {
      if (auto frame = co_await receive()) {
        auto act = timed([&] { return parseAttestActivated(*frame); });
        if (!act) {
          co_await reject(act.error());
        } else {
          timed([&] { return (v.checkActivation(act.value()), 0); });
        }
      }
    }
  }
  // At most two quote rounds: the second only when the log is SHA-1 only and the policy accepts
  // it, for a quote of the SHA-1 bank (PROTOCOL.md step 5b).
  for (int round = 0; round < 2 && v.result().outcome == AttestOutcome::Pending; ++round) {
    auto req = timed([&] { return v.makeQuoteRequest(); });
    if (req && co_await send(quoteRequestJson(req.value()))) {
      if (auto frame = co_await receive()) {
        auto q = timed([&] { return parseQuote(*frame); });
        if (!q) {
          co_await reject(q.error());
        } else {
          timed([&] { return (v.verifyQuote(q.value()), 0); });
        }
      }
    }
  }
  v.fail(reason::kInternalError, "attestation did not conclude");  // no-op once concluded
  const AttestResult& r = v.result();
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  const double applianceMs = ms(applianceTime);
  const double wallMs = ms(Clock::now() - stageStart);
  ctx.log.info("attest.result", {{"session", ctx.session.id},
                                 {"outcome", std::string(toString(r.outcome))},
                                 {"code", r.code},
                                 {"tpm_ms", r.tpmMs},
                                 {"appliance_ms", applianceMs},
                                 {"wall_ms", wallMs}});
  StageOutcome out = toOutcome(r, boundEk, registeredEk);
  if (out.to == DeviceState::Attested) {
    // One TPM, one device: decided here, before the device is bound (the store and its unique
    // index refuse it again inside the transaction).
    out = refuseEkOfAnotherDevice(ctx, std::move(out), r.facts.ekSha256);
  }
  out.details["tpm_ms"] = r.tpmMs;
  out.details["appliance_ms"] = applianceMs;
  out.details["wall_ms"] = wallMs;
  co_return out;
}

}  // namespace pb::attest
