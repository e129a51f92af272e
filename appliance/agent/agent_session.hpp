// SPDX-License-Identifier: Apache-2.0
// The device side of agent protocol v1: connect (pinned TLS), Hello, then follow the appliance
// until it gives a final verdict. Reconnects with exponential backoff when the appliance goes
// away mid-session (restart, network blip) and tells the appliance which session it resumes.
//
// Retry policy: an unreachable appliance and the transient refusals (PB-0007 too many sessions,
// PB-0008, PB-0010, PB-9002) are retried with exponential backoff and jitter (each wait is drawn
// from [b/2, b], b doubling from backoffStart to backoffMax, so a bench full of agents refused at
// once does not come back at once) until retryBudget has passed since the first attempt or
// maxAttempts is reached. The default budget (2 minutes) outlasts a flood of idle connections,
// each of which the appliance drops after its hello deadline (seconds).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

#include "agent/responder.hpp"
#include "core/result.hpp"
#include "facts/identity_facts.hpp"

namespace pb {

struct AgentOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8443;
  std::string bindAddress;  // source address to connect from ("" = any)
  std::chrono::milliseconds ioTimeout{30000};
  int maxAttempts = 64;  // connection attempts in total, including reconnects
  std::chrono::milliseconds retryBudget{120000};  // no new attempt starts after this long
  std::chrono::milliseconds backoffStart{200};
  std::chrono::milliseconds backoffMax{5000};
  std::string agentName = "bench-agent/0.1.0";
};

// How the run ended; `exitCode` is what the program returns (documented in bench-agent --help).
struct AgentOutcome {
  int exitCode = 5;
  std::string state;  // final device state, "" when none was given
  std::string code;   // reason code
  std::string message;
  std::string remediation;
  std::string deviceId;
  std::string sessionId;
  int attempts = 0;
  double tpmMs = 0;  // time spent in TPM commands (attestation), for the bench's figures
  [[nodiscard]] nlohmann::json toJson() const;
};

namespace agent_exit {
inline constexpr int kReady = 0;
inline constexpr int kUsage = 2;
inline constexpr int kUnreachable = 3;
inline constexpr int kPinMismatch = 4;
inline constexpr int kProtocol = 5;
inline constexpr int kIdentified = 10;  // identified, waiting for stages this bench does not run
inline constexpr int kBlocked = 20;
inline constexpr int kQuarantined = 21;
inline constexpr int kFailed = 22;
inline constexpr int kNotAttestable = 23;
}  // namespace agent_exit

int exitCodeForState(const std::string& state);

// The wait before the next attempt: uniform in [backoff/2, backoff] (`unit` in [0, 1]).
std::chrono::milliseconds jitteredBackoff(std::chrono::milliseconds backoff, double unit);

class AgentSession {
 public:
  AgentSession(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
               AgentOptions options, IdentityFacts facts,
               std::function<void(const std::string&)> progress,
               std::vector<std::shared_ptr<AgentResponder>> responders = {});

  boost::asio::awaitable<AgentOutcome> run();

 private:
  // One connection. Returns true when the outcome is final, false to reconnect.
  boost::asio::awaitable<bool> attempt(AgentOutcome& out);
  [[nodiscard]] AgentResponder* responderFor(std::string_view type) const;

  boost::asio::any_io_executor ex_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  AgentOptions options_;
  IdentityFacts facts_;
  std::function<void(const std::string&)> progress_;
  std::vector<std::shared_ptr<AgentResponder>> responders_;
  std::string lastSessionId_;
};

}  // namespace pb
