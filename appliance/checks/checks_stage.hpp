// SPDX-License-Identifier: Apache-2.0
// The firmware/AMT checks stage (a pb::Stage, session/stage.hpp):
//
//   appliance ─► {"type":"facts_request"}
//   agent     ─► {"type":"facts","facts":{identity, firmware, amt, tpm}}
//   (policy/device_facts_json.hpp) evaluate(session policy, facts) ─► store the CheckRun with the
//   policy hash ─► outcome
//
// Outcome, fail closed: every result pass or warn → `checked`; otherwise `failed` with the code of
// the first failing check (not retryable: a setting must change first), or, when nothing failed
// but a fact was missing, the first missing_data code (PB-2090 retryable, PB-2092 not: the policy
// must change). A transport problem fails the session with its code (retryable); facts that do
// not parse fail it with PB-2091. Results are stored before the outcome is returned, so
// `benchctl device show` explains a failure as soon as the device shows it.
//
// Identity comes from the Hello the session was admitted with, not from the facts message: a
// device cannot change who it is half-way through.
#pragma once

#include <string_view>

#include "session/stage.hpp"
#include "store/store.hpp"

namespace pb {

inline constexpr std::string_view kFactsRequestType = "facts_request";
inline constexpr std::string_view kFactsType = "facts";

class ChecksStage final : public Stage {
 public:
  explicit ChecksStage(CheckRunLog& store) : store_(store) {}

  [[nodiscard]] std::string_view name() const override { return "checks"; }
  [[nodiscard]] DeviceState successState() const override { return DeviceState::Checked; }
  boost::asio::awaitable<StageOutcome> run(StageContext& ctx) override;

 private:
  CheckRunLog& store_;  // the one role it needs
};

}  // namespace pb
