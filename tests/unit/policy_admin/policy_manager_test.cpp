// SPDX-License-Identifier: Apache-2.0
#include "benchd/policy_manager.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "core/reasons.hpp"
#include "protocol/device_facts_json.hpp"
#include "store/store_worker.hpp"

namespace pb {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;
const Bytes kKey(32, 7);

const std::string kAcme = "name: acme-v1\ntenant: {id: acme}\n";
const std::string kAcmeStricter =
    "name: acme-v2\ntenant: {id: acme}\n"
    "enrollment: {require_first_enrollment_approval: true}\n"
    "identity: {bogus_serials: [SN-3]}\n";

RegistryRow row(const std::string& serial, const std::string& uuid) {
  RegistryRow r;
  r.serial = serial;
  r.smbiosUuid = uuid;
  r.model = "Latitude 7440";
  r.tenant = "acme";
  r.owner = "Jane Doe";
  r.ownerEmail = "jane@example.com";
  r.windowFrom = kNow - 3600;
  r.windowUntil = kNow + 86400;
  return r;
}

class PolicyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-policy-manager-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto opened = Store::open(dir_ + "/inventory.db", kKey, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    auto imported = store_->importRegistry({row("SN-1", "4c4c4544-0031-3410-8033-b2c04f4e3201"),
                                            row("SN-2", "4c4c4544-0031-3410-8033-b2c04f4e3202"),
                                            row("SN-3", "4c4c4544-0031-3410-8033-b2c04f4e3203")},
                                           "test", "fleet.csv");
    ASSERT_TRUE(imported.ok()) << imported.error().code << " " << imported.error().message;
    auto keys = generateSigningKey();
    ASSERT_TRUE(keys.ok());
    keys_ = std::move(*keys);
    options_.trust.signers = {*parseTrustedSigner(keys_.publicPem, "admin.pem")};
    options_.policyFile = dir_ + "/policy.yaml";
    options_.signatureFile = dir_ + "/policy.yaml.sig";
    writeSigned(kAcme);
    auto initial = loadConfiguredPolicy(options_, clock_);
    ASSERT_TRUE(initial.ok()) << initial.error().message;
    manager_ = std::make_unique<PolicyManager>(
        *store_, clock_, log_, options_, *initial,
        [this](std::shared_ptr<const PolicySnapshot> s) { applied_.push_back(std::move(s)); });
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
    if (logFile_ != nullptr) std::fclose(logFile_);
  }

  void writeSigned(const std::string& text) {
    std::ofstream(options_.policyFile) << text;
    std::ofstream(options_.signatureFile) << *signPolicyBytes(text, keys_.privatePem.text());
  }
  json loadArgs(const std::string& text, bool dryRun, bool sign = true) {
    json a{{"file_name", "policy.yaml"}, {"content", text}, {"dry_run", dryRun}};
    if (sign) a["signature"] = *signPolicyBytes(text, keys_.privatePem.text());
    return a;
  }
  std::vector<std::string> auditActions() {
    std::vector<std::string> out;
    auto tail = store_->auditTail(100);
    EXPECT_TRUE(tail.ok());
    if (!tail.ok()) return out;
    for (const auto& r : tail.value()) out.push_back(r.action);
    return out;
  }

  std::string dir_;
  FixedClock clock_{kNow};
  std::FILE* logFile_ = std::tmpfile();
  Logger log_{logFile_, LogLevel::Debug};
  std::unique_ptr<Store> store_;
  SigningKeyPair keys_;
  PolicySourceOptions options_;
  std::unique_ptr<PolicyManager> manager_;
  std::vector<std::shared_ptr<const PolicySnapshot>> applied_;
};

TEST_F(PolicyManagerTest, StartsWithTheSignedConfiguredPolicy) {
  EXPECT_EQ(manager_->active().snapshot->policy.name, "acme-v1");
  EXPECT_EQ(manager_->active().signer, keys_.fingerprint);
  EXPECT_FALSE(manager_->active().isUnsigned);
  json show = manager_->show();
  ASSERT_TRUE(show["ok"].get<bool>());
  EXPECT_EQ(show["result"]["hash"], manager_->active().snapshot->hash);
  EXPECT_EQ(show["result"]["signer"], keys_.fingerprint);
  EXPECT_TRUE(show["result"]["warnings"].empty());
  EXPECT_EQ(show["result"]["policy"]["tenant"]["id"], "acme");
}

TEST_F(PolicyManagerTest, DryRunShowsDiffAndVerdictChangesAndChangesNothing) {
  const std::string before = manager_->active().snapshot->hash;
  json r = manager_->load(loadArgs(kAcmeStricter, true), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  const json& res = r["result"];
  EXPECT_TRUE(res["dry_run"].get<bool>());
  EXPECT_EQ(res["old_hash"], before);
  EXPECT_NE(res["new_hash"], before);
  // The diff names each changed key with its old and new value.
  json byKey = json::object();
  for (const auto& d : res["diff"]) byKey[d["key"].get<std::string>()] = d;
  ASSERT_TRUE(byKey.contains("enrollment.require_first_enrollment_approval")) << res["diff"];
  EXPECT_EQ(byKey["enrollment.require_first_enrollment_approval"]["old"], false);
  EXPECT_EQ(byKey["enrollment.require_first_enrollment_approval"]["new"], true);
  EXPECT_EQ(byKey["identity.bogus_serials"]["new"], json({"SN-3"}));
  EXPECT_EQ(byKey["name"]["old"], "acme-v1");
  EXPECT_EQ(res["diff"].size(), 3u) << res["diff"];
  // Every registered device changes verdict, each for its own reason.
  ASSERT_EQ(res["verdict_changes"].size(), 3u) << res["verdict_changes"];
  std::map<std::string, json> bySerial;
  for (const auto& c : res["verdict_changes"]) bySerial[c["serial"].get<std::string>()] = c;
  EXPECT_EQ(bySerial["SN-1"]["old"], json({{"state", "identified"}, {"code", "PB-0100"}}));
  EXPECT_EQ(bySerial["SN-1"]["new"], json({{"state", "blocked"}, {"code", "PB-1003"}}));
  EXPECT_EQ(bySerial["SN-3"]["new"], json({{"state", "blocked"}, {"code", "PB-1010"}}));
  EXPECT_FALSE(bySerial["SN-2"]["device_id"].get<std::string>().empty());
  // Nothing changed.
  EXPECT_EQ(manager_->active().snapshot->hash, before);
  EXPECT_TRUE(applied_.empty());
  for (const auto& a : auditActions()) EXPECT_NE(a, "policy.loaded");
}

// The dry run's pass over every device runs on the StoreWorker's read-only connection; the answer
// is the same as on the loop, delivered on the loop thread, and nothing changes.
TEST_F(PolicyManagerTest, DryRunOffTheLoopMatchesTheLoopAndChangesNothing) {
  const std::string before = manager_->active().snapshot->hash;
  json onLoop = manager_->load(loadArgs(kAcmeStricter, true), "uid:0");
  ASSERT_TRUE(onLoop["ok"].get<bool>()) << onLoop.dump();
  const auto auditBefore = store_->auditCount();
  ASSERT_TRUE(auditBefore.ok());

  boost::asio::io_context io(1);
  auto readOnly = Store::openReadOnly(dir_ + "/inventory.db", kKey, clock_);
  ASSERT_TRUE(readOnly.ok()) << readOnly.error().message;
  StoreWorker worker(io.get_executor(), std::move(readOnly).value());
  const auto loopThread = std::this_thread::get_id();
  std::thread::id jobThread;
  std::thread::id resumedOn;
  json offLoop;
  auto run = [&](PolicyManager::ReadJob job) {
    return worker.run<json>(
        [job = std::move(job), &jobThread](Store& ro) {
          jobThread = std::this_thread::get_id();
          return job(ro);
        },
        boost::asio::use_awaitable);
  };
  const json args = loadArgs(kAcmeStricter, true);
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        const std::string actor = "uid:0";
        offLoop = co_await manager_->loadAsync(args, actor, run);
        resumedOn = std::this_thread::get_id();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);  // out of io.run(): the test fails with it
      });
  io.run();
  ASSERT_TRUE(offLoop.value("ok", false)) << offLoop.dump();
  EXPECT_EQ(offLoop["result"]["verdict_changes"], onLoop["result"]["verdict_changes"]);
  EXPECT_FALSE(offLoop["result"]["verdict_changes"].empty());
  EXPECT_EQ(offLoop["result"]["diff"], onLoop["result"]["diff"]);
  EXPECT_NE(jobThread, loopThread);
  EXPECT_EQ(resumedOn, loopThread);
  EXPECT_EQ(manager_->active().snapshot->hash, before);
  EXPECT_EQ(*store_->auditCount(), *auditBefore);
}

TEST_F(PolicyManagerTest, DryRunShowsWindowsAndMismatchRulesTakingEffect) {
  // kNow is 2027-01-15T08:00:00Z; a bench window next month closes enrolment today.
  const std::string windows =
      "name: acme-windows\ntenant: {id: acme}\n"
      "enrollment:\n  windows: [{start: \"2027-02-01\", end: \"2027-02-28\"}]\n"
      "  on_identity_mismatch: block\n";
  json r = manager_->load(loadArgs(windows, true), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  ASSERT_EQ(r["result"]["verdict_changes"].size(), 3u);
  for (const auto& c : r["result"]["verdict_changes"]) {
    EXPECT_EQ(c["new"], json({{"state", "blocked"}, {"code", "PB-1004"}})) << c;
  }
}

TEST_F(PolicyManagerTest, LoadAppliesAtomicallyAndAudits) {
  const std::string before = manager_->active().snapshot->hash;
  json r = manager_->load(loadArgs(kAcmeStricter, false), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_EQ(applied_[0]->policy.name, "acme-v2");
  EXPECT_TRUE(applied_[0]->admission.requireApprovalFirstEnrollment);
  EXPECT_EQ(manager_->active().snapshot->hash, r["result"]["new_hash"]);
  auto tail = *store_->auditTail(1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].action, "policy.loaded");
  EXPECT_EQ(tail[0].actor, "uid:0");
  EXPECT_EQ(tail[0].details["old_hash"], before);
  EXPECT_EQ(tail[0].details["new_hash"], r["result"]["new_hash"]);
  EXPECT_EQ(tail[0].details["signer"], keys_.fingerprint);
  EXPECT_EQ(tail[0].policyHash, r["result"]["new_hash"]);  // recorded under the new policy
  EXPECT_TRUE(store_->verifyAudit()->ok);
}

TEST_F(PolicyManagerTest, InvalidPolicyIsRefusedWholeWithEveryError) {
  const std::string before = manager_->active().snapshot->hash;
  const std::string bad =
      "name: x\ntenant: {id: acme}\ntpm: {pcr_bank: md5}\namt: {allow_kvm: true}\nkiosk: {x: 1}\n";
  json r = manager_->load(loadArgs(bad, false), "uid:0");
  ASSERT_FALSE(r["ok"].get<bool>());
  EXPECT_EQ(r["code"], std::string(reason::kPolicyInvalid));
  ASSERT_EQ(r["errors"].size(), 3u) << r.dump();
  EXPECT_EQ(r["errors"][0],
            "policy.yaml:3:17: tpm.pcr_bank: expected sha1, sha256 or sha384, "
            "got 'md5'");
  EXPECT_EQ(manager_->active().snapshot->hash, before);
  EXPECT_TRUE(applied_.empty());
  EXPECT_EQ(auditActions().back(), "policy.refused");
}

TEST_F(PolicyManagerTest, SignatureMissingWrongKeyTamperedAreRefused) {
  json unsignedArgs = loadArgs(kAcmeStricter, false, /*sign=*/false);
  json r = manager_->load(unsignedArgs, "uid:0");
  EXPECT_EQ(r["code"], std::string(reason::kPolicySignature)) << r.dump();

  auto other = generateSigningKey();
  json wrongKey = loadArgs(kAcmeStricter, false, false);
  wrongKey["signature"] = *signPolicyBytes(kAcmeStricter, other->privatePem.text());
  EXPECT_EQ(manager_->load(wrongKey, "uid:0")["code"], std::string(reason::kPolicySignature));

  json tampered = loadArgs(kAcmeStricter, false);
  tampered["content"] = kAcmeStricter + "kiosk: {show_serials: false}\n";
  EXPECT_EQ(manager_->load(tampered, "uid:0")["code"], std::string(reason::kPolicySignature));

  // Even a dry run does not show the effect of an unverified policy.
  json dry = loadArgs(kAcmeStricter, true, false);
  EXPECT_FALSE(manager_->load(dry, "uid:0")["ok"].get<bool>());
  EXPECT_TRUE(applied_.empty());
}

TEST_F(PolicyManagerTest, DevelopmentModeAcceptsUnsignedAndSaysSoLoudly) {
  options_.trust.allowUnsigned = true;
  auto initial = loadConfiguredPolicy(options_, clock_);
  PolicyManager dev(*store_, clock_, log_, options_, *initial, nullptr);
  json r = dev.load(loadArgs(kAcmeStricter, false, false), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_TRUE(r["result"]["unsigned"].get<bool>());
  json summary = dev.summary();
  EXPECT_TRUE(summary["development_mode"].get<bool>());
  EXPECT_TRUE(summary["unsigned"].get<bool>());
  ASSERT_FALSE(summary["warnings"].empty());
  EXPECT_EQ(summary["warnings"][0]["setting"], "policy.allow_unsigned");
}

TEST_F(PolicyManagerTest, RiskWarningsAreReportedOnLoad) {
  const std::string weak =
      "name: weak\ntenant: {id: acme}\n"
      "enrollment: {require_pre_registration: false, acknowledge_risk: lab}\n";
  json r = manager_->load(loadArgs(weak, false), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  ASSERT_EQ(r["result"]["warnings"].size(), 1u);
  EXPECT_EQ(r["result"]["warnings"][0]["setting"], "enrollment.require_pre_registration");
  EXPECT_EQ(manager_->summary()["warnings"].size(), 1u);
  auto tail = store_->auditTail(1);
  ASSERT_TRUE(tail.ok() && !tail->empty());
  EXPECT_EQ(tail->front().details["risk_acknowledgements"],
            json({"enrollment.require_pre_registration: lab"}));
}

TEST_F(PolicyManagerTest, ReloadAppliesAValidFileAndKeepsTheActiveOneOnAnInvalidFile) {
  writeSigned(kAcmeStricter);
  ASSERT_TRUE(manager_->reload("signal:SIGHUP").ok());
  EXPECT_EQ(manager_->active().snapshot->policy.name, "acme-v2");
  EXPECT_EQ(auditActions().back(), "policy.loaded");
  ASSERT_EQ(applied_.size(), 1u);

  const std::string good = manager_->active().snapshot->hash;
  writeSigned("name: broken\ntenant: {id: acme}\nextra: 1\n");
  auto st = manager_->reload("signal:SIGHUP");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "policy");
  EXPECT_EQ(manager_->active().snapshot->hash, good);
  EXPECT_EQ(auditActions().back(), "policy.refused");

  // A file changed after signing is refused too.
  writeSigned(kAcme);
  std::ofstream(options_.policyFile, std::ios::app) << "# edited\n";
  EXPECT_EQ(manager_->reload("signal:SIGHUP").error().code, "signature");
  EXPECT_EQ(manager_->active().snapshot->hash, good);
  EXPECT_EQ(applied_.size(), 1u);

  // Reloading an unchanged valid file changes nothing and records nothing.
  writeSigned(kAcmeStricter);
  const auto before = auditActions().size();
  ASSERT_TRUE(manager_->reload("signal:SIGHUP").ok());
  EXPECT_EQ(auditActions().size(), before);
}

TEST_F(PolicyManagerTest, StartRefusesUnsignedOrBadlySignedFiles) {
  std::filesystem::remove(options_.signatureFile);
  EXPECT_EQ(loadConfiguredPolicy(options_, clock_).error().code, "signature");
  std::ofstream(options_.signatureFile) << "garbage\n";
  EXPECT_EQ(loadConfiguredPolicy(options_, clock_).error().code, "signature");
  PolicySourceOptions builtIn;  // no file: the built-in policy needs no signature
  auto r = loadConfiguredPolicy(builtIn, clock_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, "built-in");
}

TEST_F(PolicyManagerTest, MalformedArgumentsAreBadRequests) {
  EXPECT_EQ(manager_->load(json{{"content", "x"}}, "uid:0")["code"],
            std::string(reason::kAdminBadRequest));
  EXPECT_EQ(manager_->load(json{{"file_name", "p"}, {"content", 1}}, "uid:0")["code"],
            std::string(reason::kAdminBadRequest));
  json a = loadArgs(kAcme, false);
  a["dry_run"] = "yes";
  EXPECT_EQ(manager_->load(a, "uid:0")["code"], std::string(reason::kAdminBadRequest));
  a = loadArgs(kAcme, false);
  a["file_name"] = "a\nb";
  EXPECT_EQ(manager_->load(a, "uid:0")["code"], std::string(reason::kAdminBadRequest));
}

TEST(PolicyDiff, ListsOnlyChangedKeys) {
  Policy a = defaultPolicy();
  Policy b = a;
  EXPECT_TRUE(policyDiff(a, b).empty());
  b.amt.allowedThumbprints.push_back({"X", "sha256", std::string(64, 'a')});
  b.tpm.nonceLifetimeSeconds = 30;
  json d = policyDiff(a, b);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["key"], "amt.allowed_thumbprints");
  EXPECT_EQ(d[1]["key"], "tpm.nonce_lifetime_seconds");
  EXPECT_EQ(d[1]["old"], 60);
  EXPECT_EQ(d[1]["new"], 30);
}

// The dry run re-evaluates the checks stage on the facts a device last reported (kept with its
// check run): a policy that stops allowing remote configuration names the device and the check.
TEST_F(PolicyManagerTest, DryRunReevaluatesChecksOnTheLastReportedFacts) {
  auto devices = store_->listDevices(std::nullopt);
  ASSERT_TRUE(devices.ok() && !devices->empty());
  const DeviceRecord& d = devices->front();
  SessionRecord init;
  init.deviceId = d.id;
  init.source = "192.0.2.10";
  auto session = store_->createSession(init, "session:new");
  ASSERT_TRUE(session.ok());
  DeviceFacts facts;
  facts.identity.serial = d.registry.serial;
  AmtFacts amt;
  amt.access = AmtAccess::Ok;
  amt.provisioningState = "pre";
  amt.controlMode = "none";
  amt.remoteConfigurationEnabled = true;
  facts.amt = amt;
  CheckRun run;
  run.sessionId = session->id;
  run.deviceId = d.id;
  run.policyHash = manager_->active().snapshot->hash;
  run.checks = {{"amt.remote_configuration", "pass", "", "allowed", ""}};
  run.factsJson = toJson(facts).dump();
  ASSERT_TRUE(store_->recordCheckRun(run, "session:" + session->id).ok());

  const std::string relaxed =
      "name: acme-rcfg\ntenant: {id: acme}\n"
      "amt: {allow_remote_configuration: true, acknowledge_risk: \"lab bench\"}\n";
  const std::string strict = "name: acme-strict\ntenant: {id: acme}\n";
  writeSigned(relaxed);
  ASSERT_TRUE(manager_->reload("uid:0").ok());
  json r = manager_->load(loadArgs(strict, true), "uid:0");
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  json change;
  for (const auto& c : r["result"]["verdict_changes"]) {
    if (c.value("stage", "") == "checks") change = c;
  }
  ASSERT_FALSE(change.is_null()) << r["result"]["verdict_changes"].dump(2);
  EXPECT_EQ(change["device_id"], d.id);
  EXPECT_EQ(change["facts_from_session"], session->id);
  bool named = false;
  for (const auto& k : change["checks"]) {
    if (k["check"] == "amt.remote_configuration") {
      named = true;
      EXPECT_EQ(k["old"], "warn");  // allowed with acknowledge_risk: a warning, not a pass
      EXPECT_EQ(k["new"], "fail");
    }
  }
  EXPECT_TRUE(named) << change.dump(2);
}

}  // namespace
}  // namespace pb
