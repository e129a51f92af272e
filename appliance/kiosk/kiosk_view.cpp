// SPDX-License-Identifier: Apache-2.0
#include "kiosk/kiosk_view.hpp"

#include <array>

#include "core/bytes.hpp"
#include "core/reasons.hpp"

namespace pb {

namespace {

// The happy path, in order; a tile shows how far along it a device got.
constexpr std::array<DeviceState, 7> kStages = {
    DeviceState::Discovered, DeviceState::Identified, DeviceState::Checked, DeviceState::Attested,
    DeviceState::Sealed,     DeviceState::HandedOff,  DeviceState::Ready};

std::optional<int> stageIndex(DeviceState s) {
  for (std::size_t i = 0; i < kStages.size(); ++i) {
    if (kStages[i] == s) return static_cast<int>(i);
  }
  return std::nullopt;
}

// Cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string bounded(std::string_view s, std::size_t max = kMaxTileStringBytes) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…";
}

// The stage a non-ready device stopped at. Sessions do not record the last stage passed, so it
// is read from the reason-code range: protocol (00xx), admission (10xx) and appliance (90xx)
// problems stop a device before or at identification, firmware/AMT findings (20xx) at the checks
// and TPM findings (30xx) at attestation.
int stoppedAt(DeviceState state, std::string_view code) {
  if (stageIndex(state)) return -1;
  if (code.substr(0, 5) == "PB-00" || code.substr(0, 5) == "PB-10" || code.substr(0, 5) == "PB-90")
    return 1;
  if (code.substr(0, 4) == "PB-3") return 3;
  return 2;
}

nlohmann::json reasonJson(std::string_view code) {
  if (code.empty()) return nullptr;
  const Reason* r = findReason(code);
  if (r == nullptr) {
    return {{"code", bounded(code, 32)},
            {"title", "unknown reason"},
            {"sentence", "This reason code is not in the catalogue of this appliance version."},
            {"remediation", "Ask an administrator to look it up with benchctl reasons."}};
  }
  std::string title(r->name);
  for (char& c : title) {
    if (c == '_') c = ' ';
  }
  return {{"code", r->code},
          {"title", title},
          {"sentence", r->explanation},
          {"remediation", r->remediation}};
}

nlohmann::json checkJson(const CheckResult& c) {
  nlohmann::json j = {{"id", bounded(c.id, 64)},
                      {"outcome", toString(c.outcome)},
                      {"code", bounded(c.code, 32)},
                      {"message", bounded(c.message, 512)},
                      {"remediation", bounded(c.remediation, 512)}};
  return j;
}

// Admission is the one check every device goes through today; its outcome follows from the state.
CheckResult admissionCheck(DeviceState state, std::string_view code) {
  CheckResult c;
  c.id = "admission";
  c.code = std::string(code);
  const Reason* r = findReason(code);
  auto idx = stageIndex(state);
  if (idx && *idx >= 1) {
    c.outcome = CheckOutcome::Pass;
    c.code.clear();
    c.message = "Registered, not blocked and inside its enrollment window.";
    return c;
  }
  if (code.substr(0, 5) == "PB-10") {
    c.outcome = CheckOutcome::Fail;
  } else {
    c.outcome = CheckOutcome::MissingData;  // not decided (yet): never shown as a pass
  }
  c.message = r != nullptr ? std::string(r->explanation) : "Not decided yet.";
  c.remediation = r != nullptr ? std::string(r->remediation) : "";
  return c;
}

struct TileFields {
  std::string key;
  std::string deviceId;
  std::string slot;
  std::string serial;
  std::string model;
  std::string owner;
  DeviceState state = DeviceState::Discovered;
  std::string code;
  bool retryable = false;
  std::int64_t stateSince = 0;
};

// Everything a tile holds is written here, from TileFields only.
nlohmann::json tileJson(const TileFields& f, const TileContext& ctx) {
  std::string slotLabel;
  if (ctx.slotLabels != nullptr && !f.slot.empty()) {
    auto it = ctx.slotLabels->find(f.slot);
    slotLabel = it != ctx.slotLabels->end() ? it->second : f.slot;
  }
  std::string serial = bounded(f.serial);
  if (!ctx.policy.showSerials && serial.size() > 4) {
    serial = "…" + serial.substr(serial.size() - 4);
  }
  const KioskVerdict v = verdictFor(f.state, f.code);
  nlohmann::json checks = nlohmann::json::array();
  checks.push_back(checkJson(admissionCheck(f.state, f.code)));
  if (ctx.checks != nullptr) {
    for (const auto& c : *ctx.checks) checks.push_back(checkJson(c));
  }
  auto idx = stageIndex(f.state);
  return {{"key", f.key},
          {"device_id", f.deviceId},
          {"slot", f.slot},
          {"slot_label", bounded(slotLabel, 64)},
          {"serial", serial},
          {"model", bounded(f.model)},
          {"owner", ctx.policy.maskOwnerNames ? maskOwnerName(f.owner) : bounded(f.owner)},
          {"state", toString(f.state)},
          {"stage", idx ? *idx : -1},
          {"stopped_at", stoppedAt(f.state, f.code)},
          {"state_since", f.stateSince},
          {"verdict", toString(v)},
          {"verdict_label", verdictLabel(v)},
          {"retryable", f.retryable},
          {"reason", v == KioskVerdict::Ready ? nlohmann::json(nullptr) : reasonJson(f.code)},
          {"checks", std::move(checks)}};
}

std::string identityString(const nlohmann::json& identity, const char* key) {
  if (!identity.is_object()) return "";
  auto it = identity.find(key);
  return it != identity.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string_view toString(KioskVerdict v) {
  switch (v) {
    case KioskVerdict::InProgress:
      return "in_progress";
    case KioskVerdict::Ready:
      return "ready";
    case KioskVerdict::NeedsApproval:
      return "needs_approval";
    case KioskVerdict::Blocked:
      return "blocked";
    case KioskVerdict::Failed:
      return "failed";
    case KioskVerdict::NotAttestable:
      return "not_attestable";
  }
  return "failed";
}

std::string_view verdictLabel(KioskVerdict v) {
  switch (v) {
    case KioskVerdict::InProgress:
      return "IN PROGRESS";
    case KioskVerdict::Ready:
      return "READY";
    case KioskVerdict::NeedsApproval:
      return "NEEDS APPROVAL";
    case KioskVerdict::Blocked:
      return "BLOCKED";
    case KioskVerdict::Failed:
      return "FAILED";
    case KioskVerdict::NotAttestable:
      return "NOT ATTESTABLE";
  }
  return "FAILED";
}

KioskVerdict verdictFor(DeviceState state, std::string_view code) {
  switch (state) {
    case DeviceState::Ready:
      return KioskVerdict::Ready;
    case DeviceState::Quarantined:
      return KioskVerdict::NeedsApproval;
    case DeviceState::Blocked:
      // Blocked only until an admin approves: the technician's next step is an approval.
      return code == reason::kApprovalRequired ? KioskVerdict::NeedsApproval
                                               : KioskVerdict::Blocked;
    case DeviceState::Failed:
      return KioskVerdict::Failed;
    case DeviceState::NotAttestable:
      return KioskVerdict::NotAttestable;
    default:
      return KioskVerdict::InProgress;
  }
}

std::string maskOwnerName(std::string_view name) {
  std::string out;
  int words = 0;
  std::size_t i = 0;
  while (i < name.size() && words < 4) {
    while (i < name.size() && (name[i] == ' ' || name[i] == '\t')) ++i;
    if (i >= name.size()) break;
    // One whole UTF-8 code point: the lead byte and its continuation bytes.
    std::size_t end = i + 1;
    while (end < name.size() && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) ++end;
    if (!out.empty()) out += ' ';
    out.append(name.substr(i, end - i));
    out += '.';
    ++words;
    while (i < name.size() && name[i] != ' ' && name[i] != '\t') ++i;
  }
  return out;
}

nlohmann::json tileFromDevice(const DeviceRecord& device, const TileContext& ctx) {
  TileFields f;
  f.key = device.id;
  f.deviceId = device.id;
  f.slot = device.slot;
  f.serial = device.registry.serial;
  f.model = device.registry.model;
  f.owner = device.registry.owner;
  f.state = device.state.value_or(DeviceState::Discovered);
  f.code = device.reasonCode;
  f.retryable = device.retryable;
  f.stateSince = device.stateSince;
  return tileJson(f, ctx);
}

nlohmann::json tileFromSession(const SessionRecord& session, const TileContext& ctx) {
  TileFields f;
  f.serial = identityString(session.identity, "serial");
  f.model = identityString(session.identity, "model");
  f.key = "u-" + toHex(sha256(session.source + "\n" + f.serial)).substr(0, 16);
  f.slot = session.slot;
  f.state = session.state;
  f.code = session.reasonCode;
  f.retryable = session.retryable;
  f.stateSince = session.updatedAt;
  return tileJson(f, ctx);
}

nlohmann::json headerJson(const KioskHeader& header, const Clock& clock,
                          const std::map<std::string, int>& counts) {
  nlohmann::json banners = nlohmann::json::array();
  if (header.developmentMode) {
    banners.push_back({{"kind", "development"},
                       {"severity", "danger"},
                       {"text", "DEVELOPMENT MODE — devices provisioned here are not trusted."}});
  }
  for (const auto& risk : header.riskySettings) {
    banners.push_back({{"kind", "risk"},
                       {"severity", "warning"},
                       {"text", "Weakened policy setting: " + bounded(risk, 256)}});
  }
  if (header.provisioningCertNotAfter) {
    const std::int64_t left = *header.provisioningCertNotAfter - clock.nowUnix();
    const std::string date = formatUtc(*header.provisioningCertNotAfter).substr(0, 10);
    if (left <= 0) {
      banners.push_back({{"kind", "certificate"},
                         {"severity", "danger"},
                         {"text", "Provisioning certificate EXPIRED on " + date +
                                      " — AMT provisioning will fail until it is renewed."}});
    } else if (left < 30 * 86400) {
      banners.push_back(
          {{"kind", "certificate"},
           {"severity", "warning"},
           {"text", "Provisioning certificate expires in " + std::to_string(left / 86400) +
                        " days (" + date + ") — renew it."}});
    }
  }
  nlohmann::json c = nlohmann::json::object();
  for (auto v : {KioskVerdict::Ready, KioskVerdict::InProgress, KioskVerdict::NeedsApproval,
                 KioskVerdict::Blocked, KioskVerdict::Failed, KioskVerdict::NotAttestable}) {
    auto it = counts.find(std::string(toString(v)));
    c[std::string(toString(v))] = it == counts.end() ? 0 : it->second;
  }
  return {{"bench_id", header.benchId},
          {"policy_name", bounded(header.policyName, 64)},
          {"policy_hash", header.policyHash.substr(0, 12)},
          {"banners", std::move(banners)},
          {"counts", std::move(c)}};
}

}  // namespace pb
