// SPDX-License-Identifier: Apache-2.0
#include "agent/facts_responder.hpp"

#include "protocol/device_facts_json.hpp"

namespace pb {

Result<nlohmann::json> FactsResponder::respond(const nlohmann::json& /*request*/) {
  // The request carries nothing the answer depends on: the agent reports everything it read, and
  // the appliance's policy decides what matters.
  nlohmann::json frame = nlohmann::json::object();
  frame["type"] = "facts";
  frame["facts"] = toJson(facts_);
  return frame;
}

}  // namespace pb
