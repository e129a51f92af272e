// SPDX-License-Identifier: Apache-2.0
// Time comes from an injected Clock so tests can move it (enrollment windows, approval expiry,
// nonce lifetime) without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pb {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (UTC).
  [[nodiscard]] virtual std::int64_t nowUnix() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t nowUnix() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t now) : now_(now) {}
  [[nodiscard]] std::int64_t nowUnix() const override { return now_; }
  void set(std::int64_t now) { now_ = now; }
  void advance(std::int64_t seconds) { now_ += seconds; }

 private:
  std::int64_t now_;
};

// RFC 3339 / ISO 8601 in UTC ("2026-11-22T12:00:00Z").
std::string formatUtc(std::int64_t unixSeconds);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" and "YYYY-MM-DD HH:MM:SS" (UTC). False on anything
// else.
bool parseUtc(const std::string& text, std::int64_t& unixSeconds);

}  // namespace pb
