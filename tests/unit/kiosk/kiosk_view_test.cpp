// SPDX-License-Identifier: Apache-2.0
// The view model is the only thing between the inventory and a browser: it must copy the allowed
// fields and nothing else.
#include "kiosk/kiosk_view.hpp"

#include <set>

#include <gtest/gtest.h>

namespace pb {
namespace {

const std::set<std::string> kTileKeys = {"key",           "device_id",  "slot",        "slot_label",
                                         "serial",        "model",      "owner",       "state",
                                         "stage",         "stopped_at", "state_since", "verdict",
                                         "verdict_label", "retryable",  "reason",      "checks"};

DeviceRecord secretLadenDevice() {
  DeviceRecord d;
  d.id = "dev-000042";
  d.registry.serial = "SER-42";
  d.registry.smbiosUuid = "SECRET-UUID-0000";
  d.registry.model = "ThinkPad X1";
  d.registry.owner = "Jane Doe";
  d.registry.ownerEmail = "SECRET-jane@example.com";
  d.registry.tenant = "SECRET-TENANT";
  d.registry.ekSha256 = "SECRET-EK-REGISTERED";
  d.boundEkSha256 = "SECRET-EK-BOUND";
  d.lastSessionId = "s-SECRETSESSION";
  d.blockReason = "SECRET-admin-note";
  d.state = DeviceState::Quarantined;
  d.reasonCode = "PB-1021";
  d.slot = "a1";
  d.stateSince = 1000;
  return d;
}

std::set<std::string> keysOf(const nlohmann::json& j) {
  std::set<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.insert(it.key());
  return k;
}

TEST(KioskView, TileHoldsExactlyTheAllowListedFields) {
  std::map<std::string, std::string> labels = {{"a1", "Bay A / 1"}};
  TileContext ctx;
  ctx.slotLabels = &labels;
  auto tile = tileFromDevice(secretLadenDevice(), ctx);
  EXPECT_EQ(keysOf(tile), kTileKeys);
  const std::string text = tile.dump();
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  EXPECT_EQ(tile["slot_label"], "Bay A / 1");
  EXPECT_EQ(tile["serial"], "SER-42");
  EXPECT_EQ(tile["owner"], "J. D.");  // masked by default
  EXPECT_EQ(tile["verdict"], "needs_approval");
  EXPECT_EQ(tile["verdict_label"], "NEEDS APPROVAL");
  EXPECT_EQ(tile["reason"]["code"], "PB-1021");
  EXPECT_FALSE(tile["reason"]["sentence"].get<std::string>().empty());
  EXPECT_FALSE(tile["reason"]["remediation"].get<std::string>().empty());
}

TEST(KioskView, SessionTileReadsOnlySerialAndModelOfTheClaimedIdentity) {
  SessionRecord s;
  s.id = "s-SECRETSESSION";
  s.source = "127.0.1.3";
  s.slot = "a3";
  s.identity = {{"serial", "<img src=x onerror=alert(1)>"},
                {"model", "Mystery"},
                {"smbios_uuid", "SECRET-UUID"},
                {"token", "SECRET-TOKEN"},
                {"pin", "SECRET-PIN"},
                {"escrow", {{"key", "SECRET-ESCROW"}}},
                {"macs", {"SECRET-MAC"}}};
  s.state = DeviceState::Blocked;
  s.reasonCode = "PB-1001";
  auto tile = tileFromSession(s, TileContext{});
  EXPECT_EQ(keysOf(tile), kTileKeys);
  EXPECT_EQ(tile.dump().find("SECRET"), std::string::npos) << tile.dump();
  // Device-supplied text is passed on verbatim as data; the page renders it as text.
  EXPECT_EQ(tile["serial"], "<img src=x onerror=alert(1)>");
  EXPECT_EQ(tile["device_id"], "");
  EXPECT_EQ(tile["key"].get<std::string>().rfind("u-", 0), 0u);
  EXPECT_EQ(tile["verdict"], "blocked");
  // The same device reconnecting from the same source keeps its tile.
  SessionRecord again = s;
  again.id = "s-other";
  EXPECT_EQ(tileFromSession(again, TileContext{})["key"], tile["key"]);
}

TEST(KioskView, IdentityOfTheWrongTypeIsIgnored) {
  SessionRecord s;
  s.identity = {{"serial", 42}, {"model", {{"x", 1}}}};
  auto tile = tileFromSession(s, TileContext{});
  EXPECT_EQ(tile["serial"], "");
  EXPECT_EQ(tile["model"], "");
  s.identity = nlohmann::json::array();
  EXPECT_EQ(tileFromSession(s, TileContext{})["serial"], "");
}

TEST(KioskView, LongDeviceStringsAreCutOnACodePointBoundary) {
  DeviceRecord d = secretLadenDevice();
  d.registry.model = std::string(kMaxTileStringBytes - 1, 'x') + "\xC3\xA9" + "tail";
  auto tile = tileFromDevice(d, TileContext{});
  const std::string model = tile["model"];
  EXPECT_LE(model.size(), kMaxTileStringBytes + 3);
  EXPECT_EQ(model.find("tail"), std::string::npos);
  EXPECT_NO_THROW((void)tile.dump());  // no split UTF-8 sequence
}

TEST(KioskView, PolicyControlsOwnerAndSerial) {
  TileContext ctx;
  ctx.policy.maskOwnerNames = false;
  ctx.policy.showSerials = false;
  auto tile = tileFromDevice(secretLadenDevice(), ctx);
  EXPECT_EQ(tile["owner"], "Jane Doe");
  EXPECT_EQ(tile["serial"], "…R-42");
}

TEST(KioskView, MaskOwnerName) {
  EXPECT_EQ(maskOwnerName("Jane Doe"), "J. D.");
  EXPECT_EQ(maskOwnerName("  Jane   van der Berg-Smith "), "J. v. d. B.");
  EXPECT_EQ(maskOwnerName("Émile Zola"), "É. Z.");
  EXPECT_EQ(maskOwnerName(""), "");
  EXPECT_EQ(maskOwnerName("   "), "");
  EXPECT_EQ(maskOwnerName("a b c d e f"), "a. b. c. d.");
}

TEST(KioskView, VerdictPerState) {
  EXPECT_EQ(verdictFor(DeviceState::Ready, ""), KioskVerdict::Ready);
  EXPECT_EQ(verdictFor(DeviceState::Quarantined, "PB-1020"), KioskVerdict::NeedsApproval);
  EXPECT_EQ(verdictFor(DeviceState::Blocked, "PB-1003"), KioskVerdict::NeedsApproval);
  EXPECT_EQ(verdictFor(DeviceState::Blocked, "PB-1001"), KioskVerdict::Blocked);
  EXPECT_EQ(verdictFor(DeviceState::Failed, "PB-1030"), KioskVerdict::Failed);
  EXPECT_EQ(verdictFor(DeviceState::NotAttestable, "PB-9002"), KioskVerdict::NotAttestable);
  EXPECT_EQ(verdictFor(DeviceState::Identified, "PB-0100"), KioskVerdict::InProgress);
  EXPECT_EQ(verdictFor(DeviceState::Discovered, ""), KioskVerdict::InProgress);
}

TEST(KioskView, StageProgressAndChecks) {
  DeviceRecord d = secretLadenDevice();
  d.state = DeviceState::Identified;
  d.reasonCode = "PB-0100";
  auto ok = tileFromDevice(d, TileContext{});
  EXPECT_EQ(ok["stage"], 1);
  EXPECT_EQ(ok["stopped_at"], -1);
  ASSERT_EQ(ok["checks"].size(), 1u);
  EXPECT_EQ(ok["checks"][0]["id"], "admission");
  EXPECT_EQ(ok["checks"][0]["outcome"], "pass");

  d.state = DeviceState::Blocked;
  d.reasonCode = "PB-1002";
  auto blocked = tileFromDevice(d, TileContext{});
  EXPECT_EQ(blocked["stage"], -1);
  EXPECT_EQ(blocked["stopped_at"], 1);
  EXPECT_EQ(blocked["checks"][0]["outcome"], "fail");
  EXPECT_EQ(blocked["checks"][0]["code"], "PB-1002");

  // Firmware/AMT findings stop a device at the checks, TPM findings at attestation.
  d.state = DeviceState::Failed;
  d.reasonCode = "PB-2004";
  EXPECT_EQ(tileFromDevice(d, TileContext{})["stopped_at"], 2);
  d.reasonCode = "PB-3010";
  EXPECT_EQ(tileFromDevice(d, TileContext{})["stopped_at"], 3);
  d.state = DeviceState::NotAttestable;
  d.reasonCode = "PB-3001";
  EXPECT_EQ(tileFromDevice(d, TileContext{})["stopped_at"], 3);

  // A device interrupted before admission decided: never shown as a pass.
  d.state = DeviceState::Failed;
  d.reasonCode = "PB-9001";
  EXPECT_EQ(tileFromDevice(d, TileContext{})["checks"][0]["outcome"], "missing_data");

  // Recorded check results are listed after admission, whatever their ids.
  CheckResults more = {{"amt.thumbprints", CheckOutcome::Fail, "PB-2001",
                        "Default external CA thumbprints are active in AMT.",
                        "Reflash with the custom firmware image."}};
  TileContext ctx;
  ctx.checks = &more;
  auto withChecks = tileFromDevice(d, ctx);
  ASSERT_EQ(withChecks["checks"].size(), 2u);
  EXPECT_EQ(withChecks["checks"][1]["id"], "amt.thumbprints");
  EXPECT_EQ(withChecks["checks"][1]["outcome"], "fail");
}

TEST(KioskView, ReadyHasNoReasonAndUnknownCodesStillExplain) {
  DeviceRecord d = secretLadenDevice();
  d.state = DeviceState::Ready;
  d.reasonCode = "";
  EXPECT_TRUE(tileFromDevice(d, TileContext{})["reason"].is_null());
  d.state = DeviceState::Failed;
  d.reasonCode = "PB-7777";
  auto t = tileFromDevice(d, TileContext{});
  EXPECT_EQ(t["reason"]["code"], "PB-7777");
  EXPECT_FALSE(t["reason"]["remediation"].get<std::string>().empty());
}

TEST(KioskView, HeaderBannersAndCounts) {
  FixedClock clock(1'700'000'000);
  KioskHeader h;
  h.benchId = "lab-1";
  h.policyName = "strict";
  h.policyHash = std::string(64, 'a');
  auto plain = headerJson(h, clock, {{"ready", 2}, {"blocked", 1}});
  EXPECT_EQ(plain["policy_hash"], "aaaaaaaaaaaa");
  EXPECT_TRUE(plain["banners"].empty());
  EXPECT_EQ(plain["counts"]["ready"], 2);
  EXPECT_EQ(plain["counts"]["blocked"], 1);
  EXPECT_EQ(plain["counts"]["needs_approval"], 0);

  h.developmentMode = true;
  h.riskySettings = {"enrollment.require_re_enrollment_approval: off for the pilot"};
  h.provisioningCertNotAfter = clock.nowUnix() + 5 * 86400;
  auto loud = headerJson(h, clock, {});
  ASSERT_EQ(loud["banners"].size(), 3u);
  EXPECT_EQ(loud["banners"][0]["kind"], "development");
  EXPECT_EQ(loud["banners"][1]["kind"], "risk");
  EXPECT_EQ(loud["banners"][2]["kind"], "certificate");
  EXPECT_EQ(loud["banners"][2]["severity"], "warning");

  h.provisioningCertNotAfter = clock.nowUnix() - 1;
  EXPECT_EQ(headerJson(h, clock, {})["banners"][2]["severity"], "danger");
  h.provisioningCertNotAfter = clock.nowUnix() + 90 * 86400;  // far away: no banner
  EXPECT_EQ(headerJson(h, clock, {})["banners"].size(), 2u);
}

}  // namespace
}  // namespace pb
