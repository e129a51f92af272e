// SPDX-License-Identifier: Apache-2.0
// bench.yaml and policy YAML on arbitrary bytes: parsing must never crash, hang or grow without
// bound, every failure must be a Result error, and whatever is accepted must produce a canonical
// policy JSON (valid UTF-8) and a hash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/bench_config.hpp"
#include "policy/policy.hpp"
#include "policy/signing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto config = pb::parseBenchConfig(text, "fuzz.yaml");
  if (!config.ok() && config.error().message.empty()) __builtin_trap();

  auto policy = pb::parsePolicy(text, "fuzz.yaml");
  if (policy.ok()) {
    if (pb::policyHash(*policy).size() != 64) __builtin_trap();
    // Every weakened setting was acknowledged, or the loader would have refused the file.
    for (const auto& w : pb::riskWarnings(*policy)) {
      if (w.attack.empty() || w.acknowledgement.empty()) __builtin_trap();
    }
  } else if (policy.error().message.empty()) {
    __builtin_trap();
  }
  // The signature-file decoder sees untrusted text too; without signers nothing can verify.
  if (pb::verifyPolicySignature(text, text.substr(0, 200), {}).ok()) __builtin_trap();
  return 0;
}
