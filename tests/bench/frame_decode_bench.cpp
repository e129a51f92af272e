// SPDX-License-Identifier: Apache-2.0
// Decoding cost of agent frames: a realistic Hello (what every session starts with) and a 64 KiB
// frame (the size class of attestation payloads), through the FrameDecoder and message parser.
#include <string>

#include <benchmark/benchmark.h>

#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace {

std::string helloFrame() {
  pb::Hello h;
  h.versions = {1};
  h.agent = "bench-agent/0.1.0";
  h.identity = pb::IdentityFacts{"CZC1234XYZ",
                                 "4c4c4544-0042-3510-8052-b4c04f4d4e31",
                                 "HP EliteDesk 800 G6 Desktop Mini PC",
                                 "HP",
                                 "PXYZC0123456789",
                                 {"a0:36:9f:12:34:56", "a0:36:9f:12:34:57", "3c:52:82:aa:bb:cc"}};
  h.resumeSession = "3f9a1c2e5b7d4e8fa0b1c2d3e4f5a6b7";
  return pb::encodeFrame(h.toJson());
}

std::string bigFrame() {
  // ~64 KiB: an event-log-like array of base64-ish strings.
  nlohmann::json j{{"type", "attest.evidence"}, {"entries", nlohmann::json::array()}};
  std::string entry(120, 'A');
  while (j.dump().size() < 64 * 1024 - 200) {
    j["entries"].push_back({{"pcr", 7}, {"digest", entry}});
  }
  return pb::encodeFrame(j);
}

void BM_DecodeHello(benchmark::State& state) {
  const std::string wire = helloFrame();
  for (auto _ : state) {
    pb::FrameDecoder d;
    (void)d.feed(wire);
    auto frame = d.next();
    auto hello = pb::Hello::fromJson(**frame);
    benchmark::DoNotOptimize(hello);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeHello);

void BM_Decode64KiB(benchmark::State& state) {
  const std::string wire = bigFrame();
  for (auto _ : state) {
    pb::FrameDecoder d;
    (void)d.feed(wire);
    auto frame = d.next();
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_Decode64KiB);

}  // namespace
