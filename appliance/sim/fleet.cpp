// SPDX-License-Identifier: Apache-2.0
#include "sim/fleet.hpp"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <set>

#include "core/files.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

namespace {

constexpr std::size_t kMaxDevices = 1024;

// Reads a string scalar; issues an error for anything else.
bool readString(const YamlEntry& e, const std::string& path, YamlIssues& issues, std::string& out) {
  if (e.value.kind != YamlKind::Scalar) {
    issues.add(e.value.mark, path, "expected a string, got " + std::string(yamlKindName(e.value)));
    return false;
  }
  out = e.value.scalar;
  return true;
}

void readFirmware(const YamlNode& node, const std::string& path, YamlIssues& issues,
                  FleetFirmware& f) {
  YamlMapReader r(node, path, issues);
  r.readString("bios_vendor", f.biosVendor, Presence::Optional, 256);
  r.readString("bios_version", f.biosVersion, Presence::Optional, 256);
  if (r.readString("me_version", f.meFirmwareVersion, Presence::Optional, 64) &&
      std::count(f.meFirmwareVersion.begin(), f.meFirmwareVersion.end(), '.') != 3) {
    r.report("me_version", "expected major.minor.hotfix.build");
  }
  r.readBool("secure_boot", f.secureBoot);
  r.readBool("setup_mode", f.setupMode);
  r.readBool("efi", f.efi);
  if (r.readString("tpm", f.tpm) && f.tpm != "2.0" && f.tpm != "1.2" && f.tpm != "none") {
    r.report("tpm", "expected 2.0, 1.2 or none");
  }
  r.finish();
}

// One of `allowed` values of a string switch.
bool readChoice(const YamlEntry& e, const std::string& path, YamlIssues& issues,
                std::initializer_list<const char*> allowed, std::string& out) {
  std::string v;
  if (!readString(e, path, issues, v)) return false;
  for (const char* a : allowed) {
    if (v == a) {
      out = v;
      return true;
    }
  }
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  issues.add(e.value.mark, path, "unknown value " + yamlQuote(v) + " (expected " + list + ")");
  return false;
}

void readBool(const YamlEntry& e, const std::string& path, YamlIssues& issues, bool& out) {
  if (e.value.kind == YamlKind::Scalar && !e.value.quoted &&
      (e.value.scalar == "true" || e.value.scalar == "false")) {
    out = e.value.scalar == "true";
    return;
  }
  issues.add(e.value.mark, path, "expected true or false");
}

void readTpm(const YamlEntry& entry, const std::string& base, YamlIssues& issues, FleetTpm& t) {
  if (entry.value.kind != YamlKind::Mapping) {
    issues.add(entry.value.mark, base, "expected a mapping of TPM switches (may be empty: {})");
    return;
  }
  for (const auto& e : entry.value.entries) {
    const std::string path = base + "." + e.key;
    std::string v;
    if (e.key == "ek") {
      readChoice(e, path, issues, {"ecc", "rsa"}, t.ek);
    } else if (e.key == "ek_cert") {
      readChoice(e, path, issues, {"trusted", "none", "untrusted"}, t.ekCert);
    } else if (e.key == "not_ready") {
      readBool(e, path, issues, t.notReady);
    } else if (e.key == "secure_boot") {
      if (readChoice(e, path, issues, {"on", "off"}, v)) t.secureBootOff = v == "off";
    } else if (e.key == "golden_pcr") {
      if (readChoice(e, path, issues, {"right", "wrong"}, v)) t.goldenPcrWrong = v == "wrong";
    } else if (e.key == "event_log") {
      if (readChoice(e, path, issues, {"valid", "tampered"}, v)) t.eventLogTampered = v != "valid";
    } else if (e.key == "ek_swapped") {
      readBool(e, path, issues, t.ekSwapped);
    } else if (e.key == "replay_quote") {
      readBool(e, path, issues, t.replayQuote);
    } else if (e.key == "wrong_nonce") {
      readBool(e, path, issues, t.wrongNonce);
    } else if (e.key == "ak") {
      if (readChoice(e, path, issues, {"restricted", "unrestricted"}, v)) {
        t.akUnrestricted = v == "unrestricted";
      }
    } else if (e.key == "narrow_pcr_selection") {
      readBool(e, path, issues, t.narrowPcrSelection);
    } else {
      issues.add(e.keyMark, path,
                 "unknown key (expected ek, ek_cert, not_ready, secure_boot, golden_pcr, "
                 "event_log, ek_swapped, replay_quote, wrong_nonce, ak, narrow_pcr_selection)");
    }
  }
}

void readDevice(const YamlNode& node, std::size_t index, YamlIssues& issues, Fleet& fleet,
                std::set<std::string>& names) {
  const std::string base = "devices[" + std::to_string(index) + "]";
  if (node.kind != YamlKind::Mapping) {
    issues.add(node.mark, base, "expected a mapping, got " + std::string(yamlKindName(node)));
    return;
  }
  FleetDevice d;
  d.line = node.mark.line;
  bool amtUuidSet = false;
  for (const auto& e : node.entries) {
    const std::string path = base + "." + e.key;
    if (e.key == "name") {
      readString(e, path, issues, d.name);
    } else if (e.key == "source") {
      readString(e, path, issues, d.source);
    } else if (e.key == "serial") {
      readString(e, path, issues, d.identity.serial);
    } else if (e.key == "smbios_uuid") {
      readString(e, path, issues, d.identity.smbiosUuid);
    } else if (e.key == "model") {
      readString(e, path, issues, d.identity.model);
    } else if (e.key == "vendor") {
      readString(e, path, issues, d.identity.vendor);
    } else if (e.key == "board_serial") {
      readString(e, path, issues, d.identity.boardSerial);
    } else if (e.key == "macs") {
      if (e.value.kind != YamlKind::Sequence) {
        issues.add(e.value.mark, path, "expected a sequence of MAC addresses");
        continue;
      }
      for (const auto& item : e.value.items) {
        if (item.kind != YamlKind::Scalar) {
          issues.add(item.mark, path, "expected a MAC address string");
          continue;
        }
        d.identity.macs.push_back(item.scalar);
      }
    } else if (e.key == "fault") {
      if (readString(e, path, issues, d.fault) &&
          std::find(std::begin(kFleetFaults), std::end(kFleetFaults), d.fault) ==
              std::end(kFleetFaults)) {
        std::string known;
        for (auto f : kFleetFaults) known += (known.empty() ? "" : ", ") + std::string(f);
        issues.add(e.value.mark, path,
                   "unknown fault " + yamlQuote(d.fault) + " (known: " + known + ")");
      }
    } else if (e.key == "amt") {
      readAmtSimConfig(e.value, path, issues, d.amt);
      amtUuidSet = e.value.kind == YamlKind::Mapping && e.value.find("uuid") != nullptr;
    } else if (e.key == "firmware") {
      readFirmware(e.value, path, issues, d.firmware);
    } else if (e.key == "tpm") {
      d.tpm.emplace();
      readTpm(e, path, issues, *d.tpm);
    } else if (e.key == "expect") {
      if (e.value.kind != YamlKind::Mapping) {
        issues.add(e.value.mark, path, "expected a mapping with state and code");
        continue;
      }
      for (const auto& x : e.value.entries) {
        if (x.key == "state") {
          readString(x, path + ".state", issues, d.expectState);
        } else if (x.key == "code") {
          readString(x, path + ".code", issues, d.expectCode);
        } else {
          issues.add(x.keyMark, path + "." + x.key, "unknown key (expected state or code)");
        }
      }
    } else {
      issues.add(e.keyMark, path,
                 "unknown key (expected name, source, serial, smbios_uuid, model, vendor, "
                 "board_serial, macs, amt, firmware, fault, tpm, expect)");
    }
  }
  if (!amtUuidSet) {
    if (auto u = amthi::parseUuidText(d.identity.smbiosUuid)) d.amt.uuid = *u;
  }
  if (d.name.empty()) {
    issues.add(node.mark, base + ".name", "every device needs a name");
  } else if (d.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") !=
             std::string::npos) {
    issues.add(node.mark, base + ".name", "use lower-case letters, digits, '-' and '_' only");
  } else if (!names.insert(d.name).second) {
    issues.add(node.mark, base + ".name", "duplicate device name " + yamlQuote(d.name));
  }
  fleet.devices.push_back(std::move(d));
}

}  // namespace

Result<Fleet> parseFleet(std::string_view text, const std::string& fileName) {
  YamlIssues issues(fileName);
  std::optional<YamlNode> root = parseYaml(text, issues);
  Fleet fleet;
  if (root) {
    const YamlEntry* devices = root->kind == YamlKind::Mapping ? root->find("devices") : nullptr;
    if (root->kind == YamlKind::Mapping) {
      for (const auto& e : root->entries) {
        if (e.key != "devices") issues.add(e.keyMark, e.key, "unknown key (expected devices)");
      }
    }
    if (devices == nullptr || devices->value.kind != YamlKind::Sequence) {
      issues.add(root->mark, "devices", "expected a mapping with a `devices:` sequence");
    } else if (devices->value.items.size() > kMaxDevices) {
      issues.add(devices->value.mark, "devices",
                 "at most " + std::to_string(kMaxDevices) + " devices per fleet");
    } else {
      std::set<std::string> names;
      for (std::size_t i = 0; i < devices->value.items.size(); ++i) {
        readDevice(devices->value.items[i], i, issues, fleet, names);
      }
    }
  }
  if (!issues.empty()) return issues.toError("fleet");
  return fleet;
}

Result<Fleet> loadFleet(const std::string& path) {
  Result<std::string> text = readFileBounded(path, 1024 * 1024);
  if (!text.ok()) return text.error();
  return parseFleet(*text, path);
}

}  // namespace pb
