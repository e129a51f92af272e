// SPDX-License-Identifier: Apache-2.0
#include "session/source_limits.hpp"

#include <algorithm>

namespace pb {

SourceRateLimiter::SourceRateLimiter(double perMinute, double burst, std::size_t maxSources)
    : perSecond_(perMinute / 60.0), burst_(std::max(1.0, burst)), maxSources_(maxSources) {}

void SourceRateLimiter::refill(Bucket& b, SteadyTime now) const {
  if (now <= b.last) return;
  const double seconds = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(burst_, b.tokens + seconds * perSecond_);
  b.last = now;
}

// Drops the buckets that have refilled completely: they say nothing a new bucket would not.
bool SourceRateLimiter::makeRoom(SteadyTime now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  return buckets_.size() < maxSources_;
}

bool SourceRateLimiter::allow(const std::string& source, SteadyTime now) {
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= maxSources_ && !makeRoom(now)) return false;  // fail closed
    it = buckets_.emplace(source, Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  refill(b, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

RefusalTally::RefusalTally(std::chrono::seconds interval, std::size_t maxSources)
    : interval_(interval), maxSources_(maxSources) {}

std::optional<std::uint64_t> RefusalTally::note(const std::string& source, SteadyTime now) {
  static const std::string kOther(kOtherSources);
  const std::string* key = &source;
  auto it = entries_.find(*key);
  if (it == entries_.end()) {
    if (entries_.size() >= maxSources_) {
      // Forget the sources with nothing left to report whose interval is over.
      for (auto e = entries_.begin(); e != entries_.end();) {
        e = e->second.pending == 0 && now - e->second.lastReport >= interval_ ? entries_.erase(e)
                                                                              : std::next(e);
      }
    }
    if (entries_.size() >= maxSources_) {
      // Still full (refusals from very many addresses): counted together under "*".
      key = &kOther;
      it = entries_.find(*key);
    }
    if (it == entries_.end()) {
      entries_.emplace(*key, Entry{now, 0});
      return 1;
    }
  }
  Entry& e = it->second;
  ++e.pending;
  if (now - e.lastReport < interval_) return std::nullopt;
  const std::uint64_t count = e.pending;
  e.pending = 0;
  e.lastReport = now;
  return count;
}

std::map<std::string, std::uint64_t> RefusalTally::drain() {
  std::map<std::string, std::uint64_t> out;
  for (auto& [source, e] : entries_) {
    if (e.pending > 0) out[source] = e.pending;
    e.pending = 0;
  }
  return out;
}

}  // namespace pb
