// SPDX-License-Identifier: Apache-2.0
// Runs one device session per agent connection:
//
//   Hello ─► session `discovered` (durable) ─► Welcome
//         ─► admission ─► identified | blocked | quarantined | failed   (durable, then Verdict)
//         ─► each Stage in order (checked, attested, sealed, …)         (durable, then Verdict)
//
// Every step is committed with its audit record before the agent hears of it. The manager also
// keeps the in-memory view of live sessions that admission needs (two devices claiming one serial
// at once, a device connecting twice; serials compare case-insensitively, as in the register).
//
// Identity rule (appliance/README.md, threat model). A session is a claim until it has proven the
// device's TPM: the attestation stage in this session verified the EK and bound it (or found it
// already bound to this device). Every step of every session is recorded on the session; the
// device record changes only while the session may speak for the device:
//   - a device with a bound EK (attested once, in any later state) is changed only by the session
//     that proves that EK, from the proving step on: an unproven session's verdicts (quarantined
//     PB-1020 on return, failed, a timeout) stay on the session and the device stays as it was;
//   - a device without a bound EK moves with its current session (discovered, identified,
//     checked, or a failure), since there is no proof to protect yet;
//   - never while another open session owns the record: a duplicate connection (PB-1030) or a
//     second claimant does not overwrite the live session's state.
// The store enforces the rule inside the transaction (Store::applyTransition), so no code path
// here can get it wrong. An EK identifies one device: a TPM already bound to or registered for
// another device is quarantined PB-1023 (cloned or relayed TPM) and never bound.
// An exception out of a step (a bug) fails the session PB-9002 and sends the agent an error frame.
//
// @par Thread Safety
// All sessions run on one executor (benchd runs its io_context on one thread); no locking.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "net/frame_transport.hpp"
#include "session/policy_snapshot.hpp"
#include "session/source_limits.hpp"
#include "session/stage.hpp"
#include "store/store.hpp"

namespace pb {

struct SessionEvent {
  std::string sessionId;
  std::string deviceId;
  std::string slot;
  DeviceState state = DeviceState::Discovered;
  std::string code;
};

struct SessionOptions {
  std::string benchId;
  std::chrono::milliseconds ioTimeout{10000};
  // For the agent's first frame (hello), far shorter than ioTimeout: a connection that never
  // says hello gives its place back quickly (the listener counts it as a session meanwhile).
  std::chrono::milliseconds helloTimeout{3000};
  // Hellos of devices not in the register, per source address (token bucket); more are refused
  // with reason::kRateLimited before any session row, audit record or kiosk tile is written.
  double unregisteredHellosPerMinute = 12;
  double unregisteredHelloBurst = 4;
  // Refused hellos are audited once per source and interval, with a count.
  std::chrono::seconds refusalAuditInterval{60};
  // The whole session, first frame to final verdict: a device cannot hold a slot forever by
  // answering just in time.
  std::chrono::milliseconds sessionTimeout{300000};
  // Slot id for a peer address ("" when the address is not in the slot map).
  std::function<std::string(const std::string& peer)> slotFor;
};

class SessionManager {
 public:
  SessionManager(Store& store, const Clock& clock, Logger& log, SessionOptions options,
                 std::shared_ptr<const PolicySnapshot> policy,
                 std::vector<std::unique_ptr<Stage>> stages);

  // Handles one agent connection to the end. Never throws.
  boost::asio::awaitable<void> handle(std::unique_ptr<FrameTransport> transport);

  // Audits the refusals counted since each source's last record (benchd calls it at shutdown).
  void flushRefusals();

  void setPolicy(std::shared_ptr<const PolicySnapshot> policy) { policy_ = std::move(policy); }
  [[nodiscard]] const PolicySnapshot& policy() const { return *policy_; }
  // Safe to call from any thread.
  [[nodiscard]] std::size_t liveSessions() const { return liveCount_.load(); }
  // Called after every durable state change (kiosk, benchmarks, tests).
  void setObserver(std::function<void(const SessionEvent&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  struct Live {
    std::string serial;
    std::string uuid;
    std::string deviceId;
    bool contested = false;  // another device claimed the same serial while this one was live
  };
  class LiveGuard;
  // What handle() needs to end a session that run() left by an exception.
  struct Ongoing {
    SessionRecord session;  // id empty until createSession committed
    std::string deviceId;   // the device record this session speaks for ("" for none)
  };

  boost::asio::awaitable<void> run(FrameTransport& t, Ongoing& on);
  // false = refused (the agent has been told); counts and audits the refusal.
  boost::asio::awaitable<bool> admitUnregisteredHello(FrameTransport& t);
  void auditRefusals(const std::string& source, std::uint64_t count);
  boost::asio::awaitable<void> sendError(FrameTransport& t, std::string_view code,
                                         const std::string& message);
  boost::asio::awaitable<Status> record(SessionRecord& s, const std::string& deviceId,
                                        DeviceState to, const std::string& code, bool retryable,
                                        bool close, const std::string& action,
                                        nlohmann::json details, std::int64_t consumeApproval = 0,
                                        const std::string& adoptUuid = "",
                                        const std::string& bindEk = "");

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  SessionOptions options_;
  std::shared_ptr<const PolicySnapshot> policy_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::map<std::string, Live> live_;  // by session id; touched on the session executor only
  std::atomic<std::size_t> liveCount_{0};
  std::function<void(const SessionEvent&)> observer_;
  SourceRateLimiter unregisteredHellos_;
  RefusalTally refusals_;
};

}  // namespace pb
