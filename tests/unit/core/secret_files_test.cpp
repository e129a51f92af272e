// SPDX-License-Identifier: Apache-2.0
// SecretBytes, strict number parsing and the secret-file helpers (O_NOFOLLOW, owner and mode
// checked on the descriptor that is read, O_EXCL temporary files).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/parse_number.hpp"
#include "core/secret_bytes.hpp"

namespace pb {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);

TEST(SecretBytes, MovedFromIsEmptyAndTheBufferIsHandedOverNotCopied) {
  Bytes raw{1, 2, 3, 4};
  const std::uint8_t* buffer = raw.data();
  SecretBytes a(std::move(raw));
  EXPECT_TRUE(raw.empty());
  EXPECT_EQ(a.data(), buffer);  // the same allocation: no copy of the key was made
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the guarantee under test
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.data(), buffer);
  SecretBytes c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.bytes(), (Bytes{1, 2, 3, 4}));
  c.clear();
  EXPECT_TRUE(c.empty());
}

TEST(SecretBytes, TruncateAndHexRoundTrip) {
  SecretBytes s(Bytes{0xde, 0xad, 0xbe, 0xef});
  SecretBytes hex = toHexSecret(s);
  EXPECT_EQ(hex.text(), "deadbeef");
  SecretBytes back;
  ASSERT_TRUE(fromHexSecret("DEADbeef", back));
  EXPECT_EQ(back.bytes(), s.bytes());
  EXPECT_FALSE(fromHexSecret("abc", back));
  EXPECT_TRUE(back.empty());
  EXPECT_FALSE(fromHexSecret("zz", back));
  s.truncate(2);
  EXPECT_EQ(s.bytes(), (Bytes{0xde, 0xad}));
  s.truncate(10);  // larger: ignored
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(SecretBytes::random(32).size(), 32u);
}

TEST(ParseInteger, AcceptsOnlyAWholeNumberInRange) {
  EXPECT_EQ(parseInteger<int>("3", 3, 10), 3);
  EXPECT_EQ(parseInteger<int>("10", 3, 10), 10);
  EXPECT_FALSE(parseInteger<int>("x", 0, 10));
  EXPECT_FALSE(parseInteger<int>("", 0, 10));
  EXPECT_FALSE(parseInteger<int>("3x", 0, 10));
  EXPECT_FALSE(parseInteger<int>(" 3", 0, 10));
  EXPECT_FALSE(parseInteger<int>("+3", 0, 10));
  EXPECT_FALSE(parseInteger<int>("2", 3, 10));
  EXPECT_FALSE(parseInteger<int>("11", 3, 10));
  EXPECT_FALSE(parseInteger<int>("99999999999999999999", 0, 1 << 30));
  EXPECT_EQ(parseInteger<std::uint16_t>("65535", 1, 65535), 65535);
  EXPECT_FALSE(parseInteger<std::uint16_t>("65536", 1, 65535));
  EXPECT_FALSE(parseInteger<std::uint16_t>("-1", 1, 65535));
  auto bad = parseIntegerOption<int>("--ready-fd", "x", 3, 1024);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "--ready-fd: expected an integer in 3..1024, got 'x'");
}

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "pb-secret.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(SecretFiles, ReadsAPrivateFileOwnedByTheCaller) {
  ASSERT_TRUE(writeFileAtomic(path("k"), std::string("secret\n"), 0600).ok());
  auto r = readPrivateFile(path("k"), 64, ::geteuid());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text(), "secret\n");
  EXPECT_EQ(readPrivateFile(path("k"), 3, ::geteuid()).error().code, "too_large");
  EXPECT_TRUE(checkPrivateFile(path("k"), ::geteuid()).ok());
}

TEST_F(SecretFiles, RefusesASymlinkedKeyEvenToAGoodFile) {
  ASSERT_TRUE(writeFileAtomic(path("real"), std::string("secret\n"), 0600).ok());
  ASSERT_EQ(::symlink(path("real").c_str(), path("link").c_str()), 0);
  auto r = readPrivateFile(path("link"), 64, ::geteuid());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insecure_key");
  EXPECT_NE(r.error().message.find("symbolic link"), std::string::npos) << r.error().message;
  EXPECT_FALSE(checkPrivateFile(path("link"), ::geteuid()).ok());
  EXPECT_EQ(readFileBounded(path("link"), 64, Symlinks::Refuse).error().code, "insecure_key");
  EXPECT_TRUE(readFileBounded(path("link"), 64).ok());  // configs may be links
}

TEST_F(SecretFiles, RefusesAWrongModeOrOwnerOnTheSameDescriptor) {
  ASSERT_TRUE(writeFileAtomic(path("k"), std::string("secret\n"), 0640).ok());
  auto r = readPrivateFile(path("k"), 64, ::geteuid());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insecure_key");
  EXPECT_NE(r.error().message.find("mode 640"), std::string::npos) << r.error().message;

  ASSERT_EQ(::chmod(path("k").c_str(), 0600), 0);
  // Owned by us, but the caller expects another owner (what a file chowned away looks like).
  r = readPrivateFile(path("k"), 64, ::geteuid() + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "insecure_key");
  EXPECT_NE(r.error().message.find("owned by uid"), std::string::npos) << r.error().message;
  EXPECT_FALSE(checkPrivateFile(path("k"), ::geteuid() + 1).ok());

  ASSERT_EQ(::mkdir(path("d").c_str(), 0700), 0);
  EXPECT_EQ(readPrivateFile(path("d"), 64, ::geteuid()).error().code, "insecure_key");
}

TEST_F(SecretFiles, AtomicWriteNeverFollowsALinkAndLeavesNoTemporaryFile) {
  // A link planted where the file goes is replaced, not followed: its target is untouched.
  ASSERT_TRUE(writeFileAtomic(path("target"), std::string("keep\n"), 0644).ok());
  ASSERT_EQ(::symlink(path("target").c_str(), path("out").c_str()), 0);
  SecretBytes data(std::string_view("new\n").data(), 4);
  ASSERT_TRUE(writeFileAtomic(path("out"), data, 0600).ok());
  struct stat st {};
  ASSERT_EQ(::lstat(path("out").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream target(path("target"));
  std::string content((std::istreambuf_iterator<char>(target)), {});
  EXPECT_EQ(content, "keep\n");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2);  // target and out: no *.tmp.* left behind
  EXPECT_FALSE(writeFileAtomic(path("missing/dir/x"), std::string("x"), 0600).ok());
}

}  // namespace
}  // namespace pb
