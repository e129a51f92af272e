// SPDX-License-Identifier: Apache-2.0
#include "protocol/messages.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/json_reader.hpp"
#include "core/printable_text.hpp"
#include "core/reasons.hpp"

namespace pb {

namespace {

using nlohmann::json;

Error fieldError(std::string_view path, std::string_view what) {
  return makeError(std::string(reason::kMalformedFrame),
                   std::string(path) + ": " + std::string(what));
}

// Agent messages through the one untrusted-JSON reader: every field required unless read as
// optional, strings bounded by kMaxFieldLength, unknown fields ignored (a newer peer may add some).
using Reader = JsonObjectReader;

Reader reader(const json& j, std::string prefix) {
  return Reader(j, std::move(prefix),
                JsonReadRules{.errorCode = std::string(reason::kMalformedFrame),
                              .maxString = kMaxFieldLength,
                              .absentIsError = true,
                              .allowUnknownKeys = true});
}

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

// Checks that `j` is an object of the expected type. The message name doubles as the error prefix.
std::optional<Error> checkEnvelope(const json& j, std::string_view type) {
  if (!j.is_object()) return fieldError(type, "not a JSON object");
  auto it = j.find("type");
  if (it == j.end() || !it->is_string()) return fieldError(std::string(type) + ".type", "missing");
  if (it->get_ref<const std::string&>() != type) {
    // Which message the peer sent is untrusted: never echo it into the error text.
    return makeError(std::string(reason::kUnexpectedMessage),
                     "expected a \"" + std::string(type) + "\" message");
  }
  return std::nullopt;
}

bool isReasonCode(const std::string& s) {
  return s.size() == 7 && s.compare(0, 3, "PB-") == 0 &&
         std::all_of(s.begin() + 3, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A device's claims are stored (session record, audit log) and shown (kiosk, benchctl), so they
// follow the asset register's rule for text: a NUL, a control character or a bidi override
// (U+202E) in a claim refuses the whole hello as malformed, before anything is recorded.
std::string printableClaim(Reader& r, const json& v, const std::string& where) {
  std::string s = r.checkString(v, where);
  if (!isPrintableUtf8(s)) {
    r.fail(where, "contains control characters or bidi controls");
    return {};
  }
  return s;
}

std::optional<Error> readIdentity(const json& j, const std::string& prefix, IdentityFacts& out) {
  Reader r = reader(j, prefix);
  auto claim = [&](std::string_view key) {
    const json* v = r.find(key, true);
    return v ? printableClaim(r, *v, r.path(key)) : std::string();
  };
  out.serial = claim("serial");
  out.smbiosUuid = claim("smbios_uuid");
  out.model = claim("model");
  out.vendor = claim("vendor");
  out.boardSerial = claim("board_serial");
  if (const json* macs = r.array("macs", kMaxMacs)) {
    for (std::size_t i = 0; i < macs->size(); ++i) {
      out.macs.push_back(printableClaim(r, (*macs)[i], jsonIndexPath(r.path("macs"), i)));
    }
  }
  return r.error();
}

}  // namespace

std::string_view messageType(const json& frame) {
  if (!frame.is_object()) return {};
  auto it = frame.find("type");
  if (it == frame.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

json Hello::toJson() const {
  json j{{"type", msg::kHello},
         {"versions", versions},
         {"agent", agent},
         {"identity",
          {{"serial", identity.serial},
           {"smbios_uuid", identity.smbiosUuid},
           {"model", identity.model},
           {"vendor", identity.vendor},
           {"board_serial", identity.boardSerial},
           {"macs", identity.macs}}}};
  if (resumeSession) j["resume_session"] = *resumeSession;
  return j;
}

Result<Hello> Hello::fromJson(const json& j) {
  if (auto e = checkEnvelope(j, msg::kHello)) return *e;
  Hello h;
  Reader r = reader(j, "hello");
  if (const json* versions = r.array("versions", kMaxVersions)) {
    if (versions->empty()) r.fail(r.path("versions"), "empty");
    for (std::size_t i = 0; i < versions->size(); ++i) {
      h.versions.push_back(static_cast<int>(
          r.checkInteger((*versions)[i], jsonIndexPath(r.path("versions"), i), 0, kMaxInt)));
    }
  }
  if (const json* agent = r.find("agent", true))
    h.agent = printableClaim(r, *agent, r.path("agent"));
  if (const json* id = r.objectValue("identity"))
    r.adopt(readIdentity(*id, r.path("identity"), h.identity));
  if (const json* resume = r.find("resume_session", false)) {
    h.resumeSession = printableClaim(r, *resume, r.path("resume_session"));
  }
  if (r.error()) return *r.error();
  return h;
}

json Welcome::toJson() const {
  return json{{"type", msg::kWelcome},
              {"version", version},
              {"session_id", sessionId},
              {"bench_id", benchId}};
}

Result<Welcome> Welcome::fromJson(const json& j) {
  if (auto e = checkEnvelope(j, msg::kWelcome)) return *e;
  Welcome w;
  Reader r = reader(j, "welcome");
  w.version = static_cast<int>(r.integer("version", 0, kMaxInt));
  w.sessionId = r.string("session_id");
  w.benchId = r.string("bench_id");
  if (!r.error() && w.sessionId.empty()) r.fail(r.path("session_id"), "empty");
  if (r.error()) return *r.error();
  return w;
}

json Verdict::toJson() const {
  return json{{"type", msg::kVerdict},
              {"state", state},
              {"code", code},
              {"message", message},
              {"remediation", remediation},
              {"retryable", retryable},
              {"device_id", deviceId},
              {"final", isFinal}};
}

Result<Verdict> Verdict::fromJson(const json& j) {
  if (auto e = checkEnvelope(j, msg::kVerdict)) return *e;
  Verdict v;
  Reader r = reader(j, "verdict");
  v.state = r.string("state");
  v.code = r.string("code");
  v.message = r.string("message");
  v.remediation = r.string("remediation");
  v.retryable = r.boolean("retryable");
  v.deviceId = r.string("device_id");
  v.isFinal = r.boolean("final");
  if (!r.error() && v.state.empty()) r.fail(r.path("state"), "empty");
  if (!r.error() && !v.code.empty() && !isReasonCode(v.code)) {
    r.fail(r.path("code"), "not a PB-xxxx reason code");
  }
  if (r.error()) return *r.error();
  return v;
}

json ErrorFrame::toJson() const {
  return json{{"type", msg::kError}, {"code", code}, {"message", message}};
}

Result<ErrorFrame> ErrorFrame::fromJson(const json& j) {
  if (auto e = checkEnvelope(j, msg::kError)) return *e;
  ErrorFrame f;
  Reader r = reader(j, "error");
  f.code = r.string("code");
  f.message = r.string("message");
  if (!r.error() && !isReasonCode(f.code)) r.fail(r.path("code"), "not a PB-xxxx reason code");
  if (r.error()) return *r.error();
  return f;
}

std::optional<int> negotiateVersion(const Hello& hello) {
  // The appliance speaks exactly {kProtocolVersion}; when it grows, pick the highest common one.
  constexpr int kSupported[] = {kProtocolVersion};
  std::optional<int> best;
  for (int v : hello.versions) {
    for (int s : kSupported) {
      if (v == s && (!best || v > *best)) best = v;
    }
  }
  return best;
}

}  // namespace pb
