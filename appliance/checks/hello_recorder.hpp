// SPDX-License-Identifier: Apache-2.0
// What benchd does with an AMT hello packet (from net/hello_listener.hpp): a device that sends
// hellos has remote configuration enabled, which the policy forbids by default. For a registered
// device (looked up by the hello's UUID) it raises a finding: one audit record
// "amt.hello_remote_configuration" (reason PB-2040, details: UUID, peer, retry count, admin-set
// flag, the active hash list) and a log warning. An unregistered UUID is logged and ignored. It
// never provisions and never answers.
//
// AMT repeats its hello for hours; the same UUID with the same hash list is recorded again only
// after `repeatAfter` (and at most `maxTracked` UUIDs are remembered, oldest forgotten first).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "amt/hello_packet.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "store/store.hpp"

namespace pb {

class HelloRecorder {
 public:
  enum class Outcome { Recorded, Repeated, Unregistered, StoreError };

  HelloRecorder(Store& store, const Clock& clock, Logger& log,
                std::chrono::seconds repeatAfter = std::chrono::hours(1),
                std::size_t maxTracked = 4096);

  Outcome onHello(const AmtHello& hello, const std::string& peer);

 private:
  struct Seen {
    std::int64_t at = 0;
    std::string digest;  // of the hash list and flags: a change is recorded at once
  };
  bool isRepeat(const std::string& uuid, const std::string& digest, std::int64_t now);

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  std::int64_t repeatAfter_;
  std::size_t maxTracked_;
  std::map<std::string, Seen> seen_;
};

}  // namespace pb
