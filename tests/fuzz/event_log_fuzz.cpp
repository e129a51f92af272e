// SPDX-License-Identifier: Apache-2.0
// Fuzzes the event log parser (crypto-agile and SHA-1 layouts; seeds of both and of the shim #157
// and zero-length SecureBoot quirks in corpus/event_log), replay, Secure Boot extraction (with
// every PCR treated as verified, the most permissive case) and EFI_SIGNATURE_LIST parsing of every
// event's data.
#include <cstddef>
#include <cstdint>

#include "attest/event_log.hpp"
#include "attest/tpm_types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pb::Bytes in(data, data + size);
  (void)pb::attest::parseSignatureLists(in);
  auto log = pb::attest::parseEventLog(in);
  if (!log) return 0;
  std::vector<std::uint32_t> all;
  for (std::uint32_t i = 0; i <= pb::attest::kMaxPcrIndex; ++i) all.push_back(i);
  for (const auto& [alg, dsize] : log->algorithms) {
    auto replayed = pb::attest::replayLog(log.value(), alg);
    (void)pb::attest::checkReplay(log.value(), alg, replayed);
    (void)pb::attest::extractSecureBoot(log.value(), alg, all);
  }
  return 0;
}
