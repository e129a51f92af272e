// SPDX-License-Identifier: Apache-2.0
#include "sysfs/firmware_facts.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pb {
namespace {

bool mentions(const FirmwareFacts& f, std::string_view text) {
  return std::any_of(f.readProblems.begin(), f.readProblems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

TEST(FirmwareFacts, VproDesktop) {
  auto f = readFirmwareFacts(PB_FIRMWARE_FIXTURES_DIR "/vpro-desktop");
  EXPECT_EQ(f.biosVendor, "Dell Inc.");
  EXPECT_EQ(f.biosVersion, "1.21.0");
  EXPECT_EQ(f.meFirmwareVersion, "16.1.25.2124");
  EXPECT_EQ(f.secureBoot, true);
  EXPECT_EQ(f.setupMode, false);
  EXPECT_EQ(f.tpmPresent, true);
  EXPECT_EQ(f.tpmVersion, "2.0");
  EXPECT_EQ(f.firmwareAttributes,
            (std::vector<std::pair<std::string, std::string>>{
                {"AmtCap", "Enabled"}, {"SecureBoot", "Enabled"}, {"TpmSecurity", "Enabled"}}));
  EXPECT_TRUE(f.readProblems.empty()) << f.readProblems.front();
}

TEST(FirmwareFacts, SetupModeTpm12AndMeOnMei1) {
  auto f = readFirmwareFacts(PB_FIRMWARE_FIXTURES_DIR "/setup-mode/");
  EXPECT_EQ(f.biosVersion, "N32ET86W (1.62 )");
  EXPECT_EQ(f.meFirmwareVersion, "11.8.92.4222");
  EXPECT_EQ(f.secureBoot, false);
  EXPECT_EQ(f.setupMode, true);
  EXPECT_EQ(f.tpmVersion, "1.2");
  EXPECT_TRUE(f.firmwareAttributes.empty());
}

TEST(FirmwareFacts, LegacyBootHasSecureBootOffAndNoTpm) {
  auto f = readFirmwareFacts(PB_FIRMWARE_FIXTURES_DIR "/legacy-no-tpm");
  EXPECT_EQ(f.biosVersion, "F2");
  EXPECT_EQ(f.secureBoot, false);
  EXPECT_FALSE(f.setupMode.has_value());
  EXPECT_EQ(f.tpmPresent, false);
  EXPECT_EQ(f.meFirmwareVersion, "");
  EXPECT_TRUE(mentions(f, "legacy BIOS"));
}

TEST(FirmwareFacts, EfiWithoutEfivarfsIsUnknown) {
  auto f = readFirmwareFacts(PB_FIRMWARE_FIXTURES_DIR "/efi-no-efivarfs");
  EXPECT_FALSE(f.secureBoot.has_value());
  EXPECT_FALSE(f.setupMode.has_value());
  EXPECT_TRUE(mentions(f, "efivarfs is not mounted"));
}

TEST(FirmwareFacts, MalformedValuesStayUnknownWithReasons) {
  auto f = readFirmwareFacts(PB_FIRMWARE_FIXTURES_DIR "/malformed");
  EXPECT_FALSE(f.secureBoot.has_value());
  EXPECT_FALSE(f.setupMode.has_value());
  EXPECT_EQ(f.biosVendor, "");
  EXPECT_EQ(f.meFirmwareVersion, "");
  EXPECT_EQ(f.tpmPresent, true);
  EXPECT_EQ(f.tpmVersion, "");
  EXPECT_TRUE(mentions(f, "SecureBoot efivar has 7 bytes"));
  EXPECT_TRUE(mentions(f, "SetupMode efivar value is 2"));
  EXPECT_TRUE(mentions(f, "not printable"));
  EXPECT_TRUE(mentions(f, "fw_ver"));
  EXPECT_TRUE(mentions(f, "tpm_version_major"));
}

TEST(FirmwareFacts, FifoAndOversizeDoNotHang) {
  char tmpl[] = "/tmp/pb-fwfacts-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::filesystem::create_directories(root + "/sys/class/dmi/id");
  ASSERT_EQ(::mkfifo((root + "/sys/class/dmi/id/bios_vendor").c_str(), 0600), 0);
  std::ofstream(root + "/sys/class/dmi/id/bios_version") << std::string(5000, 'x');
  auto f = readFirmwareFacts(root);
  EXPECT_EQ(f.biosVendor, "");
  EXPECT_EQ(f.biosVersion, "");
  EXPECT_TRUE(mentions(f, "not a regular file"));
  EXPECT_TRUE(mentions(f, "larger than 4 KiB"));
  std::filesystem::remove_all(root);
}

TEST(FirmwareFacts, EmptyRootReportsAbsence) {
  char tmpl[] = "/tmp/pb-fwfacts-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  auto f = readFirmwareFacts(tmpl);
  EXPECT_EQ(f.tpmPresent, false);
  EXPECT_EQ(f.secureBoot, false);
  EXPECT_EQ(f.biosVendor, "");
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace pb
