// SPDX-License-Identifier: Apache-2.0
// The per-source token bucket for unregistered hellos and the refusal tally, on explicit time.
#include "session/source_limits.hpp"

#include <gtest/gtest.h>

namespace pb {
namespace {

using namespace std::chrono_literals;

TEST(SourceRateLimiter, BurstThenRefillAtTheRate) {
  SourceRateLimiter limiter(/*perMinute=*/60, /*burst=*/3);  // one token per second
  const SteadyTime t0{};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1", t0)) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0));
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0 + 500ms));
  EXPECT_TRUE(limiter.allow("10.0.0.1", t0 + 1s));
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0 + 1500ms));
  // Other addresses have their own bucket.
  EXPECT_TRUE(limiter.allow("10.0.0.2", t0 + 1500ms));
  // A long pause refills to the burst, never beyond it.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1", t0 + 1h)) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1", t0 + 1h));
}

TEST(SourceRateLimiter, TableIsBoundedAndFailsClosedWhenFullOfLiveBuckets) {
  SourceRateLimiter limiter(60, 1, /*maxSources=*/2);
  const SteadyTime t0{};
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("b", t0));
  // Both buckets are empty (live): a third address is refused, not given a fresh bucket.
  EXPECT_FALSE(limiter.allow("c", t0));
  EXPECT_EQ(limiter.trackedSources(), 2u);
  // Once they have refilled they carry no information and make room.
  EXPECT_TRUE(limiter.allow("c", t0 + 1s));
  EXPECT_LE(limiter.trackedSources(), 2u);
  EXPECT_FALSE(limiter.allow("c", t0 + 1s));
}

TEST(RefusalTally, OneReportPerSourceAndIntervalWithTheCount) {
  RefusalTally tally(60s);
  const SteadyTime t0{};
  EXPECT_EQ(tally.note("10.0.0.1", t0), std::optional<std::uint64_t>(1));
  for (int i = 0; i < 99; ++i) EXPECT_EQ(tally.note("10.0.0.1", t0 + 1s), std::nullopt);
  EXPECT_EQ(tally.note("10.0.0.2", t0 + 1s), std::optional<std::uint64_t>(1));
  // The next record carries every refusal since the last one, this one included.
  EXPECT_EQ(tally.note("10.0.0.1", t0 + 60s), std::optional<std::uint64_t>(100));
  EXPECT_EQ(tally.note("10.0.0.1", t0 + 61s), std::nullopt);
  auto rest = tally.drain();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest["10.0.0.1"], 1u);
  EXPECT_TRUE(tally.drain().empty());
}

TEST(RefusalTally, FullTableCountsNewSourcesTogether) {
  RefusalTally tally(60s, /*maxSources=*/2);
  const SteadyTime t0{};
  EXPECT_TRUE(tally.note("a", t0).has_value());
  EXPECT_TRUE(tally.note("b", t0).has_value());
  // Full: the third source goes to "*", reported once, then only counted.
  EXPECT_EQ(tally.note("c", t0), std::optional<std::uint64_t>(1));
  EXPECT_EQ(tally.note("d", t0), std::nullopt);
  EXPECT_EQ(tally.note("e", t0), std::nullopt);
  auto rest = tally.drain();
  EXPECT_EQ(rest[RefusalTally::kOtherSources], 2u);
}

}  // namespace
}  // namespace pb
