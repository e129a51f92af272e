// SPDX-License-Identifier: Apache-2.0
#include "policy/evaluate.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/reasons.hpp"
#include "test_facts.hpp"

namespace pb {
namespace {

const FixedClock kClock(1'800'000'000);

const CheckResult& resultFor(const CheckResults& results, std::string_view id) {
  for (const auto& r : results) {
    if (r.id == id) return r;
  }
  static const CheckResult kNone{"<absent>", CheckOutcome::Pass, "", "", ""};
  ADD_FAILURE() << "no result for " << id;
  return kNone;
}

CheckResult evalOne(std::string_view id, const std::function<void(Policy&, DeviceFacts&)>& spoil) {
  Policy p = test::goodPolicy();
  DeviceFacts f = test::goodFacts();
  spoil(p, f);
  return resultFor(evaluate(p, f, kClock), id);
}

void expectOutcome(const CheckResult& r, CheckOutcome outcome, std::string_view code) {
  EXPECT_EQ(toString(r.outcome), toString(outcome)) << r.id << ": " << r.message;
  EXPECT_EQ(r.code, code) << r.id;
  EXPECT_FALSE(r.message.empty()) << r.id;
  if (outcome != CheckOutcome::Pass) {
    EXPECT_NE(findReason(r.code), nullptr) << r.id << " " << r.code;
    EXPECT_FALSE(r.remediation.empty()) << r.id;
  }
}

TEST(Evaluate, GoodDevicePassesEveryCheckInTheDocumentedOrder) {
  CheckResults results = evaluate(test::goodPolicy(), test::goodFacts(), kClock);
  ASSERT_EQ(results.size(), allCheckIds().size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].id, allCheckIds()[i]);
    EXPECT_EQ(results[i].outcome, CheckOutcome::Pass)
        << results[i].id << ": " << results[i].message;
    EXPECT_TRUE(results[i].code.empty());
  }
  EXPECT_TRUE(allPassed(results));
}

TEST(Evaluate, NoFactsAtAllIsMissingDataEverywhere) {
  CheckResults results = evaluate(test::goodPolicy(), DeviceFacts{}, kClock);
  for (const auto& r : results) {
    expectOutcome(r, CheckOutcome::MissingData, reason::kCheckMissingData);
  }
  EXPECT_FALSE(allPassed(results));
}

TEST(AmtPresence, PassFailMissing) {
  using check_id::kAmtPresence;
  expectOutcome(evalOne(kAmtPresence,
                        [](Policy& p, DeviceFacts&) { p.amt.presence = AmtRequirement::Required; }),
                CheckOutcome::Pass, "");
  expectOutcome(
      evalOne(kAmtPresence,
              [](Policy& p, DeviceFacts&) { p.amt.presence = AmtRequirement::Forbidden; }),
      CheckOutcome::Fail, reason::kAmtPresence);
  expectOutcome(evalOne(kAmtPresence,
                        [](Policy& p, DeviceFacts& f) {
                          p.amt.presence = AmtRequirement::Required;
                          f.amt->access = AmtAccess::NoAmtClient;
                        }),
                CheckOutcome::Fail, reason::kAmtPresence);
  expectOutcome(evalOne(kAmtPresence, [](Policy&, DeviceFacts& f) { f.amt.reset(); }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
  auto busy = evalOne(kAmtPresence, [](Policy&, DeviceFacts& f) {
    f.amt->access = AmtAccess::Busy;
    f.amt->accessDetail = "LMS holds the AMTHI client";
  });
  expectOutcome(busy, CheckOutcome::MissingData, reason::kCheckMissingData);
  EXPECT_NE(busy.message.find("LMS holds"), std::string::npos);
}

TEST(AmtPresence, AbsentAmtPassesOptionalAndFailsClosedWhenRequired) {
  DeviceFacts f = test::goodFacts();
  f.amt = AmtFacts{};
  f.amt->access = AmtAccess::NoMeiDevice;
  Policy p = test::goodPolicy();
  for (const auto& r : evaluate(p, f, kClock)) {
    EXPECT_EQ(r.outcome, CheckOutcome::Pass) << r.id;
    if (r.id.rfind("amt.", 0) == 0) {
      EXPECT_EQ(r.message, "AMT not present");
    }
  }
  p.amt.presence = AmtRequirement::Required;
  CheckResults results = evaluate(p, f, kClock);
  expectOutcome(results.front(), CheckOutcome::Fail, reason::kAmtPresence);
  for (const auto& r : results) {
    if (r.id.rfind("amt.", 0) == 0 && r.id != check_id::kAmtPresence) {
      EXPECT_EQ(r.outcome, CheckOutcome::MissingData) << r.id;
    }
  }
}

TEST(AmtProvisioningState, PassFailMissing) {
  using check_id::kAmtProvisioningState;
  expectOutcome(evalOne(kAmtProvisioningState,
                        [](Policy& p, DeviceFacts& f) {
                          p.amt.expectedProvisioningStates = {"pre", "post"};
                          f.amt->provisioningState = "post";
                        }),
                CheckOutcome::Pass, "");
  auto r = evalOne(kAmtProvisioningState,
                   [](Policy&, DeviceFacts& f) { f.amt->provisioningState = "in"; });
  expectOutcome(r, CheckOutcome::Fail, reason::kAmtProvisioningState);
  EXPECT_EQ(r.message, "AMT provisioning state is \"in\"; the policy expects \"pre\"");
  expectOutcome(evalOne(kAmtProvisioningState,
                        [](Policy&, DeviceFacts& f) { f.amt->provisioningState.clear(); }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(AmtControlMode, PassFailMissing) {
  using check_id::kAmtControlMode;
  expectOutcome(
      evalOne(kAmtControlMode, [](Policy&, DeviceFacts& f) { f.amt->controlMode = "acm"; }),
      CheckOutcome::Pass, "");
  expectOutcome(
      evalOne(kAmtControlMode, [](Policy&, DeviceFacts& f) { f.amt->controlMode = "client"; }),
      CheckOutcome::Fail, reason::kAmtControlMode);
  expectOutcome(
      evalOne(kAmtControlMode, [](Policy&, DeviceFacts& f) { f.amt->controlMode.clear(); }),
      CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(AmtThumbprints, ActiveDefaultsAreNamedInTheFailure) {
  auto r = evalOne(check_id::kAmtThumbprints, [](Policy&, DeviceFacts& f) {
    f.amt->hashes[0].isActive = true;
    f.amt->hashes[1].isActive = true;
  });
  expectOutcome(r, CheckOutcome::Fail, reason::kAmtForeignThumbprint);
  EXPECT_EQ(
      r.message,
      "Default external CA thumbprints are active in AMT (Go Daddy Class 2 CA, VeriSign Class "
      "3 Primary CA-G5) — reflash with the custom firmware image");
}

TEST(AmtThumbprints, UnknownCustomEntryFailsAndAllowedMatchIsCaseInsensitive) {
  auto r = evalOne(check_id::kAmtThumbprints, [](Policy&, DeviceFacts& f) {
    f.amt->hashes.push_back({"", "sha384", std::string(96, 'e'), false, true});
  });
  expectOutcome(r, CheckOutcome::Fail, reason::kAmtForeignThumbprint);
  EXPECT_NE(r.message.find("Custom thumbprints the policy does not allow are active (sha384:eeee"),
            std::string::npos);
  expectOutcome(evalOne(check_id::kAmtThumbprints,
                        [](Policy& p, DeviceFacts&) {
                          for (char& c : p.amt.allowedThumbprints[0].hash)
                            c = static_cast<char>(std::toupper(c));
                        }),
                CheckOutcome::Pass, "");
  // Same hash under another algorithm label is not the allowed entry.
  expectOutcome(
      evalOne(check_id::kAmtThumbprints,
              [](Policy& p, DeviceFacts&) { p.amt.allowedThumbprints[0].algorithm = "sha384"; }),
      CheckOutcome::Fail, reason::kAmtForeignThumbprint);
}

TEST(AmtThumbprints, NothingActiveWarnsEmptyTableIsMissing) {
  expectOutcome(evalOne(check_id::kAmtThumbprints,
                        [](Policy&, DeviceFacts& f) { f.amt->hashes[2].isActive = false; }),
                CheckOutcome::Warn, reason::kAmtInternalRootInactive);
  expectOutcome(
      evalOne(check_id::kAmtThumbprints, [](Policy&, DeviceFacts& f) { f.amt->hashes.clear(); }),
      CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(AmtThumbprints, LongListsAreCut) {
  auto r = evalOne(check_id::kAmtThumbprints, [](Policy&, DeviceFacts& f) {
    for (int i = 0; i < 20; ++i) {
      f.amt->hashes.push_back(
          {"CA " + std::to_string(i), "sha256", std::string(64, 'd'), true, true});
    }
  });
  EXPECT_NE(r.message.find("CA 7 and 12 more"), std::string::npos) << r.message;
}

TEST(AmtNoSha1, PassFailMissing) {
  using check_id::kAmtNoSha1;
  // An inactive SHA-1 entry is fine.
  expectOutcome(
      evalOne(kAmtNoSha1,
              [](Policy&, DeviceFacts& f) {
                f.amt->hashes.push_back({"Old", "sha1", std::string(40, 'a'), true, false});
              }),
      CheckOutcome::Pass, "");
  auto r = evalOne(kAmtNoSha1, [](Policy&, DeviceFacts& f) {
    f.amt->hashes.push_back({"Old", "sha1", std::string(40, 'a'), true, true});
  });
  expectOutcome(r, CheckOutcome::Fail, reason::kAmtSha1Hash);
  EXPECT_NE(r.message.find("(Old)"), std::string::npos);
  expectOutcome(evalOne(kAmtNoSha1, [](Policy&, DeviceFacts& f) { f.amt->hashes.clear(); }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(AmtDnsSuffix, PassFailMissingAndPolicyIncomplete) {
  using check_id::kAmtDnsSuffix;
  expectOutcome(evalOne(kAmtDnsSuffix,
                        [](Policy&, DeviceFacts& f) { f.amt->dnsSuffix = "Prov.Corp.Example."; }),
                CheckOutcome::Pass, "");
  expectOutcome(
      evalOne(kAmtDnsSuffix, [](Policy&, DeviceFacts& f) { f.amt->dnsSuffix = "evil.example"; }),
      CheckOutcome::Fail, reason::kAmtDnsSuffix);
  expectOutcome(evalOne(kAmtDnsSuffix, [](Policy&, DeviceFacts& f) { f.amt->dnsSuffix.clear(); }),
                CheckOutcome::Fail, reason::kAmtDnsSuffix);
  expectOutcome(evalOne(kAmtDnsSuffix, [](Policy& p, DeviceFacts&) { p.amt.dnsSuffix.clear(); }),
                CheckOutcome::MissingData, reason::kPolicyIncomplete);
}

TEST(AmtRemoteConfiguration, PassFailWarnMissing) {
  using check_id::kAmtRemoteConfiguration;
  expectOutcome(evalOne(kAmtRemoteConfiguration,
                        [](Policy&, DeviceFacts& f) { f.amt->remoteConfigurationEnabled = true; }),
                CheckOutcome::Fail, reason::kAmtRemoteConfiguration);
  expectOutcome(evalOne(kAmtRemoteConfiguration,
                        [](Policy& p, DeviceFacts& f) {
                          p.amt.allowRemoteConfiguration = true;
                          f.amt->remoteConfigurationEnabled = true;
                        }),
                CheckOutcome::Warn, reason::kAmtRemoteConfiguration);
  expectOutcome(evalOne(kAmtRemoteConfiguration,
                        [](Policy&, DeviceFacts& f) { f.amt->remoteConfigurationEnabled.reset(); }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(AmtProvisioningServer, ForbiddenNameOrPortFails) {
  using check_id::kAmtProvisioningServer;
  auto name = evalOne(kAmtProvisioningServer, [](Policy&, DeviceFacts& f) {
    f.amt->configServerFqdn = "provisionserver.corp.example";
  });
  expectOutcome(name, CheckOutcome::Fail, reason::kAmtProvisioningServer);
  auto port = evalOne(kAmtProvisioningServer,
                      [](Policy&, DeviceFacts& f) { f.amt->configServerPort = 9971; });
  expectOutcome(port, CheckOutcome::Fail, reason::kAmtProvisioningServer);
  EXPECT_EQ(port.message, "AMT would contact a provisioning port 9971");
  // A name that only starts with the forbidden word is someone's real server.
  expectOutcome(evalOne(kAmtProvisioningServer,
                        [](Policy&, DeviceFacts& f) {
                          f.amt->configServerFqdn = "provisionserverless.corp.example";
                        }),
                CheckOutcome::Pass, "");
}

TEST(AmtProvisioningServer, DefaultsCountWhileRemoteConfigurationMaySendHellos) {
  using check_id::kAmtProvisioningServer;
  auto unset = [](DeviceFacts& f) {
    f.amt->configServerFqdn.clear();
    f.amt->configServerAddress.clear();
    f.amt->configServerPort = 0;
  };
  expectOutcome(evalOne(kAmtProvisioningServer, [&](Policy&, DeviceFacts& f) { unset(f); }),
                CheckOutcome::Pass, "");
  auto on = evalOne(kAmtProvisioningServer, [&](Policy&, DeviceFacts& f) {
    unset(f);
    f.amt->remoteConfigurationEnabled = true;
  });
  expectOutcome(on, CheckOutcome::Fail, reason::kAmtProvisioningServer);
  EXPECT_EQ(on.message,
            "AMT would contact a provisioning server \"ProvisionServer\" (the default), port 9971 "
            "(the default)");
  expectOutcome(evalOne(kAmtProvisioningServer,
                        [&](Policy&, DeviceFacts& f) {
                          unset(f);
                          f.amt->remoteConfigurationEnabled.reset();
                        }),
                CheckOutcome::Fail, reason::kAmtProvisioningServer);
}

TEST(AmtMeFirmware, PassFailBranchMissing) {
  using check_id::kAmtMeFirmware;
  expectOutcome(
      evalOne(kAmtMeFirmware,
              [](Policy&, DeviceFacts& f) { f.firmware->meFirmwareVersion = "16.1.31.0"; }),
      CheckOutcome::Pass, "");
  auto old = evalOne(kAmtMeFirmware, [](Policy&, DeviceFacts& f) {
    f.firmware->meFirmwareVersion = "0:16.1.25.1865";
  });
  expectOutcome(old, CheckOutcome::Fail, reason::kMeFirmwareOutdated);
  EXPECT_EQ(old.message,
            "ME firmware 16.1.25.1865 is older than the policy minimum 16.1.30.2307 for branch 16");
  // Without a build number the minimum is not proven.
  expectOutcome(evalOne(kAmtMeFirmware,
                        [](Policy&, DeviceFacts& f) { f.firmware->meFirmwareVersion = "16.1.30"; }),
                CheckOutcome::Fail, reason::kMeFirmwareOutdated);
  expectOutcome(
      evalOne(kAmtMeFirmware,
              [](Policy&, DeviceFacts& f) { f.firmware->meFirmwareVersion = "15.0.41.2158"; }),
      CheckOutcome::Fail, reason::kMeFirmwareBranch);
  // Falls back to GetCodeVersions when sysfs has nothing.
  expectOutcome(evalOne(kAmtMeFirmware,
                        [](Policy&, DeviceFacts& f) {
                          f.firmware->meFirmwareVersion.clear();
                          f.amt->amtVersion = "18.0.5";
                          f.amt->buildNumber = "2141";
                        }),
                CheckOutcome::Pass, "");
  expectOutcome(evalOne(kAmtMeFirmware,
                        [](Policy&, DeviceFacts& f) {
                          f.firmware->meFirmwareVersion.clear();
                          f.amt->amtVersion.clear();
                        }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
  expectOutcome(evalOne(kAmtMeFirmware,
                        [](Policy&, DeviceFacts& f) { f.firmware->meFirmwareVersion = "sixteen"; }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
  expectOutcome(
      evalOne(kAmtMeFirmware, [](Policy& p, DeviceFacts&) { p.amt.minimumMeFirmware.clear(); }),
      CheckOutcome::MissingData, reason::kPolicyIncomplete);
}

TEST(ParseDottedVersion, StrictNumbers) {
  EXPECT_EQ(parseDottedVersion("0:16.1.30.2307\n0:16.1.30.2307"),
            (std::vector<std::uint32_t>{16, 1, 30, 2307}));
  EXPECT_EQ(parseDottedVersion("18"), (std::vector<std::uint32_t>{18}));
  EXPECT_TRUE(parseDottedVersion("").empty());
  EXPECT_TRUE(parseDottedVersion("16.").empty());
  EXPECT_TRUE(parseDottedVersion("16..1").empty());
  EXPECT_TRUE(parseDottedVersion("16.1a").empty());
  EXPECT_TRUE(parseDottedVersion("-1.2").empty());
  EXPECT_TRUE(parseDottedVersion("99999999999.1").empty());
  EXPECT_TRUE(parseDottedVersion("1.2.3.4.5.6.7.8.9").empty());
}

TEST(AmtRedirection, PassFailMissing) {
  using check_id::kAmtRedirection;
  expectOutcome(evalOne(kAmtRedirection,
                        [](Policy& p, DeviceFacts& f) {
                          p.amt.allowKvm = true;
                          f.amt->kvmEnabled = true;
                        }),
                CheckOutcome::Pass, "");
  auto r = evalOne(kAmtRedirection, [](Policy&, DeviceFacts& f) {
    f.amt->solEnabled = true;
    f.amt->kvmEnabled = true;
  });
  expectOutcome(r, CheckOutcome::Fail, reason::kAmtRedirection);
  EXPECT_EQ(r.message, "AMT redirection the policy does not allow is enabled: SOL, KVM");
  expectOutcome(
      evalOne(kAmtRedirection, [](Policy&, DeviceFacts& f) { f.amt->iderEnabled.reset(); }),
      CheckOutcome::MissingData, reason::kCheckMissingData);
  // A forbidden feature that is on outranks one that is unknown.
  expectOutcome(evalOne(kAmtRedirection,
                        [](Policy&, DeviceFacts& f) {
                          f.amt->iderEnabled.reset();
                          f.amt->solEnabled = true;
                        }),
                CheckOutcome::Fail, reason::kAmtRedirection);
}

TEST(FirmwareSecureBoot, PassFailWarnMissing) {
  using check_id::kFirmwareSecureBoot;
  expectOutcome(
      evalOne(kFirmwareSecureBoot, [](Policy&, DeviceFacts& f) { f.firmware->secureBoot = false; }),
      CheckOutcome::Fail, reason::kFirmwareSecureBootOff);
  expectOutcome(
      evalOne(kFirmwareSecureBoot, [](Policy&, DeviceFacts& f) { f.firmware->setupMode = true; }),
      CheckOutcome::Fail, reason::kSecureBootSetupMode);
  expectOutcome(evalOne(kFirmwareSecureBoot,
                        [](Policy& p, DeviceFacts& f) {
                          p.tpm.requireSecureBoot = false;
                          f.firmware->secureBoot = false;
                        }),
                CheckOutcome::Warn, reason::kFirmwareSecureBootOff);
  expectOutcome(
      evalOne(kFirmwareSecureBoot, [](Policy&, DeviceFacts& f) { f.firmware->setupMode.reset(); }),
      CheckOutcome::MissingData, reason::kCheckMissingData);
  expectOutcome(evalOne(kFirmwareSecureBoot, [](Policy&, DeviceFacts& f) { f.firmware.reset(); }),
                CheckOutcome::MissingData, reason::kCheckMissingData);
}

TEST(TpmPresent, PassFailWarnMissing) {
  using check_id::kTpmPresent;
  expectOutcome(
      evalOne(kTpmPresent, [](Policy&, DeviceFacts& f) { f.firmware->tpmPresent = false; }),
      CheckOutcome::Fail, reason::kPlatformTpmNotReady);
  expectOutcome(evalOne(kTpmPresent,
                        [](Policy& p, DeviceFacts& f) {
                          p.tpm.noTpm = NoTpmAction::Allow;
                          f.firmware->tpmPresent = false;
                        }),
                CheckOutcome::Warn, reason::kPlatformTpmNotReady);
  expectOutcome(
      evalOne(kTpmPresent, [](Policy&, DeviceFacts& f) { f.firmware->tpmVersion = "1.2"; }),
      CheckOutcome::Fail, reason::kPlatformTpmNotReady);
  expectOutcome(
      evalOne(kTpmPresent, [](Policy&, DeviceFacts& f) { f.firmware->tpmPresent.reset(); }),
      CheckOutcome::MissingData, reason::kCheckMissingData);
  // The verifier's facts win over sysfs.
  auto verifier = [](std::string readiness) {
    return [readiness](Policy&, DeviceFacts& f) {
      TpmFacts t;
      t.present = true;
      t.readiness = readiness;
      f.tpm = t;
    };
  };
  expectOutcome(evalOne(kTpmPresent, verifier("ready")), CheckOutcome::Pass, "");
  expectOutcome(evalOne(kTpmPresent, verifier("lockout")), CheckOutcome::Fail,
                reason::kPlatformTpmNotReady);
  expectOutcome(evalOne(kTpmPresent, verifier("")), CheckOutcome::MissingData,
                reason::kCheckMissingData);
}

// Every check ID has its doc, and every doc belongs to a check ID.
TEST(CheckDocs, OneDocPerCheckIdAndNoOrphans) {
  const std::filesystem::path dir = std::filesystem::path(PB_SOURCE_DIR) / "policy" / "checks";
  std::set<std::string> docs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") docs.insert(entry.path().stem().string());
  }
  std::set<std::string> ids;
  for (auto id : allCheckIds()) ids.insert(std::string(id));
  EXPECT_EQ(docs, ids);
  for (const auto& id : ids) {
    std::ifstream in(dir / (id + ".md"));
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(first, "# " + id) << "the doc's title names its check ID";
  }
}

}  // namespace
}  // namespace pb
