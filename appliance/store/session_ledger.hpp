// SPDX-License-Identifier: Apache-2.0
// Store role: device sessions and the steps they take (store.hpp explains the roles). The
// session manager is its one writer; every step is checked against the state machine
// (store/transition_table.hpp) and committed with its audit record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/device_state.hpp"
#include "core/result.hpp"

namespace pb {

struct SessionRecord {
  std::string id;                                      // random, "s-" + 16 hex
  std::string deviceId;                                // "" when the device is not registered
  std::string source;                                  // peer address
  std::string slot;                                    // slot id from the slot map, "" when unknown
  nlohmann::json identity = nlohmann::json::object();  // identity facts from Hello
  DeviceState state = DeviceState::Discovered;
  std::string reasonCode;
  bool retryable = false;
  bool open = true;  // false once the agent was given its final answer (or the session was failed)
  std::string policyHash;
  std::int64_t startedAt = 0;
  std::int64_t updatedAt = 0;
};

// What a session step changes, applied atomically with its audit record.
struct Transition {
  std::string sessionId;
  std::string deviceId;  // "" for an unregistered device (session only)
  DeviceState to = DeviceState::Discovered;
  std::string reasonCode;
  bool retryable = false;
  bool closeSession = false;           // the agent is given its final answer with this step
  std::int64_t consumeApprovalId = 0;  // mark this approval used (0: none)
  std::string adoptSmbiosUuid;         // an approved identity mismatch: update the register's UUID
  std::string bindEkSha256;            // attestation proved this EK ("" : unchanged)
  std::string actor;
  std::string action;  // audit action, e.g. "admission.identified"
  nlohmann::json details = nlohmann::json::object();
};

class SessionLedger {
 public:
  virtual ~SessionLedger() = default;

  // Inserts the session in state `discovered` (and, for a registered device, moves the device to
  // `discovered` unless the device record is held, see applyTransition) with one audit record
  // "session.discovered". Fills id, startedAt, updatedAt.
  virtual Result<SessionRecord> createSession(SessionRecord init, const std::string& actor) = 0;
  // Refused (PB-9504, nothing written) unless the session is open and the step from its state to
  // t.to is an edge of the state machine (store/transition_table.hpp).
  // Always changes the session and appends the audit record. Changes the device record only when
  // this session may speak for the device (the identity rule, appliance/README.md):
  //   - no other open session owns the record (the device's last session is this one or closed:
  //     a duplicate connection never overwrites the live session's state), and
  //   - the device has no bound EK, or this session proved it: this step binds it (attested) or an
  //     earlier step of this session did (the device's last session is this one). Before that a
  //     session is a claim only, and an attested device stays attested whatever the claim does.
  // Otherwise the device record is left as it is and the audit record says so
  // ("device_unchanged"). Approvals are consumed and approved UUIDs adopted either way.
  // Binding an EK that another device holds (bound or registered) fails with PB-1023
  // (reason::kEkBoundElsewhere) and changes nothing.
  virtual Status applyTransition(const Transition& t) = 0;
  virtual Result<std::optional<SessionRecord>> findSession(const std::string& id) = 0;
  virtual Result<std::vector<SessionRecord>> listSessions(bool openOnly, int limit) = 0;
  // Newest first.
  virtual Result<std::vector<SessionRecord>> sessionsForDevice(const std::string& deviceId,
                                                               int limit) = 0;
  // At start-up: every open session (and its device) becomes failed(code, retryable), one audit
  // record each. Returns how many.
  virtual Result<int> failOpenSessions(const std::string& code) = 0;
  // For `status`: one aggregate query.
  virtual Result<std::int64_t> openSessionCount() = 0;
};

}  // namespace pb
