// SPDX-License-Identifier: Apache-2.0
// The audit log's hash chain, as pure functions so it can be tested without SQLite.
//
//   hash_n = SHA-256( prevHash_n ‖ canonical(record_n) )      prevHash_1 = 64 × '0'
//   mac_n  = HMAC-SHA-256( auditKey, hash_n )                 prevHash_n = hash_{n-1}
//
// Both hashes are the lower-case hex strings (that is what is stored and what is chained). The
// canonical form length-prefixes every field, so no two different records serialise alike, and it
// includes seq, so a record cannot be moved to another position without changing its hash.
//
// What the chain detects: an edited record (hash mismatch), a deleted record (seq gap), records
// swapped or re-linked (prevHash mismatch), and a record written without the key — forged,
// inserted, or a whole chain recomputed by someone who can write the database (MAC mismatch).
// What it cannot detect on its own: the newest records being cut off (tail truncation). The rest
// still verifies; only a head hash kept elsewhere (a report, a log shipped off the box) shows it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "store/store.hpp"

namespace pb {

inline constexpr const char* kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The one serialisation of `details` used for hashing and for storage: compact, keys sorted,
// invalid UTF-8 replaced (device-supplied strings must never make serialisation throw).
std::string canonicalAuditDetails(const nlohmann::json& details);

// The bytes hashed after prevHash: every field except prevHash, hash and mac.
std::string canonicalAuditFields(const AuditRecord& r);
// Hex SHA-256 over r.prevHash ("" counts as the genesis hash) and canonicalAuditFields(r).
std::string computeAuditHash(const AuditRecord& r);
// Hex HMAC-SHA-256(key, hash); an error when the MAC cannot be computed (never an empty MAC).
Result<std::string> computeAuditMac(std::span<const std::uint8_t> key, const std::string& hash);

// Fills prevHash (from `previous`, nullptr for the first record), hash and mac. seq and the
// content fields must be set already. An error means the record must not be written.
[[nodiscard]] Status sealAuditRecord(AuditRecord& r, const AuditRecord* previous,
                                     std::span<const std::uint8_t> key);

// The O(1) check benchd makes at start: the newest record `last` is intact (its hash matches its
// contents, its MAC matches the key) and links to `previous` (its seq is one more and its
// prevHash is previous's hash; previous is nullptr only when last is record 1). It does not judge
// anything older: that is the full verification's job. `records` is 1 when ok.
AuditVerifyReport verifyAuditHead(const AuditRecord* previous, const AuditRecord& last,
                                  std::span<const std::uint8_t> key);

// Checks records one at a time, in seq order, so a long log need not be held in memory. Stops at
// the first bad record; later records are not judged (they may be fine, but the chain is broken).
class AuditChainVerifier {
 public:
  // Keeps a view of `key`: the key must outlive the verifier.
  explicit AuditChainVerifier(std::span<const std::uint8_t> key) : key_(key) {}
  // Resumes after a record known to be intact: the next record must be `nextSeq` and link to
  // `prevHash` (an incremental verification starting after the verified head).
  AuditChainVerifier(std::span<const std::uint8_t> key, std::int64_t nextSeq, std::string prevHash)
      : key_(key), expectedSeq_(nextSeq), prevHash_(std::move(prevHash)) {
    report_.headSeq = nextSeq - 1;
    if (nextSeq > 1) report_.headHash = prevHash_;
  }

  // Returns false once the chain is broken (this record or an earlier one).
  bool add(const AuditRecord& r);
  // ok=true when every record added so far verified. `records` counts the records checked.
  [[nodiscard]] AuditVerifyReport report() const;

 private:
  void fail(std::int64_t seq, std::string problem);

  std::span<const std::uint8_t> key_;
  AuditVerifyReport report_{true, 0, 0, "", ""};
  std::int64_t expectedSeq_ = 1;
  std::string prevHash_ = kAuditGenesisHash;
};

// Hex HMAC-SHA-256(key, "pb-audit-verified-v1" ‖ seq ‖ hash ‖ verifiedAt): the MAC of the
// verified-head marker. Domain-separated from record MACs (those are over a bare 64-hex hash), so
// a record's MAC can never pass for a marker's.
Result<std::string> computeVerifiedHeadMac(std::span<const std::uint8_t> key, std::int64_t seq,
                                           const std::string& hash, std::int64_t verifiedAt);

AuditVerifyReport verifyAuditChain(const std::vector<AuditRecord>& records,
                                   std::span<const std::uint8_t> key);

}  // namespace pb
