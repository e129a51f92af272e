// SPDX-License-Identifier: Apache-2.0
// The feed over a real SQLite store: snapshot contents, event numbering, counts.
#include "kiosk/kiosk_feed.hpp"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

namespace pb {
namespace {

class KioskFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kiosk-feed-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::open(dir_ + "/inventory.db", Bytes(32, 0x11), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    RegistryRow a{"SER-A",
                  "4c4c4544-0031-3010-8052-b2c04f4a3132",
                  "Model A",
                  "Ann Able",
                  "SECRET-ann@example.com",
                  "default",
                  "",
                  0,
                  4'000'000'000,
                  1};
    RegistryRow b{"SER-B",
                  "4c4c4544-0031-3010-8052-b2c04f4a3133",
                  "Model B",
                  "Bob Baker",
                  "SECRET-bob@example.com",
                  "default",
                  "",
                  0,
                  4'000'000'000,
                  2};
    auto imp = store_->importRegistry({a, b}, "test", "test.csv");
    ASSERT_TRUE(imp.ok()) << imp.error().message;
    devA_ = imp->devices[0].id;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string session(const std::string& deviceId, const std::string& serial, DeviceState to,
                      const std::string& code) {
    SessionRecord init;
    init.deviceId = deviceId;
    init.source = "127.0.1.1";
    init.slot = "a1";
    init.identity = {{"serial", serial}, {"model", "M"}, {"token", "SECRET-TOKEN"}};
    auto s = store_->createSession(init, "test");
    EXPECT_TRUE(s.ok()) << s.error().message;
    Transition t;
    t.sessionId = s->id;
    t.deviceId = deviceId;
    t.to = to;
    t.reasonCode = code;
    t.closeSession = true;
    t.actor = "test";
    t.action = "test.step";
    EXPECT_TRUE(store_->applyTransition(t).ok());
    return s->id;
  }

  KioskFeed feed() {
    KioskHeader h{"bench-1", "default", std::string(64, 'c'), false, {}, std::nullopt};
    return KioskFeed(*store_, clock_, h, {{"a1", "Slot A1"}, {"a2", ""}}, KioskPolicy{}, 0);
  }

  FixedClock clock_{1'700'000'000};
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::string devA_;
};

TEST_F(KioskFeedTest, SnapshotHoldsDevicesSeenAndUnregisteredSessions) {
  session(devA_, "SER-A", DeviceState::Identified, "PB-0100");
  session("", "<b>stranger</b>", DeviceState::Blocked, "PB-1001");
  auto f = feed();
  auto snap = f.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  EXPECT_EQ((*snap)["type"], "snapshot");
  EXPECT_EQ((*snap)["seq"], 0);
  ASSERT_EQ((*snap)["slots"].size(), 2u);
  EXPECT_EQ((*snap)["slots"][0]["label"], "Slot A1");
  EXPECT_EQ((*snap)["slots"][1]["label"], "a2");  // label defaults to the id
  // Device B was never on the bench: no tile.
  ASSERT_EQ((*snap)["tiles"].size(), 2u);
  EXPECT_EQ((*snap)["tiles"][0]["device_id"], devA_);
  EXPECT_EQ((*snap)["tiles"][1]["serial"], "<b>stranger</b>");
  EXPECT_EQ((*snap)["header"]["counts"]["in_progress"], 1);
  EXPECT_EQ((*snap)["header"]["counts"]["blocked"], 1);
  EXPECT_EQ(snap->dump().find("SECRET"), std::string::npos);
}

// A stream of unregistered devices in one slot keeps only the newest few tiles: in the snapshot
// and live, where each one pushed out is a numbered "remove" message.
TEST_F(KioskFeedTest, UnregisteredTilesPerSlotAreBounded) {
  KioskHeader h{"bench-1", "default", std::string(64, 'c'), false, {}, std::nullopt};
  KioskFeed f(*store_, clock_, h, {{"a1", "Slot A1"}}, KioskPolicy{}, 0, 3);
  session(devA_, "SER-A", DeviceState::Identified, "PB-0100");
  ASSERT_TRUE(f.snapshot().ok());
  std::vector<std::string> keys;
  std::vector<std::string> removed;
  for (int i = 0; i < 10; ++i) {
    const std::string id =
        session("", "STRANGER-" + std::to_string(i), DeviceState::Blocked, "PB-1001");
    for (const auto& m : f.onSessionChange(id, "")) {
      if (m["type"] == "tile") keys.push_back(m["tile"]["key"]);
      if (m["type"] == "remove") removed.push_back(m["key"]);
    }
  }
  ASSERT_EQ(keys.size(), 10u);
  ASSERT_EQ(removed.size(), 7u);
  for (std::size_t i = 0; i < removed.size(); ++i) EXPECT_EQ(removed[i], keys[i]);
  // The same device again refreshes its tile instead of taking another place.
  const std::string again = session("", "STRANGER-9", DeviceState::Blocked, "PB-1001");
  for (const auto& m : f.onSessionChange(again, "")) EXPECT_NE(m["type"], "remove");
  // 11 tiles, 7 removals and a header for each of the first three blocked counts.
  EXPECT_EQ(f.seq(), 21u);

  auto snap = f.snapshot();
  ASSERT_TRUE(snap.ok()) << snap.error().message;
  std::vector<std::string> serials;
  for (const auto& t : (*snap)["tiles"]) serials.push_back(t["serial"]);
  EXPECT_EQ(serials, (std::vector<std::string>{"SER-A", "STRANGER-7", "STRANGER-8", "STRANGER-9"}));
  EXPECT_EQ((*snap)["header"]["counts"]["blocked"], 3);
}

TEST_F(KioskFeedTest, EventsAreNumberedAndCountsFollow) {
  auto f = feed();
  ASSERT_TRUE(f.snapshot().ok());
  auto sid = session(devA_, "SER-A", DeviceState::Quarantined, "PB-1021");
  auto msgs = f.onSessionChange(sid, devA_);
  ASSERT_EQ(msgs.size(), 2u);  // the tile and, since the counts changed, the header
  EXPECT_EQ(msgs[0]["type"], "tile");
  EXPECT_EQ(msgs[0]["seq"], 1);
  EXPECT_GT(msgs[0]["changed_at_ms"].get<std::int64_t>(), 0);
  EXPECT_EQ(msgs[0]["tile"]["verdict"], "needs_approval");
  EXPECT_EQ(msgs[1]["type"], "header");
  EXPECT_EQ(msgs[1]["seq"], 2);
  EXPECT_EQ(msgs[1]["header"]["counts"]["needs_approval"], 1);
  // Same verdict again: only the tile.
  auto again = f.onSessionChange(sid, devA_);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["seq"], 3);
  // A later snapshot continues the numbering.
  EXPECT_EQ((*f.snapshot())["seq"], 3);
}

TEST_F(KioskFeedTest, UnknownSessionOrDeviceGivesNoMessage) {
  auto f = feed();
  EXPECT_TRUE(f.onSessionChange("s-0000000000000000", "").empty());
  EXPECT_TRUE(f.onSessionChange("s-0000000000000000", "dev-999999").empty());
  EXPECT_EQ(f.seq(), 0u);
}

TEST_F(KioskFeedTest, OldUnregisteredSessionsAreNotShown) {
  session("", "OLD", DeviceState::Blocked, "PB-1001");
  KioskHeader h{"bench-1", "default", "", false, {}, std::nullopt};
  KioskFeed f(*store_, clock_, h, {}, KioskPolicy{}, clock_.nowUnix() + 1);
  EXPECT_TRUE((*f.snapshot())["tiles"].empty());
}

}  // namespace
}  // namespace pb
