// SPDX-License-Identifier: Apache-2.0
#include "sim/boot_events.hpp"

#include "attest/event_log.hpp"
#include "attest/tpm_types.hpp"

namespace pb {

namespace {

constexpr std::size_t kBootApplications = 4;

attest::EventLogBuilder healthyBoot(bool secureBoot) {
  return attest::EventLogBuilder::typicalBoot(secureBoot, kBootApplications);
}

// One event made by a throwaway builder, so its digests are computed the builder's way.
attest::Event singleEvent(std::uint32_t pcr, std::uint32_t type, const std::string& data,
                          const std::string& measured) {
  attest::EventLogBuilder one({attest::alg::kSha256});
  one.eventDigestOf(pcr, type, Bytes(data.begin(), data.end()),
                    Bytes(measured.begin(), measured.end()));
  return one.events().front();
}

}  // namespace

Result<SimBootEvents> simBootEvents(const FleetDevice& device) {
  const bool secureBoot = !(device.tpm && device.tpm->secureBootOff);
  attest::EventLogBuilder boot = healthyBoot(secureBoot);
  if (device.tpm && device.tpm->goldenPcrWrong) {
    // Right after the platform firmware blob, before PCR 0's separator.
    auto& events = boot.events();
    events.insert(events.begin() + 2, singleEvent(0, attest::ev::kEfiPlatformFirmwareBlob,
                                                  "option-rom", "unapproved-option-rom"));
  }
  SimBootEvents out;
  for (const auto& e : boot.extends()) out.extends.push_back(PcrExtend{e.pcr, e.digest});
  if (device.tpm && device.tpm->eventLogTampered) {
    // The log claims a boot application the TPM never measured: replay cannot match the quote.
    boot.events().push_back(
        singleEvent(4, attest::ev::kEfiBootServicesApplication, "injected", "injected-boot-image"));
  }
  out.eventLog = boot.build();
  return out;
}

std::map<std::uint32_t, std::string> simGoldenPcrs() {
  std::map<std::uint32_t, std::string> out;
  for (const auto& [pcr, value] : healthyBoot(true).expectedPcrs(attest::alg::kSha256)) {
    out[pcr] = toHex(value);
  }
  return out;
}

}  // namespace pb
