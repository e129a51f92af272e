// SPDX-License-Identifier: Apache-2.0
// Fuzzes the agent's handling of appliance attestation frames (attest_start, attest_challenge,
// quote_request): arbitrary JSON through AttestResponder::respond with no TPM behind it (the TCTI
// names a device that does not exist, so attest_start reports "absent" without I/O to a TPM).
// Invariants (abort on violation): no exception escapes; every answer is either an error with a
// PB-xxxx code or an attest_keys frame saying the TPM is absent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/attest_responder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json frame = nlohmann::json::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (frame.is_discarded()) return 0;
  pb::AttestResponderOptions o;
  o.tcti = "device:/nonexistent/pb-fuzz-tpm";
  o.eventLogPath = "/nonexistent/pb-fuzz-log";
  pb::AttestResponder r(o);
  try {
    auto reply = r.respond(frame);
    if (reply.ok()) {
      if ((*reply)["type"] != "attest_keys" || (*reply)["tpm"]["readiness"] != "absent" ||
          reply->contains("ek_pub")) {
        std::abort();
      }
    } else if (reply.error().code.rfind("PB-", 0) != 0) {
      std::abort();
    }
  } catch (...) {
    std::abort();
  }
  return 0;
}
