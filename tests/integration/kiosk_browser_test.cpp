// SPDX-License-Identifier: Apache-2.0
// The kiosk in a real browser: Debian's headless Chromium, driven over CDP, against a real benchd
// running the demo fleet (real bench-agent processes via provbench-sim) plus a device whose serial
// is markup. Checks: no console errors; every device shows its expected verdict and reason; a
// state change arrives live; markup from a device stays text and runs no script; no secret of the
// run reaches the page or the WebSocket traffic. Screenshots go to build/<preset>/artifacts/kiosk.
#include <algorithm>
#include <filesystem>
#include <set>

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cdp_client.hpp"
#include "harness.hpp"

namespace pb::test {
namespace {

std::string demo(const std::string& f) {
  return sourceDir() + "/appliance/demo/" + f;
}

// The admission fleets (no stages run): one device per admission outcome.
std::string fleets(const std::string& f) {
  return sourceDir() + "/tests/fixtures/fleets/" + f;
}

std::string artifactsDir() {
  std::string dir = binDir() + "/../artifacts/kiosk";
  std::filesystem::create_directories(dir);
  return dir;
}

const char* const kXssSerial = "<img src=x onerror=alert(1)>";

// The demo fleet plus a device whose identity is markup (unregistered: blocked PB-1001).
std::string fleetWithXss() {
  return readFile(fleets("admission.yaml")) +
         "  - name: markup-serial\n"
         "    source: 127.0.2.3\n"
         "    serial: \"<img src=x onerror=alert(1)>\"\n"
         "    smbios_uuid: 5e0c1f3a-2b4d-4c6e-8f10-2a3b4c5d6e7f\n"
         "    model: \"<script>window.pwned=1</script>\"\n"
         "    vendor: Evil\n"
         "    macs: [\"02:00:00:00:00:99\"]\n"
         "    expect: {state: blocked, code: PB-1001}\n";
}

// Everything secret the run produced: each key file's content and its non-armour lines (PEM
// bodies), plus the agent pin.
std::vector<std::string> secretsOf(const std::string& stateDir, const std::string& pin) {
  std::vector<std::string> out = {pin};
  for (const auto& e : std::filesystem::directory_iterator(stateDir + "/keys")) {
    std::string text = readFile(e.path().string());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.size() >= 8) out.push_back(text);
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      if (line.size() >= 16 && line.rfind("-----", 0) != 0) out.push_back(line);
      start = end + 1;
    }
  }
  return out;
}

class KioskBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BenchdOptions o;
    o.policyYaml = readFile(demo("policy.yaml"));
    o.extraConfig =
        "kiosk:\n  enabled: true\n  port: 0\n"
        "slots:\n"
        "  - {id: a1, label: \"A1\", source: 127.0.1.1}\n"
        "  - {id: a2, label: \"A2\", source: 127.0.1.2}\n"
        "  - {id: a3, label: \"A3\", source: 127.0.1.3}\n"
        "  - {id: a4, label: \"A4\", source: 127.0.1.4}\n"
        "  - {id: b1, label: \"B1\", source: 127.0.1.5}\n"
        "  - {id: b2, label: \"B2\", source: 127.0.1.6}\n"
        "  - {id: b3, label: \"B3\", source: 127.0.1.7}\n"
        "  - {id: b4, label: \"B4\", source: 127.0.1.8}\n";
    benchd_ = std::make_unique<Benchd>(dir_.path(), o);
    ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
    kioskPort_ = benchd_->ready().value("kiosk_port", 0);
    ASSERT_NE(kioskPort_, 0) << benchd_->ready().dump();
    RunResult imp = benchd_->benchctl({"registry", "import", demo("registry.csv")});
    ASSERT_EQ(imp.exitCode, 0) << imp.out << imp.err;
    RunResult blk = benchd_->benchctl({"block", "dev-000003", "--reason", "reported stolen"});
    ASSERT_EQ(blk.exitCode, 0) << blk.out << blk.err;
    std::filesystem::create_directories(dir_.file("chromium"));
    browser_ = std::make_unique<Browser>(dir_.file("chromium"));
    for (const char* domain : {"Runtime.enable", "Page.enable", "Network.enable", "Log.enable"}) {
      browser_->page(domain);
    }
  }
  void TearDown() override {
    browser_.reset();
    if (benchd_) benchd_->stop();
  }

  RunResult sim(const std::string& fleetFile) {
    SpawnOptions so;
    so.args = {binDir() + "/provbench-sim",
               "--fleet",
               fleetFile,
               "--appliance",
               benchd_->appliance(),
               "--pin",
               benchd_->pinFile(),
               "--workdir",
               dir_.file("sim-" + std::to_string(simRuns_++)),
               "--json"};
    return run(so);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(kioskPort_) + "/"; }

  // Tiles as the page shows them: serial -> {verdict, code, text}.
  std::map<std::string, nlohmann::json> tiles() {
    auto list = browser_->eval(R"(
      [...document.querySelectorAll('.tile')].map((t) => ({
        serial: t.querySelector('.serial').textContent.replace(/^S\/N /, ''),
        verdict: t.dataset.verdict,
        label: t.querySelector('.verdict-text').textContent,
        code: (t.querySelector('.reason .code') || {textContent: ''}).textContent.split(' ')[0],
        sentence: (t.querySelector('.reason .sentence') || {textContent: ''}).textContent,
        fix: (t.querySelector('.reason .fix') || {textContent: ''}).textContent,
        slot: t.closest('.slot').dataset.slot,
      })))");
    std::map<std::string, nlohmann::json> out;
    for (const auto& t : list) out[t["serial"].get<std::string>()] = t;
    return out;
  }

  std::vector<std::string> consoleProblems() {
    std::vector<std::string> out;
    for (const auto& e : browser_->cdp().events()) {
      const std::string m = e.value("method", "");
      const auto& p = e.contains("params") ? e["params"] : nlohmann::json::object();
      if (m == "Runtime.exceptionThrown") out.push_back(p.dump());
      if (m == "Runtime.consoleAPICalled" &&
          (p.value("type", "") == "error" || p.value("type", "") == "warning")) {
        out.push_back(p.dump());
      }
      if (m == "Log.entryAdded" && p.contains("entry") &&
          (p["entry"].value("level", "") == "error" ||
           p["entry"].value("level", "") == "warning")) {
        out.push_back(p.dump());
      }
    }
    return out;
  }

  bool dialogOpened() {
    for (const auto& e : browser_->cdp().events()) {
      if (e.value("method", "") == "Page.javascriptDialogOpening") return true;
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<Benchd> benchd_;
  std::unique_ptr<Browser> browser_;
  std::uint16_t kioskPort_ = 0;
  int simRuns_ = 0;
};

TEST_F(KioskBrowserTest, FleetOnTheKioskLiveSafeAndSecretFree) {
  // 1. The page loads (empty bench) with no console errors.
  browser_->page("Page.navigate", {{"url", url()}});
  ASSERT_TRUE(browser_->waitFor("window.kioskProbe && window.kioskProbe.snapshots >= 1"));
  EXPECT_EQ(browser_->eval("document.querySelectorAll('.tile').length").get<int>(), 0);
  EXPECT_EQ(browser_->eval("document.getElementById('bench-id').textContent").get<std::string>(),
            "test-bench");
  browser_->screenshot(artifactsDir() + "/01-empty-bench.png");

  // 2. The fleet arrives while the page is open: every tile comes as a live event.
  writeFile(dir_.file("fleet.yaml"), fleetWithXss());
  RunResult r = sim(dir_.file("fleet.yaml"));
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  auto results = nlohmann::json::parse(r.out);
  std::map<std::string, std::pair<std::string, std::string>> expected;  // serial -> verdict, code
  for (const auto& d : results) {
    const std::string state = d.value("expect_state", "");
    const std::string code = d.value("expect_code", "");
    const std::string verdict = state == "identified"    ? "in_progress"
                                : state == "blocked"     ? "blocked"
                                : state == "quarantined" ? "needs_approval"
                                : state == "failed"      ? "failed"
                                                         : "";
    if (verdict.empty()) continue;  // refused the appliance / rejected before a session
    expected[d.value("serial", "")] = {verdict, code};
  }
  ASSERT_GE(expected.size(), 9u) << r.out;
  ASSERT_TRUE(browser_->waitFor("document.querySelectorAll('.tile').length >= " +
                                std::to_string(expected.size())))
      << browser_->eval("document.querySelectorAll('.tile').length").dump();
  EXPECT_EQ(browser_->eval("window.kioskProbe.snapshots").get<int>(), 1);  // no resync needed
  auto shown = tiles();
  for (const auto& [serial, want] : expected) {
    SCOPED_TRACE(serial);
    ASSERT_EQ(shown.count(serial), 1u);
    EXPECT_EQ(shown[serial]["verdict"], want.first);
    EXPECT_EQ(shown[serial]["code"], want.second);
    EXPECT_FALSE(shown[serial]["sentence"].get<std::string>().empty());
    EXPECT_FALSE(shown[serial]["fix"].get<std::string>().empty());
  }
  EXPECT_EQ(shown["PF3ABC01"]["slot"], "a1");
  EXPECT_EQ(shown["PF3ABC08"]["label"], "NEEDS APPROVAL");
  EXPECT_EQ(shown["PF3ABC09"]["slot"], "");  // 127.0.2.1 is in no slot: unassigned row
  browser_->screenshot(artifactsDir() + "/02-fleet.png");

  // 3. Markup from a device is text: shown literally, no element made of it, no script run.
  ASSERT_EQ(shown.count(kXssSerial), 1u);
  EXPECT_EQ(browser_->eval("document.querySelectorAll('img').length").get<int>(), 0);
  EXPECT_EQ(browser_->eval("document.querySelectorAll('script').length").get<int>(), 1);
  EXPECT_TRUE(browser_->eval("typeof window.pwned === 'undefined'").get<bool>());
  EXPECT_TRUE(
      browser_->eval("document.body.textContent.includes('<script>window.pwned=1</script>')")
          .get<bool>());
  EXPECT_FALSE(dialogOpened());

  // 4. The detail view lists every check with its outcome.
  browser_->eval("document.querySelector('.tile[data-verdict=\"needs_approval\"]').click(), true");
  ASSERT_TRUE(browser_->waitFor("!document.getElementById('detail').hidden"));
  auto checks = browser_->eval(
      "[...document.querySelectorAll('#detail-checks tr')].map((r) => r.textContent)");
  ASSERT_GE(checks.size(), 1u);
  EXPECT_NE(checks[0].get<std::string>().find("admission"), std::string::npos);
  EXPECT_NE(checks[0].get<std::string>().find("PB-1021"), std::string::npos);
  browser_->screenshot(artifactsDir() + "/03-detail.png");
  browser_->eval("document.getElementById('detail-close').click(), true");

  // 5. A state change arrives live: approve the quarantined device and reconnect it.
  RunResult ap = benchd_->benchctl({"approve", "dev-000006", "--reason", "mainboard swap"});
  ASSERT_EQ(ap.exitCode, 0) << ap.out << ap.err;
  RunResult again = sim(fleets("admission-after-approval.yaml"));
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err;
  ASSERT_TRUE(browser_->waitFor(
      "document.querySelector('.tile[data-key=\"dev-000006\"]').dataset.verdict === "
      "'in_progress'"));
  EXPECT_EQ(tiles()["PF3ABC08"]["code"], "PB-0100");
  EXPECT_EQ(browser_->eval("window.kioskProbe.snapshots").get<int>(), 1);
  browser_->screenshot(artifactsDir() + "/04-after-approval.png");

  // 6. No console errors, no dialogs, over the whole run.
  auto problems = consoleProblems();
  EXPECT_TRUE(problems.empty()) << nlohmann::json(problems).dump(2);
  EXPECT_FALSE(dialogOpened());

  // 7. No secret of this run in the page or in any WebSocket frame the browser received.
  const std::string pin = benchd_->ready().value("pin", "");
  ASSERT_FALSE(pin.empty());
  auto secrets = secretsOf(benchd_->stateDir(), pin);
  ASSERT_GE(secrets.size(), 3u);
  std::string traffic = browser_->eval("document.documentElement.outerHTML").get<std::string>();
  int frames = 0;
  for (const auto& e : browser_->cdp().events()) {
    if (e.value("method", "") == "Network.webSocketFrameReceived") {
      traffic += "\n" + e["params"]["response"].value("payloadData", "");
      ++frames;
    }
  }
  EXPECT_GE(frames, 2);
  EXPECT_NE(traffic.find("PF3ABC01"), std::string::npos);  // the scan sees real content
  for (const auto& s : secrets) {
    EXPECT_EQ(traffic.find(s), std::string::npos) << "secret of " << s.size() << " bytes leaked";
  }
  // Owner names are masked (policy default): "Ada Lovelace" never appears, "A. L." does.
  EXPECT_EQ(traffic.find("Lovelace"), std::string::npos);
  EXPECT_EQ(traffic.find("acme.example"), std::string::npos);  // owner e-mail domain
}

TEST_F(KioskBrowserTest, PageResynchronisesAfterABenchdRestart) {
  browser_->page("Page.navigate", {{"url", url()}});
  ASSERT_TRUE(browser_->waitFor("window.kioskProbe && window.kioskProbe.snapshots >= 1"));
  // Same kiosk port on the next start, so the page can find benchd again.
  benchd_->stop();
  ASSERT_TRUE(browser_->waitFor("!window.kioskProbe.connected"));
  EXPECT_NE(browser_->eval("document.getElementById('conn').textContent")
                .get<std::string>()
                .find("reconnecting"),
            std::string::npos);
  auto& o = benchd_->options();
  o.extraConfig.replace(o.extraConfig.find("port: 0"), 7, "port: " + std::to_string(kioskPort_));
  ASSERT_TRUE(benchd_->start()) << benchd_->process()->err();
  ASSERT_TRUE(browser_->waitFor("window.kioskProbe.snapshots >= 2 && window.kioskProbe.connected",
                                std::chrono::seconds(30)));
  // The new snapshot is live: a device arriving now shows up.
  RunResult r = sim(fleets("admission-after-approval.yaml"));
  ASSERT_TRUE(browser_->waitFor("document.querySelectorAll('.tile').length >= 1"))
      << r.out << r.err;
  auto problems = consoleProblems();
  // A refused connection while benchd is down is logged by the browser; nothing else may be.
  problems.erase(std::remove_if(problems.begin(), problems.end(),
                                [](const std::string& p) {
                                  return p.find("WebSocket connection") != std::string::npos ||
                                         p.find("ERR_CONNECTION_REFUSED") != std::string::npos;
                                }),
                 problems.end());
  EXPECT_TRUE(problems.empty()) << nlohmann::json(problems).dump(2);
}

}  // namespace
}  // namespace pb::test
