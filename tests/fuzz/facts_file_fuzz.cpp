// SPDX-License-Identifier: Apache-2.0
// Facts files (`benchctl check --facts`) and facts frames on arbitrary bytes: parsing must never
// crash, hang or grow without bound; every failure is a Result error with a message; whatever is
// accepted re-encodes to JSON that parses back to the same facts, and evaluates without trouble.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "policy/evaluate.hpp"
#include "protocol/device_facts_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto facts = pb::parseFactsText(text);
  if (!facts.ok()) {
    if (facts.error().message.empty()) __builtin_trap();
    return 0;
  }
  const nlohmann::json j = pb::toJson(*facts);
  auto again = pb::deviceFactsFromJson(j, pb::FactsMode::File);
  if (!again.ok() || pb::toJson(*again) != j) __builtin_trap();
  static const pb::FixedClock kClock(1'800'000'000);
  static const pb::Policy kPolicy = pb::defaultPolicy();
  auto results = pb::evaluate(kPolicy, *facts, kClock);
  if (results.size() != pb::allCheckIds().size()) __builtin_trap();
  return 0;
}
