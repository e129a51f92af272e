// SPDX-License-Identifier: Apache-2.0
#include "platcert/platform_cert_json.hpp"

#include <ctime>

#include "core/bytes.hpp"
#include "core/printable_text.hpp"

namespace pb::platcert {

namespace {

std::string shown(const std::string& s) {
  if (isPrintableUtf8(s)) return s;
  return "hex:" + toHex(Bytes(s.begin(), s.end()));
}

std::string isoTime(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string nameText(const DistinguishedName& n) {
  return shown(n.text());
}

}  // namespace

nlohmann::json toJson(const PlatformCertificate& pc) {
  nlohmann::json j;
  j["version"] = pc.version;
  j["serial_number"] = toHex(pc.serialNumber);
  j["holder"] = {{"issuer", nameText(pc.holderIssuer)}, {"serial", toHex(pc.holderSerial)}};
  j["issuer"] = nameText(pc.issuer);
  j["signature_algorithm"] = pc.signatureAlgorithm;
  j["not_before"] = isoTime(pc.notBefore);
  j["not_after"] = isoTime(pc.notAfter);
  j["platform"] = {{"manufacturer", shown(pc.platformManufacturer)},
                   {"model", shown(pc.platformModel)},
                   {"version", shown(pc.platformVersion)},
                   {"serial", shown(pc.platformSerial)}};
  if (!pc.platformManufacturerId.empty())
    j["platform"]["manufacturer_id"] = pc.platformManufacturerId;
  if (pc.hasPlatformSpecification)
    j["platform_specification"] = {{"version", pc.platformSpecification.text()},
                                   {"platform_class", pc.platformClass}};
  if (pc.hasCredentialSpecification)
    j["credential_specification"] = pc.credentialSpecification.text();
  if (!pc.credentialType.empty()) j["credential_type"] = pc.credentialType;
  j["platform_configuration_version"] = pc.platformConfigurationVersion;
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& c : pc.components) {
    nlohmann::json cj = {
        {"class", toHex(c.classValue)},  {"manufacturer", shown(c.manufacturer)},
        {"model", shown(c.model)},       {"serial", shown(c.serial)},
        {"revision", shown(c.revision)}, {"field_replaceable", c.fieldReplaceable}};
    if (!c.classRegistry.empty()) cj["class_registry"] = c.classRegistry;
    nlohmann::json addrs = nlohmann::json::array();
    for (const auto& a : c.addresses)
      addrs.push_back({{"type", a.type}, {"value", shown(a.value)}});
    if (!addrs.empty()) cj["addresses"] = addrs;
    comps.push_back(std::move(cj));
  }
  j["components"] = std::move(comps);
  nlohmann::json props = nlohmann::json::array();
  for (const auto& p : pc.properties)
    props.push_back({{"name", shown(p.name)}, {"value", shown(p.value)}});
  j["properties"] = std::move(props);
  if (!pc.platformConfigUri.empty()) j["platform_config_uri"] = shown(pc.platformConfigUri);
  if (!pc.unknownAttributes.empty()) j["unknown_attributes"] = pc.unknownAttributes;
  nlohmann::json exts = nlohmann::json::array();
  for (const auto& e : pc.extensions) exts.push_back({{"oid", e.oid}, {"critical", e.critical}});
  j["extensions"] = std::move(exts);
  return j;
}

std::string toText(const PlatformCertificate& pc) {
  std::string o;
  auto line = [&o](const std::string& k, const std::string& v) { o += k + ": " + v + "\n"; };
  line("holder", nameText(pc.holderIssuer) + " serial " + toHex(pc.holderSerial));
  line("issuer", nameText(pc.issuer));
  line("serial number", toHex(pc.serialNumber));
  line("signature", pc.signatureAlgorithm);
  line("valid", isoTime(pc.notBefore) + " .. " + isoTime(pc.notAfter));
  line("platform manufacturer", shown(pc.platformManufacturer));
  line("platform model", shown(pc.platformModel));
  line("platform version", shown(pc.platformVersion));
  line("platform serial", shown(pc.platformSerial));
  if (pc.hasPlatformSpecification) line("platform specification", pc.platformSpecification.text());
  if (pc.hasCredentialSpecification)
    line("credential specification", pc.credentialSpecification.text());
  o += "components (" + std::to_string(pc.components.size()) + ", platformConfiguration v" +
       std::to_string(pc.platformConfigurationVersion) + "):\n";
  for (const auto& c : pc.components) {
    o += "  " + shown(c.manufacturer) + " | " + shown(c.model) + " | serial " +
         (c.serial.empty() ? "-" : shown(c.serial)) +
         (c.revision.empty() ? "" : " | revision " + shown(c.revision)) + "\n";
  }
  return o;
}

}  // namespace pb::platcert
