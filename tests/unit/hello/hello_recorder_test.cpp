// SPDX-License-Identifier: Apache-2.0
#include "checks/hello_recorder.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>
#include <stdlib.h>

#include "amt/amthi.hpp"
#include "core/reasons.hpp"

namespace pb {
namespace {

// amt.md §11.3: DeviceUUID bytes 4B 52 9B 93 D4 13 18 1D E4 87 1C 69 7A 6B 7A 2B.
constexpr const char* kSampleUuid = "939b524b-13d4-1d18-e487-1c697a6b7a2b";

AmtHello sampleHello() {
  AmtHello h;
  h.adminCredentialsSet = true;
  h.uuid = {0x4B, 0x52, 0x9B, 0x93, 0xD4, 0x13, 0x18, 0x1D,
            0xE4, 0x87, 0x1C, 0x69, 0x7A, 0x6B, 0x7A, 0x2B};
  h.hashes = {{2, Bytes(32, 0xC3)}, {1, Bytes(20, 0x74)}};
  return h;
}

class HelloRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-hello-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = Store::open(dir_ + "/inventory.db", Bytes(32, 9), clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
    std::fclose(devNull_);
  }
  std::string registerDevice(const std::string& uuid) {
    RegistryRow row;
    row.serial = "SN-HELLO";
    row.smbiosUuid = uuid;
    row.model = "m";
    row.owner = "o";
    row.ownerEmail = "o@example.org";
    row.tenant = "lab";
    row.windowUntil = clock_.nowUnix() + 86400;
    row.line = 2;
    auto r = store_->importRegistry({row}, "uid:0", "r.csv");
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->devices.at(0).id : "";
  }
  std::vector<AuditRecord> findings(const std::string& deviceId) {
    auto a = store_->auditForDevice(deviceId, 0);
    std::vector<AuditRecord> out;
    for (auto& r : *a) {
      if (r.action == "amt.hello_remote_configuration") out.push_back(r);
    }
    return out;
  }

  std::string dir_;
  FixedClock clock_{1'790'000'000};
  std::FILE* devNull_ = std::fopen("/dev/null", "w");
  Logger log_{devNull_};
  std::unique_ptr<Store> store_;
};

TEST_F(HelloRecorderTest, RegisteredDeviceGetsOneFindingWithItsActiveHashes) {
  const std::string id = registerDevice(kSampleUuid);
  HelloRecorder recorder(*store_, clock_, log_);
  EXPECT_EQ(recorder.onHello(sampleHello(), "192.0.2.7"), HelloRecorder::Outcome::Recorded);
  auto f = findings(id);
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].reason, reason::kAmtHelloRemoteConfiguration);
  EXPECT_EQ(f[0].details["uuid"], kSampleUuid);
  EXPECT_EQ(f[0].details["peer"], "192.0.2.7");
  ASSERT_EQ(f[0].details["hashes"].size(), 2U);
  EXPECT_EQ(f[0].details["hashes"][0]["algorithm"], "sha256");
  EXPECT_EQ(f[0].details["hashes"][1]["algorithm"], "sha1");
  EXPECT_EQ(f[0].details["hashes"][0]["hash"], toHex(Bytes(32, 0xC3)));
}

TEST_F(HelloRecorderTest, RepeatsAreRecordedAgainOnlyAfterTheIntervalOrAChange) {
  const std::string id = registerDevice(kSampleUuid);
  HelloRecorder recorder(*store_, clock_, log_, std::chrono::seconds(3600));
  EXPECT_EQ(recorder.onHello(sampleHello(), "p"), HelloRecorder::Outcome::Recorded);
  clock_.advance(60);
  EXPECT_EQ(recorder.onHello(sampleHello(), "p"), HelloRecorder::Outcome::Repeated);
  AmtHello changed = sampleHello();
  changed.hashes.pop_back();
  EXPECT_EQ(recorder.onHello(changed, "p"), HelloRecorder::Outcome::Recorded);
  clock_.advance(3600);
  EXPECT_EQ(recorder.onHello(changed, "p"), HelloRecorder::Outcome::Recorded);
  EXPECT_EQ(findings(id).size(), 3U);
}

TEST_F(HelloRecorderTest, UnregisteredUuidIsIgnored) {
  HelloRecorder recorder(*store_, clock_, log_);
  EXPECT_EQ(recorder.onHello(sampleHello(), "p"), HelloRecorder::Outcome::Unregistered);
  auto count = store_->auditCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

TEST_F(HelloRecorderTest, RemembersABoundedNumberOfUuids) {
  registerDevice(kSampleUuid);
  HelloRecorder recorder(*store_, clock_, log_, std::chrono::seconds(3600), 2);
  EXPECT_EQ(recorder.onHello(sampleHello(), "p"), HelloRecorder::Outcome::Recorded);
  for (std::uint8_t i = 0; i < 3; ++i) {
    AmtHello other = sampleHello();
    other.uuid[15] = i;
    clock_.advance(1);
    EXPECT_EQ(recorder.onHello(other, "p"), HelloRecorder::Outcome::Unregistered);
  }
  // The first UUID was forgotten (oldest), so its next hello is recorded again.
  EXPECT_EQ(recorder.onHello(sampleHello(), "p"), HelloRecorder::Outcome::Recorded);
}

}  // namespace
}  // namespace pb
