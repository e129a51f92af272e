// SPDX-License-Identifier: Apache-2.0
#include "protocol/device_facts_json.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/reasons.hpp"
#include "core/strict_json.hpp"
#include "protocol/frame.hpp"

namespace pb {

namespace {

using nlohmann::json;

constexpr const auto& kAccessNames = kAmtAccessNames;

constexpr std::array<std::string_view, 4> kProvisioningStates{"", "pre", "in", "post"};
constexpr std::array<std::string_view, 4> kControlModes{"", "none", "client", "acm"};
constexpr std::array<std::string_view, 4> kHashAlgorithms{"sha1", "sha256", "sha384", "sha512"};

json optionalBool(const std::optional<bool>& b) {
  return b ? json(*b) : json(nullptr);
}

bool isLowerHex(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Facts through the one untrusted-JSON reader (core/json_reader.hpp): every fact is optional
// (absent or null reads as empty), strings bounded by kMaxFactString, and in File mode keys
// nobody asked for are refused.
using ObjectReader = JsonObjectReader;

ObjectReader factsReader(const json& j, std::string path, FactsMode mode) {
  return ObjectReader(j, std::move(path),
                      JsonReadRules{.errorCode = std::string(reason::kFactsMalformed),
                                    .maxString = kMaxFactString,
                                    .absentIsError = false,
                                    .allowUnknownKeys = mode != FactsMode::File});
}

std::string indexed(const std::string& path, std::size_t i) {
  return jsonIndexPath(path, i);
}

std::optional<Error> readIdentity(const json& j, const std::string& path, FactsMode mode,
                                  IdentityFacts& out) {
  ObjectReader r = factsReader(j, path, mode);
  out.serial = r.string("serial");
  out.smbiosUuid = r.string("smbios_uuid");
  out.model = r.string("model");
  out.vendor = r.string("vendor");
  out.boardSerial = r.string("board_serial");
  if (const json* macs = r.array("macs", kMaxFactMacs)) {
    for (std::size_t i = 0; i < macs->size(); ++i) {
      out.macs.push_back(r.checkString((*macs)[i], indexed(r.path("macs"), i)));
    }
  }
  return r.finish();
}

std::optional<Error> readFirmware(const json& j, const std::string& path, FactsMode mode,
                                  FirmwareFacts& out) {
  ObjectReader r = factsReader(j, path, mode);
  out.biosVendor = r.string("bios_vendor");
  out.biosVersion = r.string("bios_version");
  out.meFirmwareVersion = r.string("me_firmware_version");
  out.secureBoot = r.optionalBool("secure_boot");
  out.setupMode = r.optionalBool("setup_mode");
  out.tpmPresent = r.optionalBool("tpm_present");
  out.tpmVersion = r.string("tpm_version");
  if (const json* attrs = r.array("firmware_attributes", kMaxFirmwareAttributes)) {
    for (std::size_t i = 0; i < attrs->size(); ++i) {
      ObjectReader a = factsReader((*attrs)[i], indexed(r.path("firmware_attributes"), i), mode);
      std::string name = a.string("name");
      std::string value = a.string("value");
      r.adopt(a.finish());
      out.firmwareAttributes.emplace_back(std::move(name), std::move(value));
    }
  }
  return r.finish();
}

std::optional<Error> readHash(const json& j, const std::string& path, FactsMode mode,
                              AmtHashEntry& out) {
  ObjectReader r = factsReader(j, path, mode);
  out.name = r.string("name");
  out.algorithm = r.enumerated("algorithm", kHashAlgorithms);
  out.hash = r.string("hash");
  out.isDefault = r.boolean("default");
  out.isActive = r.boolean("active");
  // Lengths by algorithm: a hash that cannot be what it claims is a broken report, not a fact.
  static constexpr std::array<std::pair<std::string_view, std::size_t>, 4> kHexLength{
      {{"sha1", 40}, {"sha256", 64}, {"sha384", 96}, {"sha512", 128}}};
  for (const auto& [alg, len] : kHexLength) {
    if (out.algorithm == alg && (out.hash.size() != len || !isLowerHex(out.hash))) {
      r.fail(r.path("hash"), "not " + std::to_string(len) + " lower-case hex digits");
    }
  }
  return r.finish();
}

std::optional<Error> readAmt(const json& j, const std::string& path, FactsMode mode,
                             AmtFacts& out) {
  ObjectReader r = factsReader(j, path, mode);
  // An AMT group without a readable access value is not a report of anything.
  std::string access = r.string("access");
  auto it = std::find_if(kAccessNames.begin(), kAccessNames.end(),
                         [&](const auto& p) { return p.second == access; });
  if (it == kAccessNames.end()) {
    r.fail(r.path("access"), access.empty() ? "missing" : "unknown value");
  } else {
    out.access = it->first;
  }
  out.accessDetail = r.string("access_detail");
  out.amtVersion = r.string("amt_version");
  out.buildNumber = r.string("build_number");
  out.sku = r.string("sku");
  out.provisioningState = r.enumerated("provisioning_state", kProvisioningStates);
  out.controlMode = r.enumerated("control_mode", kControlModes);
  out.uuid = r.string("uuid");
  out.dnsSuffix = r.string("dns_suffix");
  if (const json* hashes = r.array("hashes", kMaxAmtHashes)) {
    for (std::size_t i = 0; i < hashes->size(); ++i) {
      AmtHashEntry e;
      r.adopt(readHash((*hashes)[i], indexed(r.path("hashes"), i), mode, e));
      out.hashes.push_back(std::move(e));
    }
  }
  out.remoteConfigurationEnabled = r.optionalBool("remote_configuration_enabled");
  out.configServerAddress = r.string("config_server_address");
  out.configServerPort = static_cast<std::uint16_t>(r.integer("config_server_port", 0, 65535));
  out.configServerFqdn = r.string("config_server_fqdn");
  out.solEnabled = r.optionalBool("sol_enabled");
  out.iderEnabled = r.optionalBool("ider_enabled");
  out.kvmEnabled = r.optionalBool("kvm_enabled");
  out.tlsEnabled = r.optionalBool("tls_enabled");
  out.lanMac = r.string("lan_mac");
  out.dhcpEnabled = r.optionalBool("dhcp_enabled");
  return r.finish();
}

std::optional<Error> readTpm(const json& j, const std::string& path, FactsMode mode,
                             TpmFacts& out) {
  ObjectReader r = factsReader(j, path, mode);
  out.present = r.boolean("present");
  out.readiness = r.string("readiness");
  out.hardwareBacked = r.boolean("hardware_backed");
  out.ekAlgorithm = r.string("ek_algorithm");
  out.akAlgorithm = r.string("ak_algorithm");
  out.ekSha256 = r.string("ek_sha256");
  out.pcrBank = r.string("pcr_bank");
  if (const json* pcrs = r.array("quoted_pcrs", kMaxQuotedPcrs)) {
    for (std::size_t i = 0; i < pcrs->size(); ++i) {
      const std::string where = indexed(r.path("quoted_pcrs"), i);
      ObjectReader p = factsReader((*pcrs)[i], where, mode);
      std::uint32_t index = 0;
      if (const json* v = p.find("index")) {
        index = static_cast<std::uint32_t>(p.checkUnsigned(*v, p.path("index"), 23));
      } else {
        p.fail(p.path("index"), "missing");
      }
      std::string digest = p.string("digest");
      if (!isLowerHex(digest)) p.fail(p.path("digest"), "not lower-case hex");
      r.adopt(p.finish());
      out.quotedPcrs.emplace_back(index, std::move(digest));
    }
  }
  out.secureBootFromLog = r.optionalBool("secure_boot_from_log");
  return r.finish();
}

}  // namespace

json toJson(const DeviceFacts& facts) {
  json out = json::object();
  const IdentityFacts& id = facts.identity;
  out["identity"] = {{"serial", id.serial}, {"smbios_uuid", id.smbiosUuid},   {"model", id.model},
                     {"vendor", id.vendor}, {"board_serial", id.boardSerial}, {"macs", id.macs}};
  if (facts.firmware) {
    const FirmwareFacts& f = *facts.firmware;
    json attrs = json::array();
    for (const auto& [name, value] : f.firmwareAttributes) {
      attrs.push_back({{"name", name}, {"value", value}});
    }
    out["firmware"] = {{"bios_vendor", f.biosVendor},
                       {"bios_version", f.biosVersion},
                       {"me_firmware_version", f.meFirmwareVersion},
                       {"secure_boot", optionalBool(f.secureBoot)},
                       {"setup_mode", optionalBool(f.setupMode)},
                       {"tpm_present", optionalBool(f.tpmPresent)},
                       {"tpm_version", f.tpmVersion},
                       {"firmware_attributes", std::move(attrs)}};
  }
  if (facts.amt) {
    const AmtFacts& a = *facts.amt;
    json hashes = json::array();
    for (const auto& h : a.hashes) {
      hashes.push_back({{"name", h.name},
                        {"algorithm", h.algorithm},
                        {"hash", h.hash},
                        {"default", h.isDefault},
                        {"active", h.isActive}});
    }
    out["amt"] = {{"access", toString(a.access)},
                  {"access_detail", a.accessDetail},
                  {"amt_version", a.amtVersion},
                  {"build_number", a.buildNumber},
                  {"sku", a.sku},
                  {"provisioning_state", a.provisioningState},
                  {"control_mode", a.controlMode},
                  {"uuid", a.uuid},
                  {"dns_suffix", a.dnsSuffix},
                  {"hashes", std::move(hashes)},
                  {"remote_configuration_enabled", optionalBool(a.remoteConfigurationEnabled)},
                  {"config_server_address", a.configServerAddress},
                  {"config_server_port", a.configServerPort},
                  {"config_server_fqdn", a.configServerFqdn},
                  {"sol_enabled", optionalBool(a.solEnabled)},
                  {"ider_enabled", optionalBool(a.iderEnabled)},
                  {"kvm_enabled", optionalBool(a.kvmEnabled)},
                  {"tls_enabled", optionalBool(a.tlsEnabled)},
                  {"lan_mac", a.lanMac},
                  {"dhcp_enabled", optionalBool(a.dhcpEnabled)}};
  }
  if (facts.tpm) {
    const TpmFacts& t = *facts.tpm;
    json pcrs = json::array();
    for (const auto& [index, digest] : t.quotedPcrs) {
      pcrs.push_back({{"index", index}, {"digest", digest}});
    }
    out["tpm"] = {{"present", t.present},
                  {"readiness", t.readiness},
                  {"hardware_backed", t.hardwareBacked},
                  {"ek_algorithm", t.ekAlgorithm},
                  {"ak_algorithm", t.akAlgorithm},
                  {"ek_sha256", t.ekSha256},
                  {"pcr_bank", t.pcrBank},
                  {"quoted_pcrs", std::move(pcrs)},
                  {"secure_boot_from_log", optionalBool(t.secureBootFromLog)}};
  }
  return out;
}

Result<DeviceFacts> deviceFactsFromJson(const json& j, FactsMode mode) {
  DeviceFacts facts;
  ObjectReader r = factsReader(j, "facts", mode);
  if (const json* v = r.find("identity")) {
    r.adopt(readIdentity(*v, r.path("identity"), mode, facts.identity));
  }
  if (const json* v = r.find("firmware")) {
    facts.firmware.emplace();
    r.adopt(readFirmware(*v, r.path("firmware"), mode, *facts.firmware));
  }
  if (const json* v = r.find("amt")) {
    facts.amt.emplace();
    r.adopt(readAmt(*v, r.path("amt"), mode, *facts.amt));
  }
  if (const json* v = r.find("tpm")) {
    facts.tpm.emplace();
    r.adopt(readTpm(*v, r.path("tpm"), mode, *facts.tpm));
  }
  if (auto e = r.finish()) return *e;
  return facts;
}

Result<DeviceFacts> parseFactsText(std::string_view text) {
  auto malformed = [](std::string what) {
    return makeError(std::string(reason::kFactsMalformed), std::move(what));
  };
  if (text.size() > kMaxFactsFileBytes) {
    return malformed("larger than " + std::to_string(kMaxFactsFileBytes) + " bytes");
  }
  // Depth first, so neither the parser nor the destructor meets a pathological document.
  if (jsonNestingDepth(text, kMaxJsonDepth) > kMaxJsonDepth) {
    return malformed("JSON nesting deeper than " + std::to_string(kMaxJsonDepth));
  }
  // "not valid JSON", or a key named twice (a second "tpm" must not override the first).
  auto parsed = parseJsonRejectingDuplicateKeys(text);
  if (!parsed) return malformed(parsed.error().message);
  json doc = std::move(parsed).value();
  if (!doc.is_object()) return malformed("not a JSON object");
  // A whole frame as the agent sends it: exactly {type: "facts", facts: {…}}.
  if (auto type = doc.find("type"); type != doc.end()) {
    if (*type != "facts") return malformed("type: not \"facts\"");
    for (const auto& [key, value] : doc.items()) {
      if (key != "type" && key != "facts") return malformed("unknown top-level key");
    }
    auto inner = doc.find("facts");
    if (inner == doc.end()) return malformed("facts: missing");
    return deviceFactsFromJson(*inner, FactsMode::File);
  }
  return deviceFactsFromJson(doc, FactsMode::File);
}

Result<DeviceFacts> loadFactsFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return makeError("io", "cannot read " + path + ": no such file");
  }
  if (!S_ISREG(st.st_mode)) return makeError("io", path + ": not a regular file");
  auto text = readFileBounded(path, kMaxFactsFileBytes);
  if (!text) return text.error().withContext(path);
  auto facts = parseFactsText(*text);
  if (!facts) return facts.error().withContext(path);
  return facts;
}

}  // namespace pb
