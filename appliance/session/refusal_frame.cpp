// SPDX-License-Identifier: Apache-2.0
#include "session/refusal_frame.hpp"

#include "core/reasons.hpp"
#include "protocol/messages.hpp"

namespace pb {

nlohmann::json refusalFrame(Refusal why, const std::string& detail) {
  std::string_view code = reason::kShuttingDown;
  switch (why) {
    case Refusal::ShuttingDown:
      code = reason::kShuttingDown;
      break;
    case Refusal::TooManySessions:
      code = reason::kTooManySessions;
      break;
    case Refusal::TooManyFromSource:
      code = reason::kTooManyFromSource;
      break;
  }
  return ErrorFrame{std::string(code), detail}.toJson();
}

}  // namespace pb
