// SPDX-License-Identifier: Apache-2.0
// Answers the checks stage's `facts_request` with the firmware and AMT facts the agent read in
// band at start (policy/device_facts_json.hpp is the wire form). The facts are read once: the
// MEI client is released before the session so LMS or the next tool can use it.
#pragma once

#include <string_view>

#include "agent/responder.hpp"
#include "facts/device_facts.hpp"

namespace pb {

class FactsResponder final : public AgentResponder {
 public:
  explicit FactsResponder(DeviceFacts facts) : facts_(std::move(facts)) {}

  [[nodiscard]] bool handles(std::string_view type) const override {
    return type == "facts_request";
  }
  Result<nlohmann::json> respond(const nlohmann::json& request) override;

 private:
  DeviceFacts facts_;
};

}  // namespace pb
