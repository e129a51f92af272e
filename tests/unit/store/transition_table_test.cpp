// SPDX-License-Identifier: Apache-2.0
// The device state machine is data (store/transition_table.hpp) and the store enforces it: every
// edge the table lists is taken, every other `from -> to` is refused with PB-9504 and writes
// nothing (no session change, no audit record).
#include "store/transition_table.hpp"

#include <set>
#include <utility>

#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "core/reasons.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace pb {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

std::vector<DeviceState> allStates() {
  std::vector<DeviceState> out;
  for (std::size_t i = 0; i < kDeviceStateCount; ++i) out.push_back(static_cast<DeviceState>(i));
  return out;
}

class TransitionTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_.file("inventory.db"), randomBytes(32), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  Transition step(const std::string& sessionId, DeviceState to) {
    Transition t;
    t.sessionId = sessionId;
    t.to = to;
    t.actor = "session:" + sessionId;
    t.action = "test." + std::string(toString(to));
    return t;
  }
  // An open session (no device) walked to `state` along allowed edges.
  std::string sessionIn(DeviceState state) {
    SessionRecord init;
    init.source = "10.0.0.1";
    auto s = store_->createSession(init, "test");
    EXPECT_TRUE(s.ok());
    if (state != DeviceState::Discovered) {
      Status st = store_->applyTransition(step(s->id, state));
      EXPECT_TRUE(st.ok()) << st.error().message;
    }
    return s->id;
  }

  test::TempDir dir_{"pb-transitions"};
  FixedClock clock_{kNow};
  std::unique_ptr<Store> store_;
};

TEST(TransitionTable, DiscoveredReachesEveryOtherStateAndNothingReturnsToIt) {
  for (DeviceState s : allStates()) {
    EXPECT_EQ(transitionAllowed(DeviceState::Discovered, s), s != DeviceState::Discovered)
        << toString(s);
    EXPECT_FALSE(transitionAllowed(s, DeviceState::Discovered)) << toString(s);
    EXPECT_FALSE(transitionAllowed(s, s)) << toString(s);  // no self loops
  }
}

TEST(TransitionTable, TerminalStatesHaveNoWayOut) {
  for (DeviceState from : {DeviceState::Ready, DeviceState::Blocked, DeviceState::Failed,
                           DeviceState::NotAttestable}) {
    for (DeviceState to : allStates()) {
      EXPECT_FALSE(transitionAllowed(from, to)) << toString(from) << " -> " << toString(to);
    }
  }
}

TEST(TransitionTable, TheHappyPathOnlyMovesForward) {
  const std::vector<DeviceState> path = {
      DeviceState::Discovered, DeviceState::Identified, DeviceState::Checked, DeviceState::Attested,
      DeviceState::Sealed,     DeviceState::HandedOff,  DeviceState::Ready};
  for (std::size_t i = 0; i < path.size(); ++i) {
    for (std::size_t j = 0; j < path.size(); ++j) {
      EXPECT_EQ(transitionAllowed(path[i], path[j]), j > i)
          << toString(path[i]) << " -> " << toString(path[j]);
    }
  }
}

TEST(TransitionTable, TheListAndTheLookupAgree) {
  std::set<std::pair<int, int>> listed;
  for (const TransitionEdge& e : allowedTransitions()) {
    EXPECT_TRUE(listed.emplace(static_cast<int>(e.from), static_cast<int>(e.to)).second)
        << "listed twice: " << toString(e.from) << " -> " << toString(e.to);
  }
  for (DeviceState from : allStates()) {
    for (DeviceState to : allStates()) {
      EXPECT_EQ(transitionAllowed(from, to),
                listed.count({static_cast<int>(from), static_cast<int>(to)}) == 1);
    }
  }
}

TEST_F(TransitionTableTest, TheStoreTakesEveryAllowedEdge) {
  for (const TransitionEdge& e : allowedTransitions()) {
    const std::string id = sessionIn(e.from);
    Status st = store_->applyTransition(step(id, e.to));
    EXPECT_TRUE(st.ok()) << toString(e.from) << " -> " << toString(e.to) << ": "
                         << st.error().message;
    EXPECT_EQ((*store_->findSession(id))->state, e.to);
  }
}

TEST_F(TransitionTableTest, TheStoreRefusesEveryIllegalEdgeAndWritesNothing) {
  int refused = 0;
  for (DeviceState from : allStates()) {
    for (DeviceState to : allStates()) {
      if (transitionAllowed(from, to)) continue;
      const std::string id = sessionIn(from);
      const std::int64_t audits = *store_->auditCount();
      Status st = store_->applyTransition(step(id, to));
      ASSERT_FALSE(st.ok()) << toString(from) << " -> " << toString(to) << " was written";
      EXPECT_EQ(st.error().code, reason::kAdminConflict);
      EXPECT_NE(st.error().message.find("cannot go from " + std::string(toString(from)) + " to " +
                                        std::string(toString(to))),
                std::string::npos)
          << st.error().message;
      auto session = store_->findSession(id);
      ASSERT_TRUE(session.ok() && session->has_value());
      EXPECT_EQ((*session)->state, from);
      EXPECT_TRUE((*session)->open);
      EXPECT_EQ(*store_->auditCount(), audits);
      ++refused;
    }
  }
  EXPECT_EQ(refused,
            static_cast<int>(kDeviceStateCount * kDeviceStateCount - allowedTransitions().size()));
}

}  // namespace
}  // namespace pb
