// SPDX-License-Identifier: Apache-2.0
// Our software MakeCredential must produce blobs a real TPM (swtpm) opens with
// tpm2_activatecredential, for RSA and ECC EKs; negative cases never activate.
#include "attest/make_credential.hpp"

#include <gtest/gtest.h>

#include "swtpm_harness.hpp"

namespace pb::attest {
namespace {

using testing::readFile;
using testing::writeFile;

class MakeCredentialSwtpm : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tpm_.running());
    const std::string ekAlg = GetParam();
    ASSERT_EQ(tpm_.run("tpm2_createek -c " + dir_.file("ek.ctx") + " -G " + ekAlg + " -u " +
                       dir_.file("ek.pub")),
              0);
    ASSERT_EQ(tpm_.run("tpm2_createak -C " + dir_.file("ek.ctx") + " -c " + dir_.file("ak.ctx") +
                       " -G ecc -g sha256 -s ecdsa -u " + dir_.file("ak.pub") + " -n " +
                       dir_.file("ak.name")),
              0);
    flush();
    auto ek = parseTpm2bPublic(readFile(dir_.file("ek.pub")));
    ASSERT_TRUE(ek.ok()) << ek.error().message;
    ek_ = ek.value();
    auto ak = parseTpm2bPublic(readFile(dir_.file("ak.pub")));
    ASSERT_TRUE(ak.ok()) << ak.error().message;
    ak_ = ak.value();
  }

  // Without a resource manager, transient objects and sessions stay loaded after each tool.
  void flush() { tpm_.run("tpm2_flushcontext -t; tpm2_flushcontext -l; tpm2_flushcontext -s"); }

  // Activates a tpm2-tools credential file; returns the recovered secret (empty on failure).
  Bytes activate(const Bytes& credFile) {
    writeFile(dir_.file("cred.bin"), credFile);
    std::string s = dir_.file("session.ctx");
    std::string cmd = "tpm2_startauthsession --policy-session -S " + s +
                      " && tpm2_policysecret -S " + s + " -c e && tpm2_activatecredential -c " +
                      dir_.file("ak.ctx") + " -C " + dir_.file("ek.ctx") + " -i " +
                      dir_.file("cred.bin") + " -o " + dir_.file("out.bin") + " -P session:" + s;
    flush();
    int rc = tpm_.run(cmd);
    flush();
    if (rc != 0) return {};
    return readFile(dir_.file("out.bin"));
  }

  testing::TempDir dir_;
  testing::TempDir state_;
  testing::Swtpm tpm_{state_.path()};
  TpmPublic ek_;
  TpmPublic ak_;
};

TEST_P(MakeCredentialSwtpm, NameMatchesTpm) {
  EXPECT_EQ(ak_.name, readFile(dir_.file("ak.name")));
}

TEST_P(MakeCredentialSwtpm, OurBlobActivatesOnSwtpm) {
  Bytes secret = randomBytes(32);
  auto cred = makeCredential(ek_, ak_.name, secret);
  ASSERT_TRUE(cred.ok()) << cred.error().message;
  EXPECT_EQ(activate(cred->toTpm2ToolsFile()), secret);
}

TEST_P(MakeCredentialSwtpm, SameLayoutAsTpm2MakecredentialNone) {
  Bytes secret = randomBytes(32);
  writeFile(dir_.file("secret.bin"), secret);
  ASSERT_EQ(tpm_.run("tpm2_makecredential -T none -u " + dir_.file("ek.pub") + " -s " +
                     dir_.file("secret.bin") + " -n " + toHex(ak_.name) + " -o " +
                     dir_.file("theirs.bin")),
            0);
  Bytes theirs = readFile(dir_.file("theirs.bin"));
  auto ours = makeCredential(ek_, ak_.name, secret);
  ASSERT_TRUE(ours.ok());
  // Randomised (seed / ephemeral key) so not byte-equal, but the same structure and size.
  EXPECT_EQ(ours->toTpm2ToolsFile().size(), theirs.size());
  EXPECT_EQ(activate(theirs), secret);
  EXPECT_EQ(activate(ours->toTpm2ToolsFile()), secret);
}

TEST_P(MakeCredentialSwtpm, WrongNameDoesNotActivate) {
  Bytes name = ak_.name;
  name.back() ^= 1;
  auto cred = makeCredential(ek_, name, randomBytes(32));
  ASSERT_TRUE(cred.ok());
  EXPECT_TRUE(activate(cred->toTpm2ToolsFile()).empty());
}

TEST_P(MakeCredentialSwtpm, TamperedBlobDoesNotActivate) {
  auto cred = makeCredential(ek_, ak_.name, randomBytes(32));
  ASSERT_TRUE(cred.ok());
  Bytes file = cred->toTpm2ToolsFile();
  file[8 + 2 + 2 + 3] ^= 0x01;  // inside the integrity HMAC
  EXPECT_TRUE(activate(file).empty());
}

INSTANTIATE_TEST_SUITE_P(EkTypes, MakeCredentialSwtpm, ::testing::Values("rsa", "ecc"));

TEST(MakeCredential, RejectsOversizeCredentialAndNonStorageKey) {
  TpmPublic ek;
  ek.type = alg::kRsa;
  ek.nameAlg = alg::kSha256;
  ek.attributes = attr::kRestricted | attr::kDecrypt;
  ek.symAlg = alg::kAes;
  ek.symMode = alg::kCfb;
  ek.symKeyBits = 128;
  EXPECT_FALSE(makeCredential(ek, Bytes(34, 1), Bytes(33, 1)).ok());
  EXPECT_FALSE(makeCredential(ek, Bytes(34, 1), Bytes{}).ok());
  ek.attributes = attr::kSign;
  EXPECT_FALSE(makeCredential(ek, Bytes(34, 1), Bytes(32, 1)).ok());
}

}  // namespace
}  // namespace pb::attest
