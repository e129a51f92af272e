// SPDX-License-Identifier: Apache-2.0
#include "admission/admission.hpp"

#include <algorithm>
#include <cctype>

#include "admission/identity.hpp"
#include "core/clock.hpp"
#include "core/reasons.hpp"

namespace pb {

namespace {

std::string lowerTrim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool listed(const std::vector<std::string>& list, std::string_view value) {
  std::string v = lowerTrim(value);
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return lowerTrim(item) == v; });
}

AdmissionDecision verdict(DeviceState state, std::string_view code, std::string detail,
                          bool touchesDevice) {
  AdmissionDecision d;
  d.state = state;
  d.code = std::string(code);
  d.detail = std::move(detail);
  d.touchesDevice = touchesDevice;
  return d;
}

bool approvalAnswers(const std::optional<Approval>& a, std::string_view code,
                     const std::string& serial, const std::string& uuid, std::int64_t now) {
  return a.has_value() && a->answersCode == code && a->serial == serial && a->smbiosUuid == uuid &&
         a->consumedAt == 0 && a->expiresAt > now;
}

}  // namespace

AdmissionDecision decideAdmission(const AdmissionInput& in, const AdmissionRules& rules) {
  const IdentityFacts& f = in.facts;
  if (isBogusSerial(f.serial) || listed(rules.extraBogusSerials, f.serial)) {
    return verdict(DeviceState::Blocked, reason::kBogusSerial,
                   "serial \"" + f.serial + "\" is a placeholder", false);
  }
  std::optional<std::string> uuid = canonicalUuid(f.smbiosUuid);
  if (!uuid || isBogusUuid(*uuid) || listed(rules.extraBogusUuids, *uuid)) {
    return verdict(DeviceState::Blocked, reason::kBogusUuid,
                   "SMBIOS UUID \"" + f.smbiosUuid + "\" is missing or a placeholder", false);
  }
  if (in.serialClaimedByOtherSession) {
    return verdict(DeviceState::Blocked, reason::kSerialClaimedTwice,
                   "another device on the bench claims serial " + f.serial, false);
  }
  if (!in.device) {
    if (!rules.requirePreRegistration) {
      // Only reachable through an acknowledged policy risk: the device gets no register record.
      return verdict(DeviceState::Identified, reason::kAwaitingHardwareProof,
                     "not registered; admitted to identification because policy waives "
                     "pre-registration",
                     false);
    }
    return verdict(DeviceState::Blocked, reason::kNotRegistered,
                   "serial " + f.serial + " is not in the asset register", false);
  }
  const DeviceRecord& dev = *in.device;
  if (in.deviceHasLiveSession) {
    AdmissionDecision d = verdict(DeviceState::Failed, reason::kSessionActive,
                                  "device " + dev.id + " already has a session in progress", false);
    d.retryable = true;
    return d;
  }
  if (dev.registry.tenant != rules.tenantId) {
    return verdict(DeviceState::Blocked, reason::kWrongTenant,
                   "device " + dev.id + " belongs to tenant " + dev.registry.tenant +
                       ", this bench serves " + rules.tenantId,
                   true);
  }
  if (dev.blocked) {
    return verdict(DeviceState::Blocked, reason::kBlockListed, "device " + dev.id + " is blocked",
                   true);
  }
  if (in.now < dev.registry.windowFrom) {
    return verdict(DeviceState::Blocked, reason::kWindowNotOpen,
                   "enrollment window opens " + formatUtc(dev.registry.windowFrom), true);
  }
  if (in.now >= dev.registry.windowUntil) {
    return verdict(DeviceState::Blocked, reason::kWindowClosed,
                   "enrollment window closed " + formatUtc(dev.registry.windowUntil), true);
  }

  if (!rules.windows.empty()) {
    bool inside = false;
    std::int64_t nextStart = 0;
    for (const auto& [start, end] : rules.windows) {
      if (in.now >= start && in.now < end) inside = true;
      if (start > in.now && (nextStart == 0 || start < nextStart)) nextStart = start;
    }
    if (!inside && nextStart != 0) {
      return verdict(DeviceState::Blocked, reason::kWindowNotOpen,
                     "the bench's next enrollment window opens " + formatUtc(nextStart), true);
    }
    if (!inside) {
      return verdict(DeviceState::Blocked, reason::kWindowClosed,
                     "the bench's enrollment windows have all closed", true);
    }
  }

  AdmissionDecision ok = verdict(DeviceState::Identified, reason::kAwaitingHardwareProof,
                                 "device " + dev.id + " identified by serial and UUID", true);
  if (*uuid != dev.registry.smbiosUuid) {
    if (rules.blockIdentityMismatch) {
      return verdict(DeviceState::Blocked, reason::kUuidMismatch,
                     "serial " + f.serial +
                         " is registered with another SMBIOS UUID; policy blocks identity "
                         "mismatches",
                     true);
    }
    if (!approvalAnswers(in.approval, reason::kUuidMismatch, f.serial, *uuid, in.now)) {
      return verdict(DeviceState::Quarantined, reason::kUuidMismatch,
                     "serial " + f.serial + " is registered with another SMBIOS UUID", true);
    }
    ok.consumeApprovalId = in.approval->id;
    ok.adoptSmbiosUuid = *uuid;
    ok.detail = "device " + dev.id + " identified; approved UUID change adopted";
    return ok;
  }
  if (dev.enrolledAt != 0 && rules.requireApprovalReEnrollment) {
    if (!approvalAnswers(in.approval, reason::kReEnrollment, f.serial, *uuid, in.now)) {
      return verdict(DeviceState::Quarantined, reason::kReEnrollment,
                     "device " + dev.id + " was enrolled on " + formatUtc(dev.enrolledAt), true);
    }
    ok.consumeApprovalId = in.approval->id;
    ok.detail = "device " + dev.id + " identified; re-enrollment approved";
    return ok;
  }
  if (dev.enrolledAt == 0 && rules.requireApprovalFirstEnrollment) {
    if (!approvalAnswers(in.approval, reason::kApprovalRequired, f.serial, *uuid, in.now)) {
      return verdict(DeviceState::Blocked, reason::kApprovalRequired,
                     "policy requires approval before device " + dev.id + " enrolls", true);
    }
    ok.consumeApprovalId = in.approval->id;
    ok.detail = "device " + dev.id + " identified; enrollment approved";
  }
  return ok;
}

}  // namespace pb
