// SPDX-License-Identifier: Apache-2.0
#include "amt/amt_sim_config.hpp"

#include <algorithm>

#include "core/files.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

namespace {

struct FactoryRow {
  const char* name;
  const char* sha256;
};

// amt.md §9.3 rows 1-24, in the order the MeshCentral sample hello lists them. Names follow the
// firmware's (§9.2) where known; rows the reference could not identify say so.
constexpr FactoryRow kFactory[] = {
    {"Go Daddy Class 2 CA", "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4"},
    {"Go Daddy Root CA - G2", "45140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda"},
    {"Comodo AAA CA", "d7a7a0fb5d7e2731d771e9484ebcdef71d5f0c3e0a2948782bc83ee0ea699ef4"},
    {"Starfield Class 2 CA", "1465fa205397b876faa6f0a9958e5590e40fcc7faa4fb7c2c8677521fb5fb658"},
    {"Starfield Root CA - G2", "2ce1cb0bf9d2f9e102993fbe215152c3b2dd0cabde1c68e5319b839154dbb7f5"},
    {"VeriSign Class 3 Primary CA-G5",
     "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df"},
    {"Baltimore CyberTrust Root",
     "16af57a9f676b0ab126095aa5ebadef22ab31119d644ac95cd4b93dbf3f26aeb"},
    {"Cybertrust Global Root", "960adf0063e96356750c2965dd0a0867da0b9cbd6e77714aeafb2349ab393da3"},
    {"Verizon Global", "68ad50909b04363c605ef13581a939ff2c96372e3f12325b0a6861e1d59f6603"},
    {"Entrust.net CA (2048)", "6dc47172e01cbcb0bf62580d895fe2b8ac9ad4f873801e0c10b9c837d21eb177"},
    {"Entrust Root CA", "73c176434f1bc6d5adf45b0e76e727287c8de57616c1e6e6141a2b2cbc7d8e4c"},
    {"Entrust Root CA - G2", "43df5774b03e7fef5fe40d931a7bedf1bb2e6b42738c4e6d3841103d3aa7f339"},
    {"VeriSign Universal Root CA",
     "2399561127a57125de8cefea610ddf2fa078b5c8067f4e828290bfb860e84b3c"},
    {"AffirmTrust Premium", "70a73f7f376b60074248904534b11482d5bf0e698ecc498df52577ebf2e93b9a"},
    {"DigiCert Global Root CA", "4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161"},
    {"DigiCert Global Root G2", "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f"},
    {"DigiCert Global Root G3", "31ad6648f8104138c738f39ea4320133393e3a18cc02296ef97c2ac9ef6731d0"},
    {"DigiCert Trusted Root G4",
     "552f7bdcf1a7af9e6ce672017f4f12abf77240c78e761ac203d1d9d20ac89988"},
    {"Unidentified root 19", "67540a47aa5b9f34570a99723cfefa96a96ee3f0d9b8bf4def9440b8065d665d"},
    {"Unidentified root 20", "a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079"},
    {"Unidentified root 21", "7224395222cd588c4f2683716922addb41e39b581ac34fa87b39efa896fbb39e"},
    {"GlobalSign Root CA - R3", "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"},
    {"GlobalSign ECC Root CA - R5",
     "179fbc148a3dd00fd24ea13458cc43bfa7f59c8182d783a513f6ebec100c8924"},
    {"GlobalSign Root CA - R6", "2cabeafe37d06ca22aba7391c0033d25982952c453647349763a3ab5ad6ccf69"},
};

bool validCommandSelector(const std::string& s) {
  return s.empty() || s == "all" || amthi::commandFromName(s).has_value();
}

std::string knownCommands() {
  std::string out = "all";
  for (auto c : amthi::kAllCommands) out += ", " + std::string(amthi::commandName(c));
  return out;
}

void readBoolField(YamlMapReader& r, std::string_view key, bool& out) {
  r.readBool(key, out);
}

void readHashes(const YamlNode& seq, const std::string& path, YamlIssues& issues,
                std::vector<AmtSimHash>& out) {
  if (seq.items.size() > amthi::kMaxHashHandles) {
    issues.add(seq.mark, path, "at most " + std::to_string(amthi::kMaxHashHandles) + " hashes");
    return;
  }
  for (std::size_t i = 0; i < seq.items.size(); ++i) {
    YamlMapReader r(seq.items[i], yamlIndexPath(path, i), issues);
    AmtSimHash h;
    std::string algorithm = "sha256", hex;
    r.readString("name", h.name, Presence::Required, amthi::kMaxHashNameLength);
    r.readString("algorithm", algorithm);
    r.readString("hash", hex, Presence::Required, 128);
    r.readBool("default", h.isDefault);
    r.readBool("active", h.isActive);
    std::size_t want = 0;
    if (algorithm == "sha1") {
      h.algorithm = 1;
      want = 20;
    } else if (algorithm == "sha256") {
      h.algorithm = 2;
      want = 32;
    } else if (algorithm == "sha384") {
      h.algorithm = 3;
      want = 48;
    } else {
      r.report("algorithm", "expected sha1, sha256 or sha384");
    }
    if (!hex.empty()) {
      auto raw = fromHex(hex);
      if (!raw || (want != 0 && raw->size() != want)) {
        r.report("hash", "expected " + std::to_string(want * 2) + " hex digits for " + algorithm);
      } else {
        h.hash = *raw;
      }
    }
    r.finish();
    out.push_back(std::move(h));
  }
}

}  // namespace

std::vector<AmtSimHash> factoryHashes() {
  std::vector<AmtSimHash> out;
  for (const auto& row : kFactory) {
    out.push_back(AmtSimHash{row.name, 2, *fromHex(row.sha256), true, true});
  }
  return out;
}

AmtSimHash internalCaHash() {
  return AmtSimHash{std::string(kInternalCaName), 2, *fromHex(kInternalCaSha256), false, true};
}

AmtSimConfig defaultAmtSimConfig() {
  AmtSimConfig c;
  c.codeVersions.biosVersion = "M1AKT52A";
  c.codeVersions.versions = {{"Flash", "16.1.25"},
                             {"Netstack", "16.1.25"},
                             {"AMTApps", "16.1.25"},
                             {"AMT", "16.1.25"},
                             {"Sku", "16392"},
                             {"VendorID", "8086"},
                             {"Build Number", "2124"},
                             {"Recovery Version", "16.1.25"},
                             {"Recovery Build Num", "2124"},
                             {"Legacy Mode", "False"}};
  c.hashes = factoryHashes();
  c.hashes.push_back(internalCaHash());
  c.configServer.port = 9971;
  c.lan.enabled = true;
  c.lan.dhcpEnabled = true;
  c.lan.dhcpIpMode = 2;
  c.lan.linkStatus = 1;
  c.lan.ipv4 = 0;
  c.lan.mac = {0x00, 0x1b, 0x21, 0x00, 0x00, 0x01};
  return c;
}

void readAmtSimConfig(const YamlNode& node, const std::string& path, YamlIssues& issues,
                      AmtSimConfig& c) {
  YamlMapReader r(node, path, issues);
  auto setVersion = [&c](const std::string& key, const std::string& value) {
    for (auto& [d, v] : c.codeVersions.versions) {
      if (d == key) {
        v = value;
        return;
      }
    }
    c.codeVersions.versions.emplace_back(key, value);
  };
  std::string s;
  if (r.readString("amt_version", s, Presence::Optional, amthi::kVersionStringMax)) {
    setVersion("AMT", s);
    setVersion("Flash", s);
    setVersion("Recovery Version", s);
  }
  if (r.readString("build_number", s, Presence::Optional, amthi::kVersionStringMax)) {
    setVersion("Build Number", s);
  }
  if (r.readString("sku", s, Presence::Optional, amthi::kVersionStringMax)) setVersion("Sku", s);
  r.readString("bios_version", c.codeVersions.biosVersion, Presence::Optional, 64);
  if (r.readString("provisioning_state", s)) {
    if (s == "pre")
      c.provisioningState = amthi::ProvisioningState::Pre;
    else if (s == "in")
      c.provisioningState = amthi::ProvisioningState::In;
    else if (s == "post")
      c.provisioningState = amthi::ProvisioningState::Post;
    else
      r.report("provisioning_state", "expected pre, in or post");
  }
  if (r.readString("control_mode", s)) {
    if (s == "none")
      c.controlMode = amthi::ControlMode::None;
    else if (s == "client")
      c.controlMode = amthi::ControlMode::Client;
    else if (s == "acm")
      c.controlMode = amthi::ControlMode::Admin;
    else
      r.report("control_mode", "expected none, client or acm");
  }
  if (r.readString("uuid", s)) {
    if (auto u = amthi::parseUuidText(s))
      c.uuid = *u;
    else
      r.report("uuid", "expected a UUID 8-4-4-4-12");
  }
  r.readString("dns_suffix", c.dnsSuffix, Presence::Optional, amthi::kMaxFqdn, true);
  readBoolField(r, "remote_configuration", c.remoteConfiguration);
  readBoolField(r, "tls", c.tlsEnabled);
  if (r.readString("factory_hashes", s)) {
    // Rebuild: factory entries (per the switch) followed by the non-factory ones kept so far.
    std::vector<AmtSimHash> rest;
    for (auto& h : c.hashes) {
      if (!h.isDefault) rest.push_back(h);
    }
    std::vector<AmtSimHash> out;
    if (s == "active" || s == "inactive") {
      out = factoryHashes();
      for (auto& h : out) h.isActive = s == "active";
    } else if (s != "absent") {
      r.report("factory_hashes", "expected active, inactive or absent");
    }
    out.insert(out.end(), rest.begin(), rest.end());
    c.hashes = std::move(out);
  }
  if (const YamlNode* hs = r.getSequence("hashes")) {
    // Replaces the non-factory entries (by default the internal CA).
    std::vector<AmtSimHash> out;
    for (auto& h : c.hashes) {
      if (h.isDefault) out.push_back(h);
    }
    readHashes(*hs, r.pathOf("hashes"), issues, out);
    if (out.size() > amthi::kMaxHashHandles) {
      r.report("hashes", "factory and listed hashes exceed " +
                             std::to_string(amthi::kMaxHashHandles) + " entries");
    }
    c.hashes = std::move(out);
  }
  if (const YamlNode* cs = r.getMapping("config_server")) {
    YamlMapReader m(*cs, r.pathOf("config_server"), issues);
    m.readString("address", c.configServer.address, Presence::Optional,
                 amthi::kServerAddressField - 1, true);
    m.readUnsigned("port", c.configServer.port, 0, 65535);
    m.readString("fqdn", c.configServer.fqdn, Presence::Optional, amthi::kMaxFqdn, true);
    m.finish();
  }
  if (const YamlNode* rd = r.getMapping("redirection")) {
    YamlMapReader m(*rd, r.pathOf("redirection"), issues);
    m.readBool("sol", c.redirection.sol);
    m.readBool("ider", c.redirection.ider);
    m.readBool("kvm", c.redirection.kvm);
    m.finish();
  }
  if (const YamlNode* lan = r.getMapping("lan")) {
    YamlMapReader m(*lan, r.pathOf("lan"), issues);
    m.readBool("enabled", c.lan.enabled);
    m.readBool("dhcp", c.lan.dhcpEnabled);
    if (m.readString("mac", s)) {
      std::string hex;
      for (char ch : s) {
        if (ch != ':') hex.push_back(ch);
      }
      auto raw = fromHex(hex);
      if (!raw || raw->size() != 6 || s.size() != 17) {
        m.report("mac", "expected a MAC address aa:bb:cc:dd:ee:ff");
      } else {
        std::copy(raw->begin(), raw->end(), c.lan.mac.begin());
      }
    }
    m.finish();
  }
  if (const YamlNode* h = r.getMapping("hello")) {
    YamlMapReader m(*h, r.pathOf("hello"), issues);
    m.readString("target", c.hello.target, Presence::Required, 300);
    m.readBool("admin_credentials_set", c.hello.adminCredentialsSet);
    m.readUnsigned("interval_ms", c.hello.intervalMs, 0, 3600000);
    m.finish();
  }
  if (const YamlNode* f = r.getMapping("faults")) {
    YamlMapReader m(*f, r.pathOf("faults"), issues);
    m.readUnsigned("busy_connects", c.faults.busyConnects, 0, 1000);
    m.readBool("no_client", c.faults.noClient);
    m.readBool("disabled", c.faults.disabled);
    for (auto [key, field] :
         {std::pair<std::string_view, std::string*>{"truncated", &c.faults.truncated},
          {"wrong_echo", &c.faults.wrongEcho},
          {"bad_status", &c.faults.badStatus}}) {
      if (m.readString(key, *field) && !validCommandSelector(*field)) {
        m.report(key, "unknown command (expected one of " + knownCommands() + ")");
      }
    }
    m.readUnsigned("bad_status_code", c.faults.badStatusCode, 1, 0xFFFFFFFFu);
    m.finish();
  }
  r.finish();
}

Result<AmtSimConfig> loadAmtSimConfig(const std::string& file) {
  auto text = readFileBounded(file, std::size_t{256} * 1024);
  if (!text.ok()) return text.error();
  YamlIssues issues(file);
  AmtSimConfig c = defaultAmtSimConfig();
  if (auto root = parseYaml(*text, issues)) {
    if (root->kind != YamlKind::Null) readAmtSimConfig(*root, "", issues, c);
  }
  if (!issues.empty()) return issues.toError("amt_sim");
  return c;
}

}  // namespace pb
