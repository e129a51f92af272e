// SPDX-License-Identifier: Apache-2.0
// The AMT firmware simulator: answers AMTHI requests byte for byte from an AmtSimConfig, validating
// each request as strictly as the client validates responses (amt.md §17.2), and plays the fault
// switches. Pure: no I/O, so tests drive it directly; AmtSimServer puts it behind a Unix socket.
#pragma once

#include <cstdint>

#include "amt/amt_sim_config.hpp"
#include "amt/hello_packet.hpp"
#include "core/bytes.hpp"

namespace pb {

class AmtSimulator {
 public:
  explicit AmtSimulator(AmtSimConfig config);

  // The connect ioctl's outcome: 0, EBUSY (busy_connects) or ENOTTY (no_client).
  std::uint32_t connect();
  // One request message in, one response message out (empty = the zero-length read of a
  // disabled AMT).
  Bytes handle(const Bytes& request);
  // The hello this device would send now (remote configuration on): active hashes only, as AMT
  // does; RetryCount counts the hellos sent so far (0-14).
  AmtHello hello();

  [[nodiscard]] const AmtSimConfig& config() const { return config_; }
  [[nodiscard]] std::uint64_t requestsHandled() const { return requests_; }

 private:
  Bytes answer(std::uint32_t command, const Bytes& payload);

  AmtSimConfig config_;
  std::uint32_t busyLeft_;
  std::uint32_t hellosSent_ = 0;
  std::uint64_t requests_ = 0;
};

}  // namespace pb
