// SPDX-License-Identifier: Apache-2.0
// Per-source bookkeeping for hellos of devices that are not in the asset register: a token bucket
// per source address (each such hello costs a session row, audit records and a kiosk tile, so an
// address may not send them faster than the bench can afford) and a tally of the refusals, so a
// flood writes one audit record per address and interval instead of one per hello.
//
// Both tables are bounded (maxSources addresses): entries that carry no information any more
// (a full bucket, a tally already reported) are dropped first; when the table is full of live
// entries a new address is refused (fail closed) rather than given a fresh bucket.
//
// @par Thread Safety
// Not thread safe; used on the session executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace pb {

using SteadyTime = std::chrono::steady_clock::time_point;

class SourceRateLimiter {
 public:
  // `perMinute` tokens are added per minute, up to `burst`; a new address starts with `burst`.
  SourceRateLimiter(double perMinute, double burst, std::size_t maxSources = 4096);

  // true = allowed (one token taken); false = over the rate.
  bool allow(const std::string& source, SteadyTime now);
  [[nodiscard]] std::size_t trackedSources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    SteadyTime last;
  };
  void refill(Bucket& b, SteadyTime now) const;
  bool makeRoom(SteadyTime now);

  double perSecond_;
  double burst_;
  std::size_t maxSources_;
  std::map<std::string, Bucket> buckets_;
};

class RefusalTally {
 public:
  // The tally of every source that found the table full.
  static constexpr const char* kOtherSources = "*";

  explicit RefusalTally(std::chrono::seconds interval, std::size_t maxSources = 4096);

  // Counts one refusal. The first from a source is reported at once (count 1). Returns the count to
  // write in an audit record now (this refusal and every one since the source's last record), at
  // most once per source per interval; nullopt = only counted (it appears in the source's next
  // record).
  std::optional<std::uint64_t> note(const std::string& source, SteadyTime now);
  // Refusals counted but not yet reported, by source (for a final record at shutdown); clears.
  std::map<std::string, std::uint64_t> drain();

 private:
  struct Entry {
    SteadyTime lastReport;
    std::uint64_t pending = 0;
  };
  std::chrono::seconds interval_;
  std::size_t maxSources_;
  std::map<std::string, Entry> entries_;
};

}  // namespace pb
