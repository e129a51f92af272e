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
#include "core/reasons.hpp"
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

// Reads one JSON object's fields. Remembers the first error (so a reader reads like the schema,
// not a ladder of early returns) and, in File mode, rejects keys nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path, FactsMode mode)
      : j_(j), path_(std::move(path)), mode_(mode) {
    if (!j_.is_object()) fail(path_, "not an object");
  }

  std::string path(std::string_view key) const { return path_ + "." + std::string(key); }

  // nullptr when absent or null (every fact is optional).
  const json* find(std::string_view key) {
    seen_.emplace_back(key);
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::string string(std::string_view key) {
    const json* v = find(key);
    return v ? checkString(*v, path(key)) : std::string();
  }

  std::string enumerated(std::string_view key, std::span<const std::string_view> allowed) {
    std::string s = string(key);
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      fail(path(key), "unknown value");
      return {};
    }
    return s;
  }

  std::optional<bool> optionalBool(std::string_view key) {
    const json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      fail(path(key), "not a boolean");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  bool boolean(std::string_view key) { return optionalBool(key).value_or(false); }

  std::uint64_t unsignedInt(const json& v, const std::string& where, std::uint64_t max) {
    if (!v.is_number_integer()) {
      fail(where, "not an integer");
      return 0;
    }
    if (!v.is_number_unsigned() && v.get<std::int64_t>() < 0) {
      fail(where, "out of range");
      return 0;
    }
    auto u = v.get<std::uint64_t>();
    if (u > max) {
      fail(where, "out of range");
      return 0;
    }
    return u;
  }

  std::uint64_t unsignedInt(std::string_view key, std::uint64_t max) {
    const json* v = find(key);
    return v ? unsignedInt(*v, path(key), max) : 0;
  }

  const json* array(std::string_view key, std::size_t maxItems) {
    const json* v = find(key);
    if (!v) return nullptr;
    if (!v->is_array()) {
      fail(path(key), "not an array");
      return nullptr;
    }
    if (v->size() > maxItems) {
      fail(path(key), "more than " + std::to_string(maxItems) + " entries");
      return nullptr;
    }
    return v;
  }

  std::string checkString(const json& v, const std::string& where) {
    if (!v.is_string()) {
      fail(where, "not a string");
      return {};
    }
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > kMaxFactString) {
      fail(where, "longer than " + std::to_string(kMaxFactString) + " bytes");
      return {};
    }
    return s;
  }

  void fail(const std::string& where, std::string_view what) {
    if (!error_)
      error_ = makeError(std::string(reason::kFactsMalformed), where + ": " + std::string(what));
  }
  void adopt(const std::optional<Error>& e) {
    if (!error_ && e) error_ = e;
  }

  // The first error, after checking for unknown keys in File mode.
  std::optional<Error> finish() {
    if (!error_ && mode_ == FactsMode::File && j_.is_object()) {
      for (const auto& [key, value] : j_.items()) {
        if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
          // The key is untrusted text: name its position, not its bytes beyond a short prefix.
          fail(path_, "unknown key \"" + key.substr(0, 32) + "\"");
          break;
        }
      }
    }
    return error_;
  }

 private:
  const json& j_;
  std::string path_;
  FactsMode mode_;
  std::vector<std::string> seen_;
  std::optional<Error> error_;
};

std::string indexed(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::optional<Error> readIdentity(const json& j, const std::string& path, FactsMode mode,
                                  IdentityFacts& out) {
  ObjectReader r(j, path, mode);
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
  ObjectReader r(j, path, mode);
  out.biosVendor = r.string("bios_vendor");
  out.biosVersion = r.string("bios_version");
  out.meFirmwareVersion = r.string("me_firmware_version");
  out.secureBoot = r.optionalBool("secure_boot");
  out.setupMode = r.optionalBool("setup_mode");
  out.tpmPresent = r.optionalBool("tpm_present");
  out.tpmVersion = r.string("tpm_version");
  if (const json* attrs = r.array("firmware_attributes", kMaxFirmwareAttributes)) {
    for (std::size_t i = 0; i < attrs->size(); ++i) {
      ObjectReader a((*attrs)[i], indexed(r.path("firmware_attributes"), i), mode);
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
  ObjectReader r(j, path, mode);
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
  ObjectReader r(j, path, mode);
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
  out.configServerPort = static_cast<std::uint16_t>(r.unsignedInt("config_server_port", 65535));
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
  ObjectReader r(j, path, mode);
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
      ObjectReader p((*pcrs)[i], where, mode);
      std::uint32_t index = 0;
      if (const json* v = p.find("index")) {
        index = static_cast<std::uint32_t>(p.unsignedInt(*v, p.path("index"), 23));
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
  ObjectReader r(j, "facts", mode);
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
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception&) {
    return malformed("not valid JSON");
  }
  if (doc.is_discarded()) return malformed("not valid JSON");
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
