// SPDX-License-Identifier: Apache-2.0
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfs/identity_reader.hpp"

namespace pb {
namespace {

namespace fs = std::filesystem;

TEST(SysfsFixture, TypicalLaptop) {
  auto r = readIdentityFacts(PB_FIXTURES_DIR "/laptop-thinkpad");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->serial, "PF3XYZ12");
  EXPECT_EQ(r->smbiosUuid, "8c1a3f2e-5b7d-11ec-bf63-0242ac130002");
  EXPECT_EQ(r->model, "20XW0055GE");
  EXPECT_EQ(r->vendor, "LENOVO");
  EXPECT_EQ(r->boardSerial, "L1HF16Z012A");
  // Physical NICs only (device link), sorted; lo, docker0 and the all-zero wwan0 skipped.
  EXPECT_EQ(r->macs, (std::vector<std::string>{"3c:58:c2:0a:7b:91", "8c:8c:aa:10:22:3e"}));
}

TEST(SysfsFixture, PlaceholderOemBoardReportedAsIs) {
  auto r = readIdentityFacts(PB_FIXTURES_DIR "/oem-placeholder/");  // trailing slash is fine
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->serial, "To Be Filled By O.E.M.");
  EXPECT_EQ(r->smbiosUuid, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(r->model, "To Be Filled By O.E.M.");  // trailing padding trimmed
  EXPECT_EQ(r->vendor, "To Be Filled By O.E.M.");
  EXPECT_EQ(r->boardSerial, "To be filled by O.E.M.");
  EXPECT_EQ(r->macs, (std::vector<std::string>{"70:85:c2:3b:4d:e1"}));  // bridge br0 not counted
}

TEST(SysfsFixture, NoNicAndMissingSerials) {
  auto r = readIdentityFacts(PB_FIXTURES_DIR "/no-nic-vm");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->serial, "");
  EXPECT_EQ(r->boardSerial, "");
  EXPECT_EQ(r->vendor, "QEMU");
  EXPECT_EQ(r->model, "Standard PC (Q35 + ICH9, 2009)");
  EXPECT_TRUE(r->macs.empty());
}

// A scratch sysfs tree per test.
class SysfsTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-sysfs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(dmi());
    fs::create_directories(net());
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dmi(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(root_);
  }
  std::string dmi() const { return root_ + "/sys/class/dmi/id"; }
  std::string net() const { return root_ + "/sys/class/net"; }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  void addNic(const std::string& name, const std::string& address, bool physical = true) {
    fs::create_directories(net() + "/" + name);
    write(net() + "/" + name + "/address", address);
    if (physical)
      fs::create_directory_symlink("../../../devices/x/" + name, net() + "/" + name + "/device");
  }
  std::string root_;
};

TEST_F(SysfsTree, EmptyDmiDirGivesEmptyFacts) {
  auto r = readIdentityFacts(root_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->serial, "");
  EXPECT_EQ(r->smbiosUuid, "");
  EXPECT_TRUE(r->macs.empty());
}

TEST_F(SysfsTree, MissingDmiDirIsAnError) {
  fs::remove_all(root_ + "/sys/class/dmi");
  auto r = readIdentityFacts(root_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "sysfs");
  EXPECT_NE(r.error().message.find("DMI directory"), std::string::npos);
}

TEST_F(SysfsTree, UnreadableDmiDirIsAnError) {
  // A file where the directory should be cannot be listed by anyone, root included.
  fs::remove_all(dmi());
  { std::ofstream(dmi()) << "not a directory\n"; }
  auto r = readIdentityFacts(root_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "sysfs");
}

TEST_F(SysfsTree, UnreadableAttributeIsAnErrorNotEmpty) {
  // A directory where a file should be stands in for "exists but cannot be read" (works as root).
  fs::create_directory(dmi() + "/product_serial");
  auto r = readIdentityFacts(root_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("product_serial"), std::string::npos);
}

TEST_F(SysfsTree, FifoAttributeDoesNotHang) {
  ASSERT_EQ(::mkfifo((dmi() + "/product_uuid").c_str(), 0600), 0);
  auto r = readIdentityFacts(root_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(SysfsTree, OversizeAttributeIsAnError) {
  write(dmi() + "/product_name", std::string(kMaxSysfsAttributeBytes + 1, 'x'));
  auto r = readIdentityFacts(root_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("larger than 4096"), std::string::npos);
  write(dmi() + "/product_name", std::string(kMaxSysfsAttributeBytes, 'x'));
  EXPECT_TRUE(readIdentityFacts(root_).ok());
}

TEST_F(SysfsTree, TrimsTrailingWhitespaceOnly) {
  write(dmi() + "/product_serial", "  SN 1 \t \n");
  auto r = readIdentityFacts(root_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->serial, "  SN 1");
}

TEST_F(SysfsTree, NonTextAttributeIsAnError) {
  write(dmi() + "/sys_vendor", std::string("AC\x01ME\n"));
  EXPECT_FALSE(readIdentityFacts(root_).ok());
  write(dmi() + "/sys_vendor", std::string("AC\xffME\n"));
  EXPECT_FALSE(readIdentityFacts(root_).ok());
  write(dmi() + "/sys_vendor", "Acme \xc3\x9f\n");  // UTF-8 is fine
  EXPECT_TRUE(readIdentityFacts(root_).ok());
}

TEST_F(SysfsTree, MacsLowerCasedSortedDeduplicatedAndFiltered) {
  addNic("eth1", "AA:BB:CC:00:11:22\n");
  addNic("eth0", "02:00:00:00:00:01\n");
  addNic("eth2", "02:00:00:00:00:01\n");  // two ports, one MAC: reported once
  addNic("eth3", "00:00:00:00:00:00\n");
  addNic("vethX", "de:ad:be:ef:00:01\n", /*physical=*/false);
  addNic("lo", "00:00:00:00:00:00\n");
  addNic("ib0", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de\n");
  auto r = readIdentityFacts(root_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->macs,
            (std::vector<std::string>{"02:00:00:00:00:01",
                                      "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de",
                                      "aa:bb:cc:00:11:22"}));
}

TEST_F(SysfsTree, PhysicalNicWithoutAddressFileIsSkipped) {
  fs::create_directories(net() + "/can0/device");
  auto r = readIdentityFacts(root_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->macs.empty());
}

TEST_F(SysfsTree, MalformedMacIsAnError) {
  for (const char* bad :
       {"aa:bb:cc:dd:ee:\n", "aa-bb-cc-dd-ee-ff\n", "aa:bb:cc:dd:ee:fg\n", "x\n"}) {
    addNic("eth0", bad);
    auto r = readIdentityFacts(root_);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("not a MAC address"), std::string::npos) << bad;
    fs::remove_all(net() + "/eth0");
  }
}

TEST_F(SysfsTree, MissingNetClassMeansNoNics) {
  fs::remove_all(net());
  auto r = readIdentityFacts(root_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->macs.empty());
}

TEST_F(SysfsTree, TooManyInterfacesIsAnError) {
  for (int i = 0; i < 4; ++i) fs::create_directory(net() + "/v" + std::to_string(i));
  EXPECT_TRUE(readIdentityFacts(root_, 4).ok());
  fs::create_directory(net() + "/v4");
  auto r = readIdentityFacts(root_, 4);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 4 interfaces"), std::string::npos);
  EXPECT_EQ(kMaxNetInterfaces, 256u);
}

}  // namespace
}  // namespace pb
