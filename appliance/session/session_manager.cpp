// SPDX-License-Identifier: Apache-2.0
#include "session/session_manager.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admission/identity.hpp"
#include "core/bytes.hpp"
#include "core/reasons.hpp"
#include "protocol/messages.hpp"

namespace pb {

namespace {

nlohmann::json identityJson(const IdentityFacts& f) {
  return {{"serial", f.serial}, {"smbios_uuid", f.smbiosUuid},   {"model", f.model},
          {"vendor", f.vendor}, {"board_serial", f.boardSerial}, {"macs", f.macs}};
}

Verdict makeVerdict(const SessionRecord& s, const std::string& deviceId, bool final) {
  Verdict v;
  v.state = std::string(toString(s.state));
  v.code = s.reasonCode;
  if (const Reason* r = findReason(s.reasonCode)) {
    v.message = std::string(r->explanation);
    v.remediation = std::string(r->remediation);
  }
  v.retryable = s.retryable;
  v.deviceId = deviceId;
  v.isFinal = final;
  return v;
}

bool sameSerial(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::shared_ptr<const PolicySnapshot> makePolicySnapshot(Policy policy) {
  auto snap = std::make_shared<PolicySnapshot>();
  snap->hash = policyHash(policy);
  snap->admission.tenantId = policy.tenantId;
  snap->admission.requirePreRegistration = policy.enrollment.requirePreRegistration;
  snap->admission.requireApprovalFirstEnrollment = policy.enrollment.requireApprovalFirstEnrollment;
  snap->admission.requireApprovalReEnrollment = policy.enrollment.requireApprovalReEnrollment;
  snap->admission.extraBogusSerials = policy.identity.extraBogusSerials;
  for (const auto& u : policy.identity.extraBogusUuids) {
    snap->admission.extraBogusUuids.push_back(canonicalUuid(u).value_or(u));
  }
  for (const auto& w : policy.enrollment.windows)
    snap->admission.windows.emplace_back(w.start, w.end);
  snap->admission.blockIdentityMismatch =
      policy.enrollment.onIdentityMismatch == IdentityMismatchAction::Block;
  snap->policy = std::move(policy);
  return snap;
}

// Removes a session from the live view however the coroutine ends.
class SessionManager::LiveGuard {
 public:
  LiveGuard(std::map<std::string, Live>& live, std::atomic<std::size_t>& count, std::string id)
      : live_(live), count_(count), id_(std::move(id)) {
    count_ = live_.size();
  }
  ~LiveGuard() {
    live_.erase(id_);
    count_ = live_.size();
  }
  LiveGuard(const LiveGuard&) = delete;
  LiveGuard& operator=(const LiveGuard&) = delete;

 private:
  std::map<std::string, Live>& live_;
  std::atomic<std::size_t>& count_;
  std::string id_;
};

SessionManager::SessionManager(Store& store, const Clock& clock, Logger& log,
                               SessionOptions options, std::shared_ptr<const PolicySnapshot> policy,
                               std::vector<std::unique_ptr<Stage>> stages)
    : store_(store),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      policy_(std::move(policy)),
      stages_(std::move(stages)),
      unregisteredHellos_(options_.unregisteredHellosPerMinute, options_.unregisteredHelloBurst),
      refusals_(options_.refusalAuditInterval) {}

void SessionManager::auditRefusals(const std::string& source, std::uint64_t count) {
  AuditRecord r;
  r.actor = "benchd";
  r.action = "agent.rate_limited";
  r.reason = std::string(reason::kRateLimited);
  r.details = {{"source", source},
               {"refused", count},
               {"interval_s", options_.refusalAuditInterval.count()}};
  if (Status st = store_.appendAudit(r); !st.ok()) {
    log_.error("session.audit_failed", {{"error", st.error().message}});
  }
}

void SessionManager::flushRefusals() {
  for (const auto& [source, count] : refusals_.drain()) auditRefusals(source, count);
}

boost::asio::awaitable<bool> SessionManager::admitUnregisteredHello(FrameTransport& t) {
  const std::string source = t.peerAddress();
  const auto now = std::chrono::steady_clock::now();
  if (unregisteredHellos_.allow(source, now)) co_return true;
  if (std::optional<std::uint64_t> count = refusals_.note(source, now)) {
    log_.warn("agent.rate_limited", {{"peer", source}, {"refused", *count}});
    auditRefusals(source, *count);
  }
  co_await sendError(t, reason::kRateLimited,
                     "too many hellos from this address for devices not in the asset register");
  co_return false;
}

boost::asio::awaitable<void> SessionManager::sendError(FrameTransport& t, std::string_view code,
                                                       const std::string& message) {
  ErrorFrame e;
  e.code = std::string(code);
  e.message = message;
  // Best effort: the peer may already be gone.
  (void)co_await t.writeFrame(e.toJson(), options_.ioTimeout);
}

boost::asio::awaitable<Status> SessionManager::record(
    SessionRecord& s, const std::string& deviceId, DeviceState to, const std::string& code,
    bool retryable, bool close, const std::string& action, nlohmann::json details,
    std::int64_t consumeApproval, const std::string& adoptUuid, const std::string& bindEk) {
  Transition t;
  t.sessionId = s.id;
  t.deviceId = deviceId;
  t.to = to;
  t.reasonCode = code;
  t.retryable = retryable;
  t.closeSession = close;
  t.consumeApprovalId = consumeApproval;
  t.adoptSmbiosUuid = adoptUuid;
  t.bindEkSha256 = bindEk;
  t.actor = "session:" + s.id;
  t.action = action;
  t.details = std::move(details);
  Status st = store_.applyTransition(t);
  if (!st.ok()) {
    log_.error("session.record_failed", {{"session", s.id}, {"error", st.error().message}});
    co_return st;
  }
  s.state = to;
  s.reasonCode = code;
  s.retryable = retryable;
  s.open = !close;
  log_.info("session.transition", {{"session", s.id},
                                   {"device", deviceId},
                                   {"slot", s.slot},
                                   {"state", toString(to)},
                                   {"code", code}});
  if (observer_) observer_(SessionEvent{s.id, deviceId, s.slot, to, code});
  co_return Status{};
}

boost::asio::awaitable<void> SessionManager::handle(std::unique_ptr<FrameTransport> transport) {
  Ongoing on;
  bool internalError = false;
  try {
    co_await run(*transport, on);
  } catch (const std::exception& e) {
    // A bug, not an outside condition: log it here (no co_await inside a handler), then fail the
    // session closed below, durably and in the agent's sight, like any other ending.
    log_.error("session.internal_error", {{"session", on.session.id}, {"what", e.what()}});
    internalError = true;
  }
  // A session that already gave its final answer keeps it; anything else hears of the error.
  if (internalError && (on.session.id.empty() || on.session.open)) {
    if (!on.session.id.empty()) {
      try {
        (void)co_await record(on.session, on.deviceId, DeviceState::Failed,
                              std::string(reason::kInternalError), true, true,
                              "session.internal_error", nlohmann::json::object());
      } catch (const std::exception& e) {
        log_.error("session.record_failed", {{"session", on.session.id}, {"what", e.what()}});
      }
    }
    co_await sendError(*transport, reason::kInternalError,
                       "the appliance hit an internal error; retry");
  }
  co_await transport->close();
}

boost::asio::awaitable<void> SessionManager::run(FrameTransport& t, Ongoing& on) {
  const auto io = options_.ioTimeout;
  const auto sessionDeadline = std::chrono::steady_clock::now() + options_.sessionTimeout;
  Result<nlohmann::json> first = co_await t.readFrame(std::min(options_.helloTimeout, io));
  if (!first.ok()) {
    log_.info("agent.rejected", {{"peer", t.peerAddress()},
                                 {"code", first.error().code},
                                 {"error", first.error().message}});
    if (first.error().code != reason::kPeerClosed && first.error().code != reason::kTimeout) {
      co_await sendError(t, first.error().code, first.error().message);
    }
    co_return;
  }
  const std::string type = first->value("type", "");
  if (type != "hello") {
    co_await sendError(t, reason::kUnexpectedMessage,
                       "the first message must be hello, got " + type);
    co_return;
  }
  Result<Hello> hello = Hello::fromJson(*first);
  if (!hello.ok()) {
    co_await sendError(t, reason::kMalformedFrame, hello.error().message);
    co_return;
  }
  std::optional<int> version = negotiateVersion(*hello);
  if (!version) {
    co_await sendError(
        t, reason::kUnsupportedVersion,
        "this appliance speaks protocol version " + std::to_string(kProtocolVersion));
    co_return;
  }

  // The policy this session runs under, whatever reloads happen meanwhile.
  std::shared_ptr<const PolicySnapshot> policy = policy_;
  const IdentityFacts& facts = hello->identity;
  const std::string uuid = canonicalUuid(facts.smbiosUuid).value_or(facts.smbiosUuid);

  Result<std::optional<DeviceRecord>> found = store_.findDeviceBySerial(facts.serial);
  if (!found.ok()) {
    co_await sendError(t, reason::kInternalError, "inventory unavailable");
    co_return;
  }
  std::optional<DeviceRecord> device = std::move(*found);
  // Before anything is written: a stream of unregistered hellos must not grow the database,
  // the audit log or the kiosk without bound.
  if (!device) {
    const bool admitted = co_await admitUnregisteredHello(t);
    if (!admitted) co_return;
  }

  SessionRecord& s = on.session;
  s.deviceId = device ? device->id : "";
  s.source = t.peerAddress();
  s.slot = options_.slotFor ? options_.slotFor(s.source) : "";
  s.identity = identityJson(facts);
  if (hello->resumeSession) s.identity["resumed_from"] = *hello->resumeSession;
  s.policyHash = policy->hash;
  s.id = "s-" + randomHex(8);
  Result<SessionRecord> created = store_.createSession(s, "session:" + s.id);
  if (!created.ok()) {
    log_.error("session.create_failed", {{"error", created.error().message}});
    s = SessionRecord{};  // nothing was recorded: nothing to fail
    co_await sendError(t, reason::kInternalError, "inventory unavailable");
    co_return;
  }
  s = std::move(*created);

  // Live view first, before any suspension point, so concurrent sessions see each other. The
  // serial compares as the register does (case-insensitive), and a live session of the same
  // register record counts however its serial was spelt.
  bool claimedElsewhere = false;
  bool deviceLive = false;
  for (auto& [id, other] : live_) {
    const bool sameDevice = device && other.deviceId == device->id;
    if (!sameDevice && !sameSerial(other.serial, facts.serial)) continue;
    if (other.uuid != uuid) {
      claimedElsewhere = true;
      other.contested = true;
    } else if (sameDevice) {
      deviceLive = true;
    }
  }
  live_[s.id] = Live{facts.serial, uuid, device ? device->id : "", claimedElsewhere};
  LiveGuard guard(live_, liveCount_, s.id);
  // createSession moved the device record with this session unless another one is live; the
  // store applies the identity rule to every later step (store.hpp applyTransition).
  on.deviceId = device && !deviceLive ? device->id : "";

  Welcome w;
  w.version = *version;
  w.sessionId = s.id;
  w.benchId = options_.benchId;
  if (!(co_await t.writeFrame(w.toJson(), io)).ok()) {
    (void)co_await record(s, on.deviceId, DeviceState::Failed, std::string(reason::kPeerClosed),
                          true, true, "session.peer_lost", nlohmann::json::object());
    co_return;
  }

  AdmissionInput in;
  in.facts = facts;
  in.device = device;
  in.serialClaimedByOtherSession = claimedElsewhere;
  in.deviceHasLiveSession = deviceLive;
  in.now = clock_.nowUnix();
  if (device) {
    Result<std::optional<Approval>> approval = store_.activeApproval(device->id);
    if (approval.ok()) in.approval = std::move(*approval);
  }
  AdmissionDecision d = decideAdmission(in, policy->admission);
  const std::string deviceId = d.touchesDevice && device ? device->id : "";
  on.deviceId = deviceId;
  const bool stagesFollow = d.state == DeviceState::Identified && !stages_.empty();
  nlohmann::json admissionDetails = nlohmann::json::object();
  admissionDetails["detail"] = d.detail;
  Status admitted =
      co_await record(s, deviceId, d.state, d.code, d.retryable, !stagesFollow,
                      "admission." + std::string(toString(d.state)), std::move(admissionDetails),
                      d.consumeApprovalId, d.adoptSmbiosUuid);
  if (!admitted.ok()) {
    co_await sendError(t, reason::kInternalError, "inventory unavailable");
    co_return;
  }
  if (!(co_await t.writeFrame(makeVerdict(s, deviceId, !stagesFollow).toJson(), io)).ok() ||
      !stagesFollow) {
    co_return;
  }

  StageContext ctx{s, device, facts, *policy, t, clock_, log_, io};
  ctx.devicesWithEk = [this](const std::string& ek) { return store_.findDevicesByEk(ek); };
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    Stage& stage = *stages_[i];
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        sessionDeadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      (void)co_await record(s, deviceId, DeviceState::Failed, std::string(reason::kTimeout), true,
                            true, "session.timeout", nlohmann::json::object());
      co_await sendError(t, reason::kTimeout, "the session took longer than its time limit");
      co_return;
    }
    ctx.ioTimeout = std::min(io, left);
    StageOutcome out = co_await stage.run(ctx);
    if (live_[s.id].contested && out.to == stage.successState()) {
      out = StageOutcome{DeviceState::Blocked,
                         std::string(reason::kSerialClaimedTwice),
                         false,
                         "",
                         {{"detail", "another device claimed this serial during the session"}}};
    }
    const bool last = i + 1 == stages_.size() || out.to != stage.successState();
    Status recorded =
        co_await record(s, deviceId, out.to, out.code, out.retryable, last,
                        std::string(stage.name()) + "." + std::string(toString(out.to)),
                        out.details, 0, "", out.bindEkSha256);
    if (!recorded.ok() && recorded.error().code == reason::kEkBoundElsewhere) {
      // The store refused the binding (another device holds the EK, or won a race to it): the
      // same verdict the stage gives when it sees the holder first, not an internal error.
      out.to = DeviceState::Quarantined;
      out.code = std::string(reason::kEkBoundElsewhere);
      out.retryable = false;
      out.bindEkSha256.clear();
      out.details["detail"] = recorded.error().message;
      recorded = co_await record(s, deviceId, out.to, out.code, false, true,
                                 std::string(stage.name()) + ".quarantined", out.details);
      if (recorded.ok()) {
        (void)co_await t.writeFrame(makeVerdict(s, deviceId, true).toJson(), io);
        co_return;
      }
    }
    if (!recorded.ok()) {
      co_await sendError(t, reason::kInternalError, "inventory unavailable");
      co_return;
    }
    if (!(co_await t.writeFrame(makeVerdict(s, deviceId, last).toJson(), io)).ok() || last) {
      co_return;
    }
  }
}

}  // namespace pb
