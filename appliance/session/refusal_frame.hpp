// SPDX-License-Identifier: Apache-2.0
// The product's wording of the listener's refusals: drivers/net knows why it refuses a connection
// (Refusal), the session layer says it to the agent as an error frame with a PB reason code.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "net/tls_listener.hpp"

namespace pb {

// ShuttingDown -> reason::kShuttingDown, TooManySessions -> kTooManySessions, TooManyFromSource
// -> kTooManyFromSource; `detail` becomes the frame's message. Set as
// ListenerOptions::refusalFrame.
nlohmann::json refusalFrame(Refusal why, const std::string& detail);

}  // namespace pb
