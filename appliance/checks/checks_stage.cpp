// SPDX-License-Identifier: Apache-2.0
#include "checks/checks_stage.hpp"

#include <string>
#include <utility>

#include "core/reasons.hpp"
#include "policy/evaluate.hpp"
#include "protocol/device_facts_json.hpp"
#include "protocol/messages.hpp"
#include "session/policy_snapshot.hpp"

namespace pb {

namespace {

StageOutcome failed(std::string_view code, bool retryable, std::string detail) {
  StageOutcome out;
  out.to = DeviceState::Failed;
  out.code = std::string(code);
  out.retryable = retryable;
  out.details["detail"] = std::move(detail);
  return out;
}

CheckRun toRun(const StageContext& ctx, const std::string& deviceId, const CheckResults& results) {
  CheckRun run;
  run.sessionId = ctx.session.id;
  run.deviceId = deviceId;
  run.policyHash = ctx.policy.hash;
  run.checks.reserve(results.size());
  for (const auto& r : results) {
    run.checks.push_back(
        StoredCheck{r.id, std::string(toString(r.outcome)), r.code, r.message, r.remediation});
  }
  return run;
}

}  // namespace

boost::asio::awaitable<StageOutcome> ChecksStage::run(StageContext& ctx) {
  const std::string& sid = ctx.session.id;
  nlohmann::json request = nlohmann::json::object();
  request["type"] = kFactsRequestType;
  if (Status sent = co_await ctx.agent.writeFrame(request, ctx.ioTimeout); !sent.ok()) {
    co_return failed(sent.error().code, true, "could not ask the agent for its facts");
  }
  Result<nlohmann::json> frame = co_await ctx.agent.readFrame(ctx.ioTimeout);
  if (!frame.ok()) {
    co_return failed(frame.error().code, true, "the agent did not send its facts");
  }
  if (messageType(*frame) != kFactsType) {
    // Which type the agent sent is untrusted text: it stays out of the details.
    co_return failed(reason::kUnexpectedMessage, true, "expected a \"facts\" message");
  }
  auto body = frame->find("facts");
  if (body == frame->end()) {
    co_return failed(reason::kFactsMalformed, false, "facts: missing");
  }
  Result<DeviceFacts> facts = deviceFactsFromJson(*body, FactsMode::Wire);
  if (!facts.ok()) {
    ctx.log.warn("checks.facts_malformed", {{"session", sid}, {"error", facts.error().message}});
    co_return failed(reason::kFactsMalformed, false, facts.error().message);
  }
  facts->identity = ctx.facts;

  const CheckResults results = evaluate(ctx.policy.policy, *facts, ctx.clock);
  const std::string deviceId =
      !ctx.session.deviceId.empty() ? ctx.session.deviceId : (ctx.device ? ctx.device->id : "");
  CheckRun run = toRun(ctx, deviceId, results);
  run.factsJson = toJson(*facts).dump();  // normalised: what the evaluator saw, nothing more
  if (Status stored = store_.recordCheckRun(run, "session:" + sid); !stored.ok()) {
    ctx.log.error("checks.store_failed", {{"session", sid}, {"error", stored.error().message}});
    co_return failed(reason::kInternalError, true, "check results could not be stored");
  }

  const CheckResult* firstFail = nullptr;
  const CheckResult* firstMissing = nullptr;
  nlohmann::json notPassed = nlohmann::json::object();
  for (const auto& r : results) {
    if (r.outcome == CheckOutcome::Fail && firstFail == nullptr) firstFail = &r;
    if (r.outcome == CheckOutcome::MissingData && firstMissing == nullptr) firstMissing = &r;
    if (r.outcome != CheckOutcome::Pass) notPassed[r.id] = r.code;
  }
  ctx.log.info("checks.evaluated",
               {{"session", sid}, {"device", deviceId}, {"not_passed", notPassed}});

  StageOutcome out;
  out.details["policy_hash"] = ctx.policy.hash;
  out.details["not_passed"] = notPassed;
  if (firstFail != nullptr) {
    out.to = DeviceState::Failed;
    out.code = firstFail->code;
    out.retryable = false;
    out.details["detail"] = firstFail->id + ": " + firstFail->message;
  } else if (firstMissing != nullptr) {
    out.to = DeviceState::Failed;
    out.code = firstMissing->code;
    out.retryable = firstMissing->code != reason::kPolicyIncomplete;
    out.details["detail"] = firstMissing->id + ": " + firstMissing->message;
  } else {
    out.to = DeviceState::Checked;
  }
  co_return out;
}

}  // namespace pb
