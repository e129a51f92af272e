// SPDX-License-Identifier: Apache-2.0
// Store role: admins' approvals (store.hpp explains the roles). An approval is consumed inside
// the session step that uses it (SessionLedger::applyTransition), not through this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace pb {

// An admin's approval, bound to one device record and to the identity observed when it was given.
struct Approval {
  std::int64_t id = 0;
  std::string deviceId;
  std::string serial;       // identity the approval is bound to
  std::string smbiosUuid;   // the UUID observed in the device's latest session (may differ from the
                            // register when approving an identity mismatch)
  std::string answersCode;  // the reason code it answers (PB-1003, PB-1020, PB-1021)
  std::string approvedBy;
  std::string reason;
  std::int64_t createdAt = 0;
  std::int64_t expiresAt = 0;
  std::int64_t consumedAt = 0;  // 0: not yet used
};

class ApprovalBook {
 public:
  virtual ~ApprovalBook() = default;

  // Binds to the device's serial and the UUID seen in its latest session (the register's UUID if
  // it was never seen); answersCode is the device's current reason code, or, for a device whose
  // record is held by its bound EK, the code its latest session was quarantined or blocked with
  // (re-enrollment, identity mismatch: the question was asked on the session). Audited.
  virtual Result<Approval> addApproval(const std::string& deviceId, const std::string& actor,
                                       const std::string& reason, std::int64_t ttlSeconds) = 0;
  // The newest approval that is neither expired nor consumed.
  virtual Result<std::optional<Approval>> activeApproval(const std::string& deviceId) = 0;
};

}  // namespace pb
