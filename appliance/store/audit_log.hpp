// SPDX-License-Identifier: Apache-2.0
// Store role: the hash-chained audit log (store.hpp explains the roles; the chain is
// audit_chain.hpp). Other roles append their own records inside their transactions; this
// interface appends stand-alone records and reads and verifies the chain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace pb {

struct AuditRecord {
  std::int64_t seq = 0;
  std::int64_t time = 0;
  std::string actor;  // "uid:0", "session:s-…", "benchd"
  std::string action;
  std::string deviceId;
  std::string sessionId;
  std::string before;  // state before ("" when not a state change)
  std::string after;
  std::string reason;  // reason code or admin's free text
  std::string policyHash;
  nlohmann::json details = nlohmann::json::object();
  std::string prevHash;  // hex SHA-256 of the previous record ("" -> 64 zeros for the first)
  std::string hash;      // hex SHA-256 over prevHash and this record's canonical fields
  std::string mac;       // hex HMAC-SHA-256(audit key, hash)
};

struct AuditVerifyReport {
  bool ok = false;
  std::int64_t records = 0;      // records checked by this run
  std::int64_t firstBadSeq = 0;  // 0 when ok
  std::string problem;           // "record 17 was edited", "record 9 is missing", …
  std::string headHash;
  std::int64_t headSeq = 0;  // seq of the newest record known intact (0: none)
  bool full = true;          // false: only the records after the verified head were checked
  std::int64_t fromSeq = 1;  // the first record checked
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  virtual Status appendAudit(AuditRecord record) = 0;  // seq/time/hashes/mac/policy filled in
  virtual Result<std::vector<AuditRecord>> auditTail(int count) = 0;  // oldest first
  virtual Result<std::vector<AuditRecord>> auditForDevice(const std::string& deviceId,
                                                          int count) = 0;  // oldest first
  virtual Result<std::int64_t> auditCount() = 0;
  // The whole chain, from record 1 (`benchctl audit verify --full`).
  virtual Result<AuditVerifyReport> verifyAudit() = 0;
  // Only the records after the verified head (recordVerifiedHead), after re-checking the head's
  // own MAC and its record; a full verification when there is no head yet. A head whose MAC does
  // not verify is a failed report, never silently ignored.
  virtual Result<AuditVerifyReport> verifyAuditIncremental() = 0;
  // Remembers that records 1..seq are intact and seq's hash is `hash` (the result of a successful
  // verification). Never moves the head backwards. One small write: call it on the owner's thread.
  virtual Status recordVerifiedHead(std::int64_t seq, const std::string& hash) = 0;
  // O(1): only the newest record (hash, MAC) and its link to the one before (audit_chain.hpp
  // verifyAuditHead). ok with records = 0 for an empty log. benchd runs it at every start.
  virtual Result<AuditVerifyReport> verifyAuditHead() = 0;
};

}  // namespace pb
