// SPDX-License-Identifier: Apache-2.0
// The seam later capabilities plug into: firmware/AMT checks, TPM attestation, credential sealing
// and hand-off are each a Stage. A stage takes the session and its facts, may talk to the agent
// over the session's transport, and returns an outcome; the session manager records the outcome
// (one transaction + one audit record) before it tells the agent anything.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "admission/admission.hpp"
#include "core/clock.hpp"
#include "core/device_state.hpp"
#include "core/log.hpp"
#include "facts/identity_facts.hpp"
#include "net/frame_transport.hpp"
#include "store/store.hpp"

namespace pb {

struct PolicySnapshot;

struct StageContext {
  const SessionRecord& session;
  const std::optional<DeviceRecord>& device;  // nullopt for a device admitted without a record
  const IdentityFacts& facts;
  const PolicySnapshot& policy;  // the policy the session started under
  FrameTransport& agent;
  const Clock& clock;
  Logger& log;
  std::chrono::milliseconds ioTimeout;
  // The devices an EK already identifies (Store::findDevicesByEk): attestation refuses a TPM that
  // is another device's identity (PB-1023). Empty function: no other device is known.
  std::function<Result<std::vector<DeviceRecord>>(const std::string& ekSha256)> devicesWithEk = {};
};

struct StageOutcome {
  DeviceState to = DeviceState::Failed;  // fail closed: a stage that says nothing has failed
  std::string code;
  bool retryable = false;
  std::string bindEkSha256;
  nlohmann::json details = nlohmann::json::object();
};

class Stage {
 public:
  virtual ~Stage() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // The state this stage moves the device to on success (checked, attested, sealed, …).
  [[nodiscard]] virtual DeviceState successState() const = 0;
  virtual boost::asio::awaitable<StageOutcome> run(StageContext& ctx) = 0;
};

}  // namespace pb
