// SPDX-License-Identifier: Apache-2.0
#include "sim/fault_player.hpp"

#include "sim/raw_client.hpp"

namespace pb {

bool isProtocolFault(const std::string& fault) {
  return !fault.empty() && fault != "wrong_pin";
}

namespace {

FaultOutcome expectErrorFrame(RawClient& c) {
  auto frame = c.readFrame();
  if (frame && frame->value("type", "") == "error") {
    return {"rejected", frame->value("code", ""), frame->value("message", "")};
  }
  return {"not_rejected", "", "the appliance did not answer with an error frame"};
}

}  // namespace

FaultOutcome playFault(const FleetDevice& d, const std::string& host, std::uint16_t port,
                       const std::string& pinFile, int timeoutMs) {
  RawClient c(host, port, pinFile, timeoutMs, d.source);
  if (!c.connected()) return {"unreachable", "", "could not connect to the appliance"};
  // The unsupported_version device speaks only a protocol version from the future.
  const nlohmann::json hello = helloJson(d.identity.serial, d.identity.smbiosUuid,
                                         d.fault == "unsupported_version" ? 99 : 1);
  if (d.fault == "silent" || d.fault == "slow_hello") {
    if (d.fault == "slow_hello") c.writeRaw(frameBytes(hello.dump()).substr(0, 7));
    if (c.closedByPeer()) return {"dropped", "", "the appliance closed the connection"};
    return {"not_dropped", "", "the appliance kept a stalled connection open"};
  }
  if (d.fault == "malformed_hello") {
    c.writeRaw(frameBytes(R"({"type":"hello","versions":[1],)"));
    return expectErrorFrame(c);
  }
  if (d.fault == "unsupported_version") {
    c.writeFrame(hello);
    return expectErrorFrame(c);
  }
  if (d.fault == "oversize_frame") {
    c.writeRaw(std::string("\x7f\xff\xff\xff", 4));  // announces ~2 GiB
    return expectErrorFrame(c);
  }
  return {"not_rejected", "", "unknown fault " + d.fault};
}

}  // namespace pb
