// SPDX-License-Identifier: Apache-2.0
// The two halves of a register import (store/registry_import_plan.hpp) over a real SQLite store:
// a bad row at the end leaves nothing applied; a change between plan and apply stops the slice.
#include "store/registry_import_plan.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/reasons.hpp"
#include "store/store.hpp"

namespace pb {
namespace {

RegistryRow makeRow(int i, const std::string& ek = "") {
  char uuid[40];
  std::snprintf(uuid, sizeof uuid, "4c4c4544-0031-3010-8052-%012d", 100000 + i);
  RegistryRow r;
  r.serial = "SER-" + std::to_string(i);
  r.smbiosUuid = uuid;
  r.model = "Model";
  r.owner = "Alice";
  r.ownerEmail = "alice@example.org";
  r.tenant = "lab";
  r.ekSha256 = ek;
  r.windowFrom = 1'700'000'000;
  r.windowUntil = 1'900'000'000;
  r.line = i + 1;
  return r;
}

class RegistryImportPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/import-plan-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::open(dir_ + "/inventory.db", Bytes(32, 0x11), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  FixedClock clock_{1'800'000'000};
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(RegistryImportPlanTest, ABadRowAtTheEndLeavesNothingPlannedOrApplied) {
  std::vector<RegistryRow> rows;
  for (int i = 1; i <= 50; ++i) rows.push_back(makeRow(i));
  rows.back().ownerEmail = "not-an-address";
  auto plan = planRegistryImport(*store_, rows);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->clean());
  ASSERT_EQ(plan->badRows.size(), 1u);
  EXPECT_EQ(plan->badRows[0].line, 51);
  EXPECT_TRUE(plan->rows.empty());
  auto applied = store_->applyImportChunk(*plan, 0, 0, "test", "f.csv");
  EXPECT_FALSE(applied.ok());
  auto all = store_->listDevices(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(RegistryImportPlanTest, SlicesApplyTheWholePlan) {
  std::vector<RegistryRow> rows;
  for (int i = 1; i <= 10; ++i) rows.push_back(makeRow(i));
  auto plan = planRegistryImport(*store_, rows);
  ASSERT_TRUE(plan.ok() && plan->clean());
  for (std::size_t b = 0; b < 10; b += 3) {
    auto r = store_->applyImportChunk(*plan, b, std::min<std::size_t>(10, b + 3), "t", "f.csv");
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto all = store_->listDevices(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 10u);
  // The same file again: every row is unchanged.
  auto again = planRegistryImport(*store_, rows);
  ASSERT_TRUE(again.ok() && again->clean());
  auto r = store_->applyImportChunk(*again, 0, 10, "t", "f.csv");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->unchanged, 10);
}

TEST_F(RegistryImportPlanTest, ADeviceChangedAfterThePlanStopsItsSlice) {
  ASSERT_TRUE(store_->importRegistry({makeRow(1)}, "t", "a.csv").ok());
  RegistryRow changed = makeRow(1);
  changed.model = "Planned";
  auto plan = planRegistryImport(*store_, {changed});
  ASSERT_TRUE(plan.ok() && plan->clean());
  // Someone else rewrites the device between the plan and the write.
  RegistryRow other = makeRow(1);
  other.owner = "Bob";
  ASSERT_TRUE(store_->importRegistry({other}, "t", "b.csv").ok());
  auto r = store_->applyImportChunk(*plan, 0, 1, "t", "a2.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminConflict);
  EXPECT_NE(r.error().message.find("changed after the file was checked"), std::string::npos);
  auto d = store_->findDeviceBySerial("SER-1");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->registry.model, "Model");
  EXPECT_EQ((*d)->registry.owner, "Bob");
}

TEST_F(RegistryImportPlanTest, ASerialRegisteredAfterThePlanStopsItsSlice) {
  auto plan = planRegistryImport(*store_, {makeRow(1), makeRow(2)});
  ASSERT_TRUE(plan.ok() && plan->clean());
  ASSERT_TRUE(store_->importRegistry({makeRow(2)}, "t", "b.csv").ok());
  auto r = store_->applyImportChunk(*plan, 0, 2, "t", "a.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, reason::kAdminConflict);
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  // Nothing of the slice was written: SER-1 (earlier in the slice) is not registered either.
  auto d = store_->findDeviceBySerial("SER-1");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
}

TEST_F(RegistryImportPlanTest, AnEkRegisteredElsewhereAfterThePlanStopsItsSlice) {
  const std::string ek(64, 'a');
  auto plan = planRegistryImport(*store_, {makeRow(1, ek)});
  ASSERT_TRUE(plan.ok() && plan->clean());
  ASSERT_TRUE(store_->importRegistry({makeRow(2, ek)}, "t", "b.csv").ok());
  auto r = store_->applyImportChunk(*plan, 0, 1, "t", "a.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("already identifies"), std::string::npos);
}

}  // namespace
}  // namespace pb
