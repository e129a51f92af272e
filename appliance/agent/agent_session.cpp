// SPDX-License-Identifier: Apache-2.0
#include "agent/agent_session.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/bytes.hpp"
#include "core/reasons.hpp"
#include "net/tls_client.hpp"
#include "protocol/messages.hpp"

namespace pb {

namespace {
// Overwrites every string in `j` in place (OPENSSL_cleanse) before it is freed.
void wipeJsonStrings(nlohmann::json& j) {
  if (j.is_string()) {
    auto& text = j.get_ref<std::string&>();
    secureZero(text.data(), text.size());
  } else if (j.is_structured()) {
    for (auto& item : j) wipeJsonStrings(item);
  }
}
}  // namespace

nlohmann::json AgentOutcome::toJson() const {
  return {{"exit_code", exitCode},
          {"state", state},
          {"code", code},
          {"message", message},
          {"remediation", remediation},
          {"device_id", deviceId},
          {"session_id", sessionId},
          {"attempts", attempts},
          {"tpm_ms", tpmMs}};
}

int exitCodeForState(const std::string& state) {
  if (state == "ready") return agent_exit::kReady;
  if (state == "blocked") return agent_exit::kBlocked;
  if (state == "quarantined") return agent_exit::kQuarantined;
  if (state == "failed") return agent_exit::kFailed;
  if (state == "not_attestable") return agent_exit::kNotAttestable;
  if (state == "identified" || state == "checked" || state == "attested" || state == "sealed" ||
      state == "handed_off") {
    return agent_exit::kIdentified;
  }
  return agent_exit::kProtocol;
}

namespace {
// Appliance-side conditions worth retrying after a pause: capacity and restarts.
bool retryableError(const std::string& code) {
  return code == reason::kTooManySessions || code == reason::kTooManyFromSource ||
         code == reason::kShuttingDown || code == reason::kInternalError;
}
}  // namespace

AgentSession::AgentSession(boost::asio::any_io_executor ex,
                           std::shared_ptr<boost::asio::ssl::context> tls, AgentOptions options,
                           IdentityFacts facts, std::function<void(const std::string&)> progress,
                           std::vector<std::shared_ptr<AgentResponder>> responders)
    : ex_(std::move(ex)),
      tls_(std::move(tls)),
      options_(std::move(options)),
      facts_(std::move(facts)),
      progress_(std::move(progress)),
      responders_(std::move(responders)) {}

AgentResponder* AgentSession::responderFor(std::string_view type) const {
  for (const auto& r : responders_) {
    if (r->handles(type)) return r.get();
  }
  return nullptr;
}

std::chrono::milliseconds jitteredBackoff(std::chrono::milliseconds backoff, double unit) {
  const double half = static_cast<double>(backoff.count()) / 2.0;
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(half + std::clamp(unit, 0.0, 1.0) * half));
}

boost::asio::awaitable<AgentOutcome> AgentSession::run() {
  AgentOutcome out;
  auto backoff = options_.backoffStart;
  const auto deadline = std::chrono::steady_clock::now() + options_.retryBudget;
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < options_.maxAttempts; ++i) {
    out.attempts = i + 1;
    if (co_await attempt(out)) co_return out;
    if (i + 1 == options_.maxAttempts) break;
    const auto wait = jitteredBackoff(backoff, unit(rng));
    if (std::chrono::steady_clock::now() + wait >= deadline) break;  // the budget is spent
    if (progress_) {
      progress_("retrying in " + std::to_string(wait.count()) + " ms (" + out.message + ")");
    }
    boost::asio::steady_timer timer(ex_, wait);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, options_.backoffMax);
  }
  co_return out;
}

boost::asio::awaitable<bool> AgentSession::attempt(AgentOutcome& out) {
  const auto io = options_.ioTimeout;
  auto conn = co_await connectTls(ex_, options_.host, options_.port, tls_, io, 1024 * 1024,
                                  options_.bindAddress);
  if (!conn.ok()) {
    out.message = conn.error().message;
    if (conn.error().code == "pin_mismatch") {
      out.exitCode = agent_exit::kPinMismatch;
      co_return true;  // never retry a pin failure: it is not a transient condition
    }
    out.exitCode = agent_exit::kUnreachable;
    co_return false;
  }
  FrameTransport& t = **conn;

  Hello hello;
  hello.versions = {kProtocolVersion};
  hello.agent = options_.agentName;
  hello.identity = facts_;
  if (!lastSessionId_.empty()) hello.resumeSession = lastSessionId_;
  if (!(co_await t.writeFrame(hello.toJson(), io)).ok()) {
    out.exitCode = agent_exit::kUnreachable;
    out.message = "connection lost while sending hello";
    co_await t.close();
    co_return false;
  }

  for (;;) {
    Result<nlohmann::json> frame = co_await t.readFrame(io);
    if (!frame.ok()) {
      // The appliance went away before a final answer: reconnect and resume.
      out.exitCode = agent_exit::kUnreachable;
      out.message = "connection lost: " + frame.error().message;
      co_await t.close();
      co_return false;
    }
    const std::string type = frame->value("type", "");
    if (type == "welcome") {
      Result<Welcome> w = Welcome::fromJson(*frame);
      if (!w.ok()) break;
      lastSessionId_ = w->sessionId;
      out.sessionId = w->sessionId;
      if (progress_) progress_("session " + w->sessionId + " on bench " + w->benchId);
      continue;
    }
    if (type == "verdict") {
      Result<Verdict> v = Verdict::fromJson(*frame);
      if (!v.ok()) break;
      out.state = v->state;
      out.code = v->code;
      out.message = v->message;
      out.remediation = v->remediation;
      out.deviceId = v->deviceId;
      if (progress_) progress_("state " + v->state + (v->code.empty() ? "" : " (" + v->code + ")"));
      if (v->isFinal) {
        out.exitCode = exitCodeForState(v->state);
        co_await t.close();
        co_return true;
      }
      continue;
    }
    if (type == "error") {
      Result<ErrorFrame> e = ErrorFrame::fromJson(*frame);
      out.code = e.ok() ? e->code : "";
      out.message = e.ok() ? e->message : "malformed error frame";
      out.exitCode = agent_exit::kProtocol;
      co_await t.close();
      co_return !retryableError(out.code);
    }
    if (AgentResponder* r = responderFor(type)) {
      if (progress_) progress_("answering " + type);
      Result<nlohmann::json> reply = r->respond(*frame);
      if (!reply.ok()) {
        ErrorFrame e;
        e.code = reply.error().code;
        e.message = reply.error().message;
        (void)co_await t.writeFrame(e.toJson(), io);
        out.code = e.code;
        out.message = e.message;
        out.exitCode = agent_exit::kFailed;
        co_await t.close();
        co_return true;
      }
      const bool sent = (co_await t.writeFrame(*reply, io)).ok();
      // A reply can carry a secret (attest_activated's recovered credential): cleanse its
      // strings now that it is sent rather than leave them to the allocator.
      wipeJsonStrings(*reply);
      if (!sent) {
        out.exitCode = agent_exit::kUnreachable;
        out.message = "connection lost while answering " + type;
        co_await t.close();
        co_return false;
      }
      continue;
    }
    // Something this agent does not understand: say so, then stop.
    ErrorFrame e;
    e.code = std::string(reason::kUnknownMessage);
    e.message = "bench-agent does not understand message type " + type;
    (void)co_await t.writeFrame(e.toJson(), io);
    out.code = e.code;
    out.message = e.message;
    out.exitCode = agent_exit::kProtocol;
    co_await t.close();
    co_return true;
  }
  out.exitCode = agent_exit::kProtocol;
  out.message = "the appliance sent a malformed message";
  co_await t.close();
  co_return true;
}

}  // namespace pb
