// SPDX-License-Identifier: Apache-2.0
// Agent protocol v1 messages. Each message is a plain struct with toJson() and a strict
// fromJson(): a missing field, a field of the wrong type or an over-long value is an error that
// names the field ("hello.identity.serial: missing"); unknown extra fields are ignored so a newer
// peer can add fields without breaking an older one.
//
// Wire names are snake_case; `type` selects the message:
//   hello    agent → appliance, first frame   {versions[], agent, identity{…}, resume_session?}
//   welcome  appliance → agent                {version, session_id, bench_id}
//   verdict  appliance → agent                {state, code, message, remediation, retryable,
//                                              device_id, final}
//   error    either way, then the sender closes {code: "PB-xxxx", message}
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "facts/identity_facts.hpp"

namespace pb {

inline constexpr int kProtocolVersion = 1;
// Longest string field, in bytes.
inline constexpr std::size_t kMaxFieldLength = 256;
inline constexpr std::size_t kMaxMacs = 16;
inline constexpr std::size_t kMaxVersions = 8;

namespace msg {
inline constexpr std::string_view kHello = "hello";
inline constexpr std::string_view kWelcome = "welcome";
inline constexpr std::string_view kVerdict = "verdict";
inline constexpr std::string_view kError = "error";
}  // namespace msg

// The message type of a parsed frame ("" if absent; parseFramePayload guarantees it is present).
std::string_view messageType(const nlohmann::json& frame);

struct Hello {
  std::vector<int> versions;                 // protocol versions the agent speaks, 1..8 entries
  std::string agent;                         // "bench-agent/0.1.0"
  IdentityFacts identity;                    // strings may be empty when the firmware has none
  std::optional<std::string> resumeSession;  // session id from an earlier Welcome

  [[nodiscard]] nlohmann::json toJson() const;
  static Result<Hello> fromJson(const nlohmann::json& j);
};

struct Welcome {
  int version = kProtocolVersion;  // the version the appliance chose
  std::string sessionId;
  std::string benchId;

  [[nodiscard]] nlohmann::json toJson() const;
  static Result<Welcome> fromJson(const nlohmann::json& j);
};

struct Verdict {
  std::string state;        // device state name, "ready", "blocked", … (core/device_state.hpp)
  std::string code;         // "PB-xxxx", or empty when there is nothing to explain (ready)
  std::string message;      // one line for the technician
  std::string remediation;  // what to do about it
  bool retryable = false;
  std::string deviceId;  // empty while the device is not identified
  bool isFinal = false;  // wire name "final": the appliance closes after a final verdict

  [[nodiscard]] nlohmann::json toJson() const;
  static Result<Verdict> fromJson(const nlohmann::json& j);
};

struct ErrorFrame {
  std::string code;  // "PB-xxxx" (core/reasons.hpp)
  std::string message;

  [[nodiscard]] nlohmann::json toJson() const;
  static Result<ErrorFrame> fromJson(const nlohmann::json& j);
};

// The highest version both sides speak (the appliance speaks {kProtocolVersion}); nullopt when
// there is none, which the appliance answers with reason::kUnsupportedVersion.
std::optional<int> negotiateVersion(const Hello& hello);

}  // namespace pb
