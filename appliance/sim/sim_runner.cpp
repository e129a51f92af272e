// SPDX-License-Identifier: Apache-2.0
#include "sim/sim_runner.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bytes.hpp"
#include "core/files.hpp"
#include "core/parse_number.hpp"
#include "sim/amt_sim_device.hpp"
#include "sim/fault_player.hpp"

extern char** environ;

namespace pb {

bool SimResult::meetsExpectation() const {
  if (device.expectState.empty()) return true;
  return state == device.expectState && (device.expectCode.empty() || code == device.expectCode);
}

Status writeFixtureTree(const FleetDevice& d, const std::string& root) {
  const std::string dmi = root + "/sys/class/dmi/id";
  if (Status st = makeDirs(dmi, 0755); !st.ok()) return st;
  const std::pair<const char*, const std::string*> files[] = {
      {"product_serial", &d.identity.serial},
      {"product_uuid", &d.identity.smbiosUuid},
      {"product_name", &d.identity.model},
      {"sys_vendor", &d.identity.vendor},
      {"board_serial", &d.identity.boardSerial}};
  for (const auto& [name, value] : files) {
    if (Status st = writeFileAtomic(dmi + "/" + name, *value + "\n", 0444); !st.ok()) return st;
  }
  int n = 0;
  for (const auto& mac : d.identity.macs) {
    const std::string dir = root + "/sys/class/net/eth" + std::to_string(n++);
    if (Status st = makeDirs(dir + "/device", 0755); !st.ok()) return st;
    if (Status st = writeFileAtomic(dir + "/address", mac + "\n", 0444); !st.ok()) return st;
  }
  return writeFirmwareTree(d, root);
}

namespace {

struct Child {
  pid_t pid = -1;
  std::string outPath;
};

// How a device's agent reaches its TPM.
struct AgentTpm {
  std::string tcti = kNoTpmTcti;
  std::string eventLog;
  std::string tamper;  // non-empty: run provbench-sim-agent with these switches
};

Result<Child> spawnAgent(const FleetDevice& d, const SimOptions& o, const std::string& dir,
                         const std::string& amtSocket, const AgentTpm& tpm) {
  Child c;
  c.outPath = dir + "/agent.json";
  const std::string errPath = dir + "/agent.log";
  const std::string program = tpm.tamper.empty() ? o.agentPath : o.simAgentPath;
  std::vector<std::string> args = {program,        "--appliance",  o.appliance,
                                   "--pin",        o.pinFile,      "--root",
                                   dir + "/root",  "--timeout-ms", std::to_string(o.timeoutMs),
                                   "--json",       "--tcti",       tpm.tcti,
                                   "--amt-socket", amtSocket};
  if (!tpm.eventLog.empty()) {
    args.emplace_back("--event-log");
    args.push_back(tpm.eventLog);
  }
  if (!tpm.tamper.empty()) {
    args.emplace_back("--tamper");
    args.push_back(tpm.tamper);
  }
  if (!d.source.empty()) {
    args.emplace_back("--bind");
    args.push_back(d.source);
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, c.outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int rc = posix_spawn(&c.pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    return makeError("spawn", "cannot start " + program + ": " + std::strerror(rc));
  }
  return c;
}

}  // namespace

namespace {

bool splitAppliance(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  auto p = parseInteger<std::uint16_t>(std::string_view(s).substr(colon + 1), 1, 65535);
  if (!p) return false;
  port = *p;
  return true;
}

void readAgentOutput(const std::string& path, SimResult& r) {
  Result<std::string> out = readFileBounded(path, 64 * 1024);
  if (!out.ok()) return;
  nlohmann::json j = nlohmann::json::parse(*out, nullptr, false);
  if (!j.is_object()) return;
  r.state = j.value("state", "");
  r.code = j.value("code", "");
  r.message = j.value("message", "");
  r.remediation = j.value("remediation", "");
  r.deviceId = j.value("device_id", "");
  if (j.contains("tpm_ms") && j["tpm_ms"].is_number()) r.tpmMs = j["tpm_ms"].get<double>();
  if (r.exitCode == 4) {
    // The agent refused the appliance: that is the verdict of a wrong-pin device.
    r.state = "appliance_refused";
    r.code = "pin_mismatch";
  }
}

struct TpmSetup {
  std::unique_ptr<ManufacturerCa> trusted, untrusted;
};

// The simulated manufacturer, made once per run if any device has a TPM.
Result<TpmSetup> makeManufacturer(const Fleet& fleet, const SimOptions& o) {
  TpmSetup s;
  bool any = false;
  for (const auto& d : fleet.devices) any = any || d.tpm.has_value();
  if (!any) return s;
  auto trusted = ManufacturerCa::create("provbench simulated TPM manufacturer");
  if (!trusted.ok()) return trusted.error();
  auto untrusted = ManufacturerCa::create("provbench untrusted TPM manufacturer");
  if (!untrusted.ok()) return untrusted.error();
  s.trusted = std::move(*trusted);
  s.untrusted = std::move(*untrusted);
  const std::string roots = o.tpmRootsDir.empty() ? o.workDir + "/tpm-roots" : o.tpmRootsDir;
  // Each run is a new manufacturer CA. When a shared roots directory already holds an earlier
  // run's CA (devices it certified may still be on the bench), add this one beside it, as a real
  // roots directory holds several vendors.
  struct stat st {};
  const std::string prefix =
      ::stat((roots + "/root.pem").c_str(), &st) == 0 ? "sim-" + randomHex(4) + "-" : "";
  if (Status w = s.trusted->writePems(roots, prefix); !w.ok()) return w.error();
  return s;
}

// Starts and provisions the device's swtpm; fills in how its agent reaches it.
Result<SimTpm> setUpDeviceTpm(const FleetDevice& d, const SimOptions& o, const TpmSetup& setup,
                              const std::string& dir, AgentTpm& agentTpm) {
  const FleetTpm& t = *d.tpm;
  SimTpmSpec spec;
  spec.ekAlgorithm = t.ek == "rsa" ? KeyAlgorithm::Rsa2048 : KeyAlgorithm::EccP256;
  spec.ekCert = t.ekCert == "none"        ? EkCertMode::None
                : t.ekCert == "untrusted" ? EkCertMode::Untrusted
                                          : EkCertMode::Trusted;
  spec.notReady = t.notReady;
  SimBootEvents boot;
  if (o.bootEvents) {
    auto b = o.bootEvents(d);
    if (!b.ok()) return b.error().withContext("boot events");
    boot = std::move(*b);
  }
  spec.extends = boot.extends;
  const std::string state = dir + "/tpm";
  if (Status st = makeDirs(state, 0700); !st.ok()) return st.error();
  auto sim = provisionSimTpm(state, spec, *setup.trusted, *setup.untrusted);
  if (!sim.ok()) return sim.error();
  agentTpm.tcti = sim->process->tcti();
  agentTpm.eventLog = dir + "/binary_bios_measurements";
  if (Status st = writeFileAtomic(agentTpm.eventLog,
                                  std::string(boot.eventLog.begin(), boot.eventLog.end()), 0644);
      !st.ok()) {
    return st.error();
  }
  // provbench-sim-agent --tamper names (sim/tampering_responder.hpp).
  const std::pair<bool, const char*> tamper[] = {{t.replayQuote, "replay_quote"},
                                                 {t.wrongNonce, "wrong_nonce"},
                                                 {t.akUnrestricted, "ak_unrestricted"},
                                                 {t.narrowPcrSelection, "narrow_pcr_selection"}};
  for (const auto& [on, name] : tamper) {
    if (on) agentTpm.tamper += (agentTpm.tamper.empty() ? "" : ",") + std::string(name);
  }
  if (o.onTpmProvisioned) {
    if (Status st = o.onTpmProvisioned(d, *sim); !st.ok()) return st.error();
  }
  return sim;
}

}  // namespace

Result<std::vector<SimResult>> runFleet(const Fleet& fleet, const SimOptions& options) {
  SimOptions o = options;
  if (o.simAgentPath.empty()) {
    const auto slash = o.agentPath.rfind('/');
    o.simAgentPath =
        (slash == std::string::npos ? std::string() : o.agentPath.substr(0, slash + 1)) +
        "provbench-sim-agent";
  }
  std::string host;
  std::uint16_t port = 0;
  if (!splitAppliance(o.appliance, host, port)) {
    return makeError("usage", "--appliance must be HOST:PORT, got " + o.appliance);
  }
  auto manufacturer = makeManufacturer(fleet, o);
  if (!manufacturer.ok()) return manufacturer.error().withContext("simulated TPM manufacturer");
  std::vector<SimResult> results(fleet.devices.size());
  // Each swtpm lives until every agent has finished (destroying a SimTpm stops its swtpm).
  std::vector<SimTpm> tpms;
  std::vector<std::pair<std::size_t, Child>> children;
  std::vector<std::thread> faults;
  // Each agent's AMT firmware simulator serves until every agent has finished.
  std::vector<std::unique_ptr<AmtSimServer>> amtSims;
  for (std::size_t i = 0; i < fleet.devices.size(); ++i) {
    const FleetDevice& d = fleet.devices[i];
    results[i].device = d;
    const std::string dir = o.workDir + "/" + d.name;
    if (Status st = writeFixtureTree(d, dir + "/root"); !st.ok()) {
      return st.error().withContext("device " + d.name);
    }
    if (isProtocolFault(d.fault)) {
      // Each writes only its own result slot.
      faults.emplace_back([&results, i, &d, host, port, &o] {
        FaultOutcome f = playFault(d, host, port, o.pinFile, o.timeoutMs);
        results[i].state = f.state;
        results[i].code = f.code;
        results[i].message = f.message;
      });
      continue;
    }
    SimOptions agentOptions = o;
    if (d.fault == "wrong_pin") {
      agentOptions.pinFile = dir + "/wrong.pin";
      if (Status st = writeFileAtomic(agentOptions.pinFile, "sha256:" + randomHex(32) + "\n", 0644);
          !st.ok()) {
        return st.error();
      }
    }
    const std::string amtSocket = dir + "/amt.sock";
    FleetDevice withHello = d;
    if (withHello.amt.hello.target.empty()) withHello.amt.hello.target = o.amtHelloTarget;
    auto sim = startAmtSimDevice(withHello, amtSocket);
    if (!sim.ok()) return sim.error();
    amtSims.push_back(std::move(*sim));
    AgentTpm agentTpm;
    if (d.tpm) {
      auto tpmSim = setUpDeviceTpm(d, o, *manufacturer, dir, agentTpm);
      if (!tpmSim.ok()) return tpmSim.error().withContext("device " + d.name + " TPM");
      results[i].ekPublic = tpmSim->ekPublic;
      tpms.push_back(std::move(*tpmSim));
    }
    Result<Child> c = spawnAgent(d, agentOptions, dir, amtSocket, agentTpm);
    if (!c.ok()) return c.error();
    children.emplace_back(i, *c);
  }
  for (auto& [i, child] : children) {
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    results[i].exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    readAgentOutput(child.outPath, results[i]);
  }
  for (auto& t : faults) t.join();
  return results;
}

std::string renderSummary(const std::vector<SimResult>& results) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"DEVICE", "SLOT-SOURCE", "SERIAL", "DEVICE-ID", "STATE", "CODE", "EXPECTED", ""});
  int met = 0;
  for (const auto& r : results) {
    std::string expected =
        r.device.expectState.empty()
            ? "-"
            : r.device.expectState + (r.device.expectCode.empty() ? "" : " " + r.device.expectCode);
    bool ok = r.meetsExpectation();
    met += ok ? 1 : 0;
    rows.push_back({r.device.name, r.device.source.empty() ? "-" : r.device.source,
                    r.device.identity.serial.empty() ? "(empty)" : r.device.identity.serial,
                    r.deviceId.empty() ? "-" : r.deviceId, r.state.empty() ? "(none)" : r.state,
                    r.code.empty() ? "-" : r.code, expected, ok ? "ok" : "MISMATCH"});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream os;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      os << row[c];
      if (c + 1 < row.size()) os << std::string(width[c] - row[c].size() + 2, ' ');
    }
    os << "\n";
  }
  os << "\n";
  for (const auto& r : results) {
    if (r.state == "ready" || r.message.empty()) continue;
    os << r.device.name << ": " << r.message << "\n";
    if (!r.remediation.empty()) os << "    what to do: " << r.remediation << "\n";
  }
  os << "\n" << met << " of " << results.size() << " devices met their expectation\n";
  return os.str();
}

nlohmann::json summaryJson(const std::vector<SimResult>& results) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : results) {
    arr.push_back({{"name", r.device.name},
                   {"source", r.device.source},
                   {"serial", r.device.identity.serial},
                   {"device_id", r.deviceId},
                   {"exit_code", r.exitCode},
                   {"state", r.state},
                   {"code", r.code},
                   {"message", r.message},
                   {"expect_state", r.device.expectState},
                   {"expect_code", r.device.expectCode},
                   {"meets_expectation", r.meetsExpectation()},
                   {"tpm_ms", r.tpmMs},
                   {"ek_pub", toHex(r.ekPublic)}});
  }
  return arr;
}

}  // namespace pb
