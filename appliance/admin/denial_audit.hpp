// SPDX-License-Identifier: Apache-2.0
// Refused admin requests, counted per uid and time window so that a flood of refusals costs one
// audit record per uid per window instead of one per request (20,000 refused requests once wrote
// 20,000 audit records in seconds).
//
// Memory is bounded: at most maxUids windows are open at once; a new uid beyond that closes the
// oldest window early (its record is written now, with the count so far), so nothing is lost and
// nothing grows without bound.
//
// @par Thread Safety
// Not thread-safe; AdminServer uses it on its executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "admin/admin_protocol.hpp"

namespace pb {

// One uid's refusals in one window; becomes one "admin.denied" audit record.
struct DenialSummary {
  uid_t uid = 0;
  gid_t gid = 0;  // as the kernel reported it on the latest refused connection
  pid_t pid = 0;  // the latest refused process
  Role role = Role::None;
  std::int64_t count = 0;
  // Refused commands by name; "(connect)" for a connection refused before any request. Names come
  // from the command table (an unknown command is a bad request, not a denial), so the map is
  // small.
  std::map<std::string, std::int64_t> commands;
  std::int64_t firstUnix = 0;  // wall-clock time of the first and the latest refusal
  std::int64_t lastUnix = 0;
};

// The command name recorded for a peer refused when it connected.
inline constexpr std::string_view kDeniedAtConnect = "(connect)";

class DenialAggregator {
 public:
  using Clock = std::chrono::steady_clock;

  DenialAggregator(std::chrono::milliseconds window, std::size_t maxUids)
      : window_(window), maxUids_(maxUids == 0 ? 1 : maxUids) {}

  // Counts one refusal. Returns a summary that must be audited now when a window had to be closed
  // early to stay within maxUids; `opened` is set when this refusal opened a new window (the
  // caller logs only those).
  std::optional<DenialSummary> add(uid_t uid, gid_t gid, pid_t pid, Role role, std::string_view cmd,
                                   Clock::time_point now, std::int64_t nowUnix,
                                   bool* opened = nullptr);
  // Removes and returns every window that ended at or before `now`.
  std::vector<DenialSummary> takeExpired(Clock::time_point now);
  // Removes and returns every open window (shutdown).
  std::vector<DenialSummary> takeAll();
  // When the earliest open window ends; nullopt when none is open.
  [[nodiscard]] std::optional<Clock::time_point> nextDeadline() const;
  [[nodiscard]] std::size_t openWindows() const { return open_.size(); }

 private:
  struct Window {
    Clock::time_point start;
    DenialSummary summary;
  };
  std::chrono::milliseconds window_;
  std::size_t maxUids_;
  std::map<uid_t, Window> open_;
};

}  // namespace pb
