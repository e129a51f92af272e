// SPDX-License-Identifier: Apache-2.0
// Admission: may this device, claiming this identity, proceed on this bench now?
//
// A pure function over what the caller looked up (register record, live sessions, approval) so
// every rule is testable without a database or a network. Admission never admits on identifiers
// alone: the best outcome here is `identified`, which later stages (hardware proof) complete.
//
// Rules, in order (first match decides):
//   1. placeholder or missing serial / UUID              -> blocked     PB-1010 / PB-1011
//   2. another live session claims the same serial        -> blocked     PB-1012
//   3. not in the register                                -> blocked     PB-1001
//   4. the same device already has a live session         -> failed      PB-1030 (retryable)
//   5. registered to another tenant                       -> blocked     PB-1006
//   6. on the block list                                  -> blocked     PB-1002
//   7. outside the enrollment window (the register's, or
//      every one of the policy's bench-wide windows)      -> blocked     PB-1004 / PB-1005
//   8. UUID differs from the register                     -> quarantined PB-1021 unless approved
//      (blocked PB-1021 when policy on_identity_mismatch is block)
//   9. enrolled before and policy requires approval       -> quarantined PB-1020 unless approved
//  10. first enrollment and policy requires approval      -> blocked     PB-1003 unless approved
//  11. otherwise                                          -> identified  PB-0100
// An approval counts only if it answers that very code and is bound to the serial and UUID the
// device presents now; using it consumes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/device_state.hpp"
#include "facts/identity_facts.hpp"
#include "store/store.hpp"

namespace pb {

struct AdmissionRules {
  std::string tenantId;
  bool requirePreRegistration = true;
  bool requireApprovalFirstEnrollment = false;
  bool requireApprovalReEnrollment = true;
  std::vector<std::string> extraBogusSerials;
  std::vector<std::string> extraBogusUuids;  // canonical lower-case form
  // Bench-wide enrolment windows [start, end) from policy enrollment.windows, sorted by start;
  // empty = only the register window applies.
  std::vector<std::pair<std::int64_t, std::int64_t>> windows;
  // policy enrollment.on_identity_mismatch: block instead of quarantine (no approval possible).
  bool blockIdentityMismatch = false;
};

struct AdmissionInput {
  IdentityFacts facts;
  std::optional<DeviceRecord> device;        // the register record with this serial, if any
  bool serialClaimedByOtherSession = false;  // a live session with this serial and another UUID
  bool deviceHasLiveSession = false;         // a live session for the same register record
  std::optional<Approval> approval;          // the device's active approval, if any
  std::int64_t now = 0;
};

struct AdmissionDecision {
  DeviceState state = DeviceState::Blocked;
  std::string code;
  bool retryable = false;
  // Whether the decision is recorded on the register record. False for unregistered devices and
  // for a duplicate session, whose verdict must not overwrite the live session's state.
  bool touchesDevice = false;
  std::int64_t consumeApprovalId = 0;
  std::string adoptSmbiosUuid;
  std::string detail;  // one factual sentence for logs and the agent (never a secret)
};

AdmissionDecision decideAdmission(const AdmissionInput& in, const AdmissionRules& rules);

}  // namespace pb
