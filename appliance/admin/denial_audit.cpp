// SPDX-License-Identifier: Apache-2.0
#include "admin/denial_audit.hpp"

#include <algorithm>

namespace pb {

std::optional<DenialSummary> DenialAggregator::add(uid_t uid, gid_t gid, pid_t pid, Role role,
                                                   std::string_view cmd, Clock::time_point now,
                                                   std::int64_t nowUnix, bool* opened) {
  std::optional<DenialSummary> evicted;
  auto it = open_.find(uid);
  if (opened != nullptr) *opened = it == open_.end();
  if (it == open_.end()) {
    if (open_.size() >= maxUids_) {
      auto oldest = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
        return a.second.start < b.second.start;
      });
      evicted = std::move(oldest->second.summary);
      open_.erase(oldest);
    }
    Window w;
    w.start = now;
    w.summary.uid = uid;
    w.summary.firstUnix = nowUnix;
    it = open_.emplace(uid, std::move(w)).first;
  }
  DenialSummary& s = it->second.summary;
  s.gid = gid;
  s.pid = pid;
  s.role = role;
  s.lastUnix = nowUnix;
  ++s.count;
  ++s.commands[std::string(cmd)];
  return evicted;
}

std::vector<DenialSummary> DenialAggregator::takeExpired(Clock::time_point now) {
  std::vector<DenialSummary> out;
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second.start + window_ <= now) {
      out.push_back(std::move(it->second.summary));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<DenialSummary> DenialAggregator::takeAll() {
  std::vector<DenialSummary> out;
  out.reserve(open_.size());
  for (auto& [uid, w] : open_) out.push_back(std::move(w.summary));
  open_.clear();
  return out;
}

std::optional<DenialAggregator::Clock::time_point> DenialAggregator::nextDeadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [uid, w] : open_) {
    auto end = w.start + window_;
    if (!next || end < *next) next = end;
  }
  return next;
}

}  // namespace pb
