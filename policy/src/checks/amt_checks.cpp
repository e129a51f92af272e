// SPDX-License-Identifier: Apache-2.0
// The amt.* checks (reference: shared/reference/amt.md §9, §11, §14, §15.1). Each one is
// documented in policy/checks/<id>.md; keep the two in step.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "checks/check_helpers.hpp"
#include "facts/device_facts.hpp"
#include "policy/evaluate.hpp"

namespace pb::checks {

namespace {

constexpr std::uint16_t kDefaultProvisioningPort = 9971;
constexpr std::string_view kDefaultProvisioningServer = "ProvisionServer";

std::string quoteList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const auto& s : items) quoted.push_back("\"" + s + "\"");
  return joinLimited(quoted);
}

// How a hash entry is named in messages: the firmware's name, else the start of its hash.
std::string entryName(const AmtHashEntry& e) {
  if (!e.name.empty()) return e.name;
  return e.algorithm + ":" + e.hash.substr(0, 16) + "…";
}

bool isAllowed(const Policy& policy, const AmtHashEntry& e) {
  return std::any_of(policy.amt.allowedThumbprints.begin(), policy.amt.allowedThumbprints.end(),
                     [&](const AmtThumbprint& t) {
                       return lowerAscii(t.algorithm) == e.algorithm &&
                              lowerAscii(t.hash) == e.hash;
                     });
}

// "ProvisionServer" matches "provisionserver" and "ProvisionServer.corp.example" (AMT appends
// the MEBx domain and the DHCP suffix to the bare name, §11.1).
bool namesForbiddenServer(const std::string& configured, const std::string& forbidden) {
  const std::string c = lowerAscii(configured);
  const std::string f = lowerAscii(forbidden);
  if (c.empty() || f.empty()) return false;
  return c == f || (c.size() > f.size() && c.compare(0, f.size(), f) == 0 && c[f.size()] == '.');
}

std::string normaliseSuffix(std::string s) {
  s = lowerAscii(s);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

CheckResult checkAmtPresence(const Policy& policy, const DeviceFacts& facts) {
  const auto id = check_id::kAmtPresence;
  const AmtRequirement want = policy.amt.presence;
  switch (amtSeen(facts)) {
    case AmtSeen::Unknown: {
      std::string why =
          !facts.amt
              ? "the agent reported no AMT facts"
              : "the AMT state could not be read (" + std::string(toString(facts.amt->access)) +
                    (facts.amt->accessDetail.empty() ? std::string()
                                                     : ": " + facts.amt->accessDetail) +
                    ")";
      return missing(id, why);
    }
    case AmtSeen::Present:
      if (want == AmtRequirement::Forbidden) {
        return fail(id, reason::kAmtPresence, "AMT is present but the policy forbids it");
      }
      return pass(id, facts.amt->amtVersion.empty() ? "AMT present"
                                                    : "AMT " + facts.amt->amtVersion + " present");
    case AmtSeen::Absent:
      if (want == AmtRequirement::Required) {
        return fail(id, reason::kAmtPresence,
                    "AMT is not present (" + std::string(toString(facts.amt->access)) +
                        ") but the policy requires it");
      }
      return pass(id, "AMT not present");
  }
  return missing(id, "the AMT state could not be read from the device");
}

CheckResult checkProvisioningState(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtProvisioningState;
  const auto& expected = policy.amt.expectedProvisioningStates;
  if (amt.provisioningState.empty())
    return missing(id, "AMT did not report its provisioning state");
  if (std::find(expected.begin(), expected.end(), amt.provisioningState) == expected.end()) {
    return fail(id, reason::kAmtProvisioningState,
                "AMT provisioning state is \"" + amt.provisioningState + "\"; the policy expects " +
                    quoteList(expected));
  }
  return pass(id, "AMT provisioning state is \"" + amt.provisioningState + "\"");
}

CheckResult checkControlMode(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtControlMode;
  const auto& expected = policy.amt.expectedControlModes;
  if (amt.controlMode.empty()) return missing(id, "AMT did not report its control mode");
  if (std::find(expected.begin(), expected.end(), amt.controlMode) == expected.end()) {
    return fail(id, reason::kAmtControlMode,
                "AMT control mode is \"" + amt.controlMode + "\"; the policy expects " +
                    quoteList(expected));
  }
  return pass(id, "AMT control mode is \"" + amt.controlMode + "\"");
}

CheckResult checkThumbprints(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtThumbprints;
  // Real firmware always carries its factory entries (they can be deactivated, not deleted), so
  // an empty table means it was not read.
  if (amt.hashes.empty()) return missing(id, "AMT reported no trusted-root hash table");
  std::vector<std::string> foreignDefaults;
  std::vector<std::string> foreignCustom;
  std::vector<std::string> allowedActive;
  for (const auto& e : amt.hashes) {
    if (!e.isActive) continue;
    if (isAllowed(policy, e)) {
      allowedActive.push_back(entryName(e));
    } else if (e.isDefault) {
      foreignDefaults.push_back(entryName(e));
    } else {
      foreignCustom.push_back(entryName(e));
    }
  }
  if (!foreignDefaults.empty() || !foreignCustom.empty()) {
    std::string msg;
    if (!foreignDefaults.empty()) {
      msg = "Default external CA thumbprints are active in AMT (" + joinLimited(foreignDefaults) +
            ")";
    }
    if (!foreignCustom.empty()) {
      msg += (msg.empty() ? "Custom" : "; custom") +
             std::string(" thumbprints the policy does not allow are active (") +
             joinLimited(foreignCustom) + ")";
    }
    msg += foreignDefaults.empty()
               ? " — deactivate them in MEBx or add them to amt.allowed_thumbprints"
               : " — reflash with the custom firmware image";
    return fail(id, reason::kAmtForeignThumbprint, msg);
  }
  if (allowedActive.empty()) {
    return warn(id, reason::kAmtInternalRootInactive,
                "No trusted-root hash is active in AMT, including the internal CA's");
  }
  return pass(id, "Only allowed thumbprints are active (" + joinLimited(allowedActive) + ")");
}

CheckResult checkNoSha1(const AmtFacts& amt) {
  const auto id = check_id::kAmtNoSha1;
  if (amt.hashes.empty()) return missing(id, "AMT reported no trusted-root hash table");
  std::vector<std::string> sha1;
  for (const auto& e : amt.hashes) {
    if (e.isActive && e.algorithm == "sha1") sha1.push_back(entryName(e));
  }
  if (!sha1.empty()) {
    return fail(id, reason::kAmtSha1Hash,
                "Active SHA-1 trusted-root hashes in AMT (" + joinLimited(sha1) + ")");
  }
  return pass(id, "No active SHA-1 trusted-root hash");
}

CheckResult checkDnsSuffix(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtDnsSuffix;
  const std::string want = normaliseSuffix(policy.amt.dnsSuffix);
  if (want.empty()) {
    return missing(id, "the policy names no internal DNS suffix (amt.dns_suffix)",
                   reason::kPolicyIncomplete);
  }
  const std::string have = normaliseSuffix(amt.dnsSuffix);
  if (have.empty()) {
    return fail(id, reason::kAmtDnsSuffix,
                "AMT has no PKI DNS suffix set; the policy expects \"" + want + "\"");
  }
  if (have != want) {
    return fail(id, reason::kAmtDnsSuffix,
                "AMT's PKI DNS suffix is \"" + amt.dnsSuffix + "\", not \"" + want + "\"");
  }
  return pass(id, "AMT's PKI DNS suffix is \"" + want + "\"");
}

CheckResult checkRemoteConfiguration(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtRemoteConfiguration;
  if (!amt.remoteConfigurationEnabled) {
    return missing(id, "AMT did not report whether remote configuration is enabled");
  }
  if (*amt.remoteConfigurationEnabled) {
    if (policy.amt.allowRemoteConfiguration) {
      return warn(id, reason::kAmtRemoteConfiguration,
                  "AMT remote configuration is enabled (the policy accepts it)");
    }
    return fail(id, reason::kAmtRemoteConfiguration, "AMT remote configuration is enabled");
  }
  return pass(id, "AMT remote configuration is disabled");
}

CheckResult checkProvisioningServer(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtProvisioningServer;
  const bool nameSet = !amt.configServerFqdn.empty() || !amt.configServerAddress.empty();
  const bool portSet = amt.configServerPort != 0;
  // With nothing configured AMT falls back to "ProvisionServer" and 9971 (§11.1). That matters
  // only while remote configuration may send hellos; unknown counts as may.
  const bool defaultsInUse = amt.remoteConfigurationEnabled.value_or(true);
  const std::string name =
      nameSet ? (amt.configServerFqdn.empty() ? amt.configServerAddress : amt.configServerFqdn)
              : (defaultsInUse ? std::string(kDefaultProvisioningServer) : "");
  const std::uint16_t port = portSet
                                 ? amt.configServerPort
                                 : (defaultsInUse ? kDefaultProvisioningPort : std::uint16_t{0});
  std::vector<std::string> problems;
  for (const auto& forbidden : policy.amt.forbiddenProvisioningServers) {
    if (namesForbiddenServer(amt.configServerFqdn, forbidden) ||
        namesForbiddenServer(amt.configServerAddress, forbidden) ||
        (!nameSet && namesForbiddenServer(name, forbidden))) {
      problems.push_back("server \"" + name + "\"" + (nameSet ? "" : " (the default)"));
      break;
    }
  }
  const auto& ports = policy.amt.forbiddenProvisioningPorts;
  if (port != 0 && std::find(ports.begin(), ports.end(), port) != ports.end()) {
    problems.push_back("port " + std::to_string(port) + (portSet ? "" : " (the default)"));
  }
  if (!problems.empty()) {
    return fail(id, reason::kAmtProvisioningServer,
                "AMT would contact a provisioning " + joinLimited(problems));
  }
  if (name.empty() && port == 0) {
    return pass(id, "Remote configuration is disabled and no provisioning server is set");
  }
  return pass(id, "Provisioning server " + (name.empty() ? std::string("(none)") : name) +
                      (port == 0 ? std::string() : ", port " + std::to_string(port)));
}

CheckResult checkMeFirmware(const Policy& policy, const DeviceFacts& facts, const AmtFacts& amt) {
  const auto id = check_id::kAmtMeFirmware;
  // sysfs fw_ver (the whole ME) first; GetCodeVersions "AMT" + build otherwise.
  std::string text = facts.firmware ? facts.firmware->meFirmwareVersion : "";
  if (text.empty() && !amt.amtVersion.empty()) {
    text = amt.amtVersion + (amt.buildNumber.empty() ? "" : "." + amt.buildNumber);
  }
  if (text.empty()) return missing(id, "the device reported no ME firmware version");
  const std::vector<std::uint32_t> have = parseDottedVersion(text);
  if (have.empty()) {
    return missing(id, "the ME firmware version \"" + text + "\" is not a dotted number");
  }
  if (policy.amt.minimumMeFirmware.empty()) {
    return missing(id, "the policy names no minimum ME firmware (amt.minimum_me_firmware)",
                   reason::kPolicyIncomplete);
  }
  const auto it =
      std::find_if(policy.amt.minimumMeFirmware.begin(), policy.amt.minimumMeFirmware.end(),
                   [&](const MeFirmwareMinimum& m) { return m.branch == have.front(); });
  const std::string versionText =
      text.substr(text.find(':') == std::string::npos ? 0 : text.find(':') + 1);
  if (it == policy.amt.minimumMeFirmware.end()) {
    return fail(id, reason::kMeFirmwareBranch,
                "ME firmware " + versionText + " is on branch " + std::to_string(have.front()) +
                    ", for which the policy names no minimum");
  }
  std::vector<std::uint32_t> want = parseDottedVersion(it->minimum);
  if (want.empty()) {
    return missing(
        id,
        "the policy's minimum for branch " + std::to_string(it->branch) + " is not a dotted number",
        reason::kPolicyIncomplete);
  }
  // Missing trailing components count as 0, so "16.1.30" is below "16.1.30.2307": unproven.
  std::vector<std::uint32_t> a = have;
  a.resize(std::max(have.size(), want.size()), 0);
  want.resize(a.size(), 0);
  if (a < want) {
    return fail(id, reason::kMeFirmwareOutdated,
                "ME firmware " + versionText + " is older than the policy minimum " + it->minimum +
                    " for branch " + std::to_string(it->branch));
  }
  return pass(id, "ME firmware " + versionText + " meets the minimum " + it->minimum);
}

CheckResult checkRedirection(const Policy& policy, const AmtFacts& amt) {
  const auto id = check_id::kAmtRedirection;
  struct Feature {
    std::string_view name;
    const std::optional<bool>& enabled;
    bool allowed;
  };
  const Feature features[] = {{"SOL", amt.solEnabled, policy.amt.allowSol},
                              {"IDE-R", amt.iderEnabled, policy.amt.allowIder},
                              {"KVM", amt.kvmEnabled, policy.amt.allowKvm}};
  std::vector<std::string> forbidden;
  std::vector<std::string> unknown;
  std::vector<std::string> on;
  for (const auto& f : features) {
    if (!f.enabled) {
      unknown.emplace_back(f.name);
    } else if (*f.enabled) {
      (f.allowed ? on : forbidden).emplace_back(f.name);
    }
  }
  if (!forbidden.empty()) {
    return fail(id, reason::kAmtRedirection,
                "AMT redirection the policy does not allow is enabled: " + joinLimited(forbidden));
  }
  if (!unknown.empty()) {
    return missing(id, "AMT did not report the state of " + joinLimited(unknown));
  }
  return pass(id, on.empty() ? "SOL, IDE-R and KVM are disabled"
                             : "Enabled as the policy allows: " + joinLimited(on));
}

}  // namespace pb::checks
