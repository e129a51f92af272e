// SPDX-License-Identifier: Apache-2.0
// The seam for what the appliance asks of a device after admission: firmware/AMT facts, the TPM
// side of attestation, sealed credentials. Each responder answers some request types; the
// session loop stays a protocol loop and knows nothing about TPMs or MEI.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

class AgentResponder {
 public:
  virtual ~AgentResponder() = default;
  [[nodiscard]] virtual bool handles(std::string_view type) const = 0;
  // The reply frame, or an error whose code is a PB reason code: the agent sends it as an
  // `error` frame and ends the session (the appliance records the stage as failed).
  virtual Result<nlohmann::json> respond(const nlohmann::json& request) = 0;
};

}  // namespace pb
