// SPDX-License-Identifier: Apache-2.0
// benchctl's policy commands: parsing, rendering of load/show/status, and the offline tools
// (keygen, sign, validate, template, schema) on real files.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "benchctl/cli.hpp"
#include "benchctl/policy_tools.hpp"
#include "benchctl/render.hpp"
#include "policy/signing.hpp"

namespace pb {
namespace {

using nlohmann::json;

Invocation parsed(std::vector<std::string> args) {
  auto r = parseCommandLine(args, "");
  if (auto* e = std::get_if<UsageError>(&r)) {
    ADD_FAILURE() << "usage error: " << e->message;
    return {};
  }
  return std::get<Invocation>(r);
}

std::string usageMessage(std::vector<std::string> args) {
  auto r = parseCommandLine(args, "");
  auto* e = std::get_if<UsageError>(&r);
  return e == nullptr ? "" : e->message;
}

TEST(PolicyCli, LoadSendsFileSignatureAndDryRun) {
  Invocation inv =
      parsed({"policy", "load", "/etc/p/policy.yaml", "--sig", "/tmp/p.sig", "--dry-run"});
  EXPECT_EQ(inv.action, Invocation::Action::Remote);
  EXPECT_EQ(inv.cmd, "policy.load");
  EXPECT_EQ(inv.importPath, "/etc/p/policy.yaml");
  EXPECT_EQ(inv.signaturePath, "/tmp/p.sig");
  EXPECT_EQ(inv.args, (json{{"file_name", "policy.yaml"}, {"dry_run", true}}));
  Invocation plain = parsed({"policy", "load", "p.yaml"});
  EXPECT_EQ(plain.args, (json{{"file_name", "p.yaml"}}));
  EXPECT_EQ(usageMessage({"policy", "load"}), "missing FILE");
  EXPECT_EQ(usageMessage({"policy", "load", "p.yaml", "--sig"}), "--sig needs a value (FILE)");
}

TEST(PolicyCli, ShowIsRemoteAndReadOnly) {
  Invocation inv = parsed({"policy", "show", "--json"});
  EXPECT_EQ(inv.cmd, "policy.show");
  EXPECT_TRUE(inv.json);
}

TEST(PolicyCli, OfflineTools) {
  Invocation v = parsed({"policy", "validate", "p.yaml"});
  EXPECT_EQ(v.action, Invocation::Action::PolicyTool);
  EXPECT_EQ(v.policyTool, "validate");
  EXPECT_EQ(v.file, "p.yaml");
  EXPECT_EQ(parsed({"policy", "template"}).policyTool, "template");
  EXPECT_EQ(parsed({"policy", "schema"}).policyTool, "schema");
  Invocation k = parsed({"policy", "keygen", "--out", "/tmp/k"});
  EXPECT_EQ(k.policyTool, "keygen");
  EXPECT_EQ(k.outPath, "/tmp/k");
  Invocation s = parsed({"policy", "sign", "p.yaml", "--key", "k.pem", "--out", "p.sig"});
  EXPECT_EQ(s.keyPath, "k.pem");
  EXPECT_EQ(s.outPath, "p.sig");
  EXPECT_EQ(usageMessage({"policy", "sign", "p.yaml"}), "missing --key KEY");
  EXPECT_EQ(usageMessage({"policy", "keygen"}), "missing --out DIR");
  EXPECT_EQ(usageMessage({"policy", "frobnicate"}), "unknown command \"policy frobnicate\"");
}

TEST(PolicyCli, EveryPolicyCommandHasHelp) {
  for (const char* sub : {"show", "load", "validate", "template", "schema", "keygen", "sign"}) {
    Invocation inv = parsed({"policy", sub, "--help"});
    EXPECT_EQ(inv.action, Invocation::Action::Help) << sub;
    EXPECT_NE(inv.text.find("Usage: benchctl [GLOBAL OPTIONS] policy " + std::string(sub)),
              std::string::npos)
        << inv.text;
    EXPECT_NE(inv.text.find("--json"), std::string::npos) << sub;
  }
  EXPECT_NE(parsed({"policy", "--help"}).text.find("policy keygen --out DIR"), std::string::npos);
}

TEST(PolicyRender, LoadShowsDiffVerdictChangesAndWarnings) {
  json r{{"dry_run", true},
         {"name", "acme-v2"},
         {"old_hash", "aaa"},
         {"new_hash", "bbb"},
         {"signer", "f00"},
         {"unsigned", false},
         {"diff", {{{"key", "tpm.nonce_lifetime_seconds"}, {"old", 60}, {"new", 30}}}},
         {"verdict_changes",
          {{{"device_id", "dev-000001"},
            {"serial", "SN-1"},
            {"old", {{"state", "identified"}, {"code", "PB-0100"}}},
            {"new", {{"state", "blocked"}, {"code", "PB-1003"}}}}}},
         {"warnings",
          {{{"setting", "tpm.no_tpm"}, {"attack", "No proof."}, {"acknowledgement", "lab"}}}}};
  const std::string out = renderResult("policy.load", r, "policy.yaml");
  EXPECT_NE(out.find("Dry run: policy.yaml (policy acme-v2)"), std::string::npos) << out;
  EXPECT_NE(out.find("hash   aaa -> bbb"), std::string::npos) << out;
  EXPECT_NE(out.find("tpm.nonce_lifetime_seconds: 60 -> 30"), std::string::npos) << out;
  EXPECT_NE(out.find("dev-000001 (SN-1) admission: identified PB-0100 -> blocked PB-1003"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("WARNING tpm.no_tpm: No proof. (accepted: \"lab\")"), std::string::npos);
  EXPECT_NE(out.find("Nothing was changed (--dry-run)."), std::string::npos);
}

TEST(PolicyRender, PolicyErrorsOnePerLine) {
  json response{{"ok", false},
                {"code", "PB-9510"},
                {"error", "p.yaml: the policy has errors; nothing was loaded"},
                {"errors", {"p.yaml:3:1: a: unknown key", "p.yaml:4:2: b: bad\x1b[31m"}}};
  const std::string out = renderFailure(response, "p.yaml");
  EXPECT_NE(out.find("PB-9510 policy_invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("\np.yaml:3:1: a: unknown key\n"), std::string::npos) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

TEST(PolicyRender, StatusShowsDevelopmentModeAndWarnings) {
  json status{{"bench_id", "b"},
              {"policy",
               {{"development_mode", true},
                {"warnings",
                 {{{"setting", "amt.allow_kvm"},
                   {"attack", "Remote screen."},
                   {"acknowledgement", "lab"}}}}}}};
  const std::string out = renderResult("status", status);
  EXPECT_NE(out.find("DEVELOPMENT MODE"), std::string::npos) << out;
  EXPECT_NE(out.find("WARNING amt.allow_kvm: Remote screen."), std::string::npos) << out;
}

class PolicyTools : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-policy-tools-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ToolOutput run(std::vector<std::string> args) { return runPolicyTool(parsed(std::move(args))); }
  std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
};

TEST_F(PolicyTools, KeygenSignAndVerifyRoundTrip) {
  ToolOutput k = run({"policy", "keygen", "--out", dir_ + "/keys"});
  ASSERT_EQ(k.exitCode, 0) << k.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/keys/signing-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second keygen never overwrites the key.
  EXPECT_EQ(run({"policy", "keygen", "--out", dir_ + "/keys"}).exitCode, 1);

  const std::string policy = dir_ + "/p.yaml";
  ToolOutput t = run({"policy", "template"});
  std::ofstream(policy) << t.out;
  ToolOutput s = run({"policy", "sign", policy, "--key", dir_ + "/keys/signing-key.pem"});
  ASSERT_EQ(s.exitCode, 0) << s.err;
  auto signer = loadTrustedSigner(dir_ + "/keys/signing-key.pub.pem");
  ASSERT_TRUE(signer.ok());
  auto verified = verifyPolicySignature(read(policy), read(policy + ".sig"), {*signer});
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_NE(s.out.find(verified->fingerprint), std::string::npos);
}

TEST_F(PolicyTools, SignRefusesAnInvalidPolicy) {
  ASSERT_EQ(run({"policy", "keygen", "--out", dir_}).exitCode, 0);
  std::ofstream(dir_ + "/bad.yaml") << "name: p\n";
  ToolOutput s = run({"policy", "sign", dir_ + "/bad.yaml", "--key", dir_ + "/signing-key.pem"});
  EXPECT_EQ(s.exitCode, 1);
  EXPECT_NE(s.err.find("tenant: required key is missing"), std::string::npos) << s.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/bad.yaml.sig"));
}

TEST_F(PolicyTools, ValidateReportsEveryErrorOnItsOwnLine) {
  std::ofstream(dir_ + "/p.yaml") << "name: p\ntenant: {id: t}\ntpm: {pcr_bank: md5}\nx: 1\n";
  ToolOutput v = run({"policy", "validate", dir_ + "/p.yaml"});
  EXPECT_EQ(v.exitCode, 1);
  EXPECT_EQ(v.err, dir_ +
                       "/p.yaml:3:17: tpm.pcr_bank: expected sha1, sha256 or sha384, got 'md5'\n" +
                       dir_ + "/p.yaml:4:1: x: unknown key\n");
  ToolOutput j = run({"policy", "validate", dir_ + "/p.yaml", "--json"});
  EXPECT_EQ(json::parse(j.out)["errors"].size(), 2u);
  std::ofstream(dir_ + "/ok.yaml") << "name: p\ntenant: {id: t}\n";
  ToolOutput ok = run({"policy", "validate", dir_ + "/ok.yaml", "--json"});
  EXPECT_EQ(ok.exitCode, 0);
  EXPECT_TRUE(json::parse(ok.out)["valid"].get<bool>());
}

TEST_F(PolicyTools, TemplateLoadsAndHasAJsonForm) {
  ToolOutput t = run({"policy", "template"});
  EXPECT_EQ(t.exitCode, 0);
  EXPECT_TRUE(parsePolicy(t.out, "template.yaml").ok());
  ToolOutput j = run({"policy", "template", "--json"});
  EXPECT_EQ(json::parse(j.out)["template"], t.out);
}

TEST_F(PolicyTools, SchemaIsJson) {
  ToolOutput s = run({"policy", "schema"});
  EXPECT_EQ(s.exitCode, 0);
  EXPECT_EQ(json::parse(s.out)["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

}  // namespace
}  // namespace pb
