// SPDX-License-Identifier: Apache-2.0
// The seam between the AMTHI client and whatever carries its messages: the kernel's MEI character
// device on a real device, a Unix socket to the AMT firmware simulator in provbench-sim and tests.
// One request in, one response out; the client never knows which transport it talks to, so the
// production AMTHI code runs byte for byte against the simulator.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

// Error.code values every AmtTransport uses, so callers map outcomes without knowing the backend.
// Each is a distinct, explained outcome (AmtFacts.access), never a crash.
namespace mei_error {
inline constexpr std::string_view kNoDevice = "mei.no_device";  // no /dev/meiN (or simulator)
inline constexpr std::string_view kNoAmtClient = "mei.no_amt_client";  // ENOTTY/ENODEV on connect
inline constexpr std::string_view kBusy = "mei.busy";                  // EBUSY after all retries
inline constexpr std::string_view kDisabled = "mei.disabled";          // zero-length read
inline constexpr std::string_view kTimeout = "mei.timeout";            // no response in time
inline constexpr std::string_view kPermission = "mei.permission";      // EACCES/EPERM on open
inline constexpr std::string_view kIo = "mei.io";                      // anything else
}  // namespace mei_error

// AMTHI client limits (amt.md §2.2: the firmware reports MaxMessageLength 5120 for AMTHI).
inline constexpr std::size_t kAmthiMaxMessage = 5120;

class AmtTransport {
 public:
  virtual ~AmtTransport() = default;
  AmtTransport() = default;
  AmtTransport(const AmtTransport&) = delete;
  AmtTransport& operator=(const AmtTransport&) = delete;

  // Sends one request message and returns the one response message. Connects on first use (and
  // again after a failure), so the connection outcome is reported by the first exchange. A
  // zero-length response is the error mei_error::kDisabled, never an empty success.
  virtual Result<Bytes> exchange(const Bytes& request, std::chrono::milliseconds timeout) = 0;
};

// The AMTHI ("PTHI") client GUID 12F80028-B4B7-4B2D-ACA8-46E0FF65814C in uuid_le wire order
// (amt.md §3).
inline constexpr std::uint8_t kAmthiGuid[16] = {0x28, 0x00, 0xF8, 0x12, 0xB7, 0xB4, 0x2D, 0x4B,
                                                0xAC, 0xA8, 0x46, 0xE0, 0xFF, 0x65, 0x81, 0x4C};

}  // namespace pb
