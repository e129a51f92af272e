// SPDX-License-Identifier: Apache-2.0
// A simulated fleet: the devices provbench-sim puts on the bench, each with the identity facts
// its fixture /sys tree will carry and, optionally, the verdict the run is expected to give.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amt/amt_sim_config.hpp"
#include "core/result.hpp"
#include "facts/identity_facts.hpp"

namespace pb {

// The firmware facts the device's fixture tree carries (sysfs, efivarfs).
struct FleetFirmware {
  std::string biosVendor = "Acme Firmware";
  std::string biosVersion = "1.0.0";
  std::string meFirmwareVersion;  // "" = from the AMT simulator's AMT version and build number
  bool secureBoot = true;
  bool setupMode = false;
  bool efi = true;          // false = legacy (CSM) boot: no /sys/firmware/efi
  std::string tpm = "2.0";  // "2.0" | "1.2" | "none"
};

// The device's simulated TPM (`tpm:` in the fleet YAML; absent = no TPM stage for this device).
// Every field's default is the healthy device. Switches, as written in YAML:
//   ek: ecc | rsa                     EK key type (default ecc)
//   ek_cert: trusted | none | untrusted   certificate in NV from the sim's manufacturer CA, no
//                                     certificate, or one from a CA the appliance does not trust
//   not_ready: true                   swtpm started without TPM2_Startup: present, not ready
//   secure_boot: off                  the boot events say Secure Boot is disabled
//   golden_pcr: wrong                 boot events that differ from the model's golden PCRs
//   event_log: tampered               the log given to the agent differs from what was extended
//   ek_swapped: true                  the asset register holds another EK hash for the device
// Agent-side misbehaviours, played by the simulator's tampering responder (never by switches
// inside bench-agent):
//   replay_quote: true                answer with a quote made earlier for another nonce
//   wrong_nonce: true                 quote over a nonce other than the appliance's
//   ak: unrestricted                  an AK without the restricted attribute
//   narrow_pcr_selection: true        quote fewer PCRs than asked for
struct FleetTpm {
  std::string ek = "ecc";
  std::string ekCert = "trusted";
  bool notReady = false;
  bool secureBootOff = false;
  bool goldenPcrWrong = false;
  bool eventLogTampered = false;
  bool ekSwapped = false;
  bool replayQuote = false;
  bool wrongNonce = false;
  bool akUnrestricted = false;
  bool narrowPcrSelection = false;
  // Whether any agent-side misbehaviour is asked for (the device then runs the tampering
  // responder instead of the plain one).
  [[nodiscard]] bool tamperedAgent() const {
    return replayQuote || wrongNonce || akUnrestricted || narrowPcrSelection;
  }
};

struct FleetDevice {
  std::string name;
  std::string source;  // local address the agent connects from (identifies the slot)
  IdentityFacts identity;
  // Fault switch ("" = a well-behaved device running the real bench-agent). See kFleetFaults.
  std::string fault;
  std::optional<FleetTpm> tpm;
  std::string expectState;  // "" = no expectation
  std::string expectCode;
  // The device's AMT firmware simulator (`amt:` block over the factory default). The UUID
  // defaults to the SMBIOS UUID, as on real hardware.
  AmtSimConfig amt = defaultAmtSimConfig();
  FleetFirmware firmware;
  int line = 0;
};

// The misbehaviours provbench-sim can put on the bench. `wrong_pin` runs the real bench-agent with
// a pin that does not match the appliance; the others are protocol faults played by a raw client.
inline constexpr std::string_view kFleetFaults[] = {"wrong_pin",           "silent",
                                                    "slow_hello",          "malformed_hello",
                                                    "unsupported_version", "oversize_frame"};

struct Fleet {
  std::vector<FleetDevice> devices;
};

// Strict: unknown keys, wrong types and duplicate names are errors with file:line:column.
Result<Fleet> parseFleet(std::string_view text, const std::string& fileName);
Result<Fleet> loadFleet(const std::string& path);

}  // namespace pb
