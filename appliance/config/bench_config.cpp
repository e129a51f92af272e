// SPDX-License-Identifier: Apache-2.0
#include "config/bench_config.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "core/text.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_fields.hpp"
#include "yaml/yaml_reader.hpp"

namespace pb {

namespace {

constexpr std::size_t kMaxPathBytes = 4095;
// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t kMaxSocketPathBytes = sizeof(sockaddr_un::sun_path) - 1;

// Debian's NAME_REGEX, bounded: [a-z_][a-z0-9_-]{0,31}
bool isGroupName(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || c == '_' || (!first && ((c >= '0' && c <= '9') || c == '-'));
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!ok(s[i], i == 0)) return false;
  }
  return true;
}

void readIp(YamlMapReader& r, std::string_view key, std::string& out, Presence presence) {
  std::string value;
  if (!r.readString(key, value, presence, 64)) return;
  std::string canonical = canonicalIpAddress(value);
  if (canonical.empty()) {
    r.report(key, "expected an IPv4 or IPv6 address, got " + yamlQuote(value));
    return;
  }
  out = std::move(canonical);
}

void readGroup(YamlMapReader& r, std::string_view key, std::string& out) {
  std::string value;
  if (!r.readString(key, value)) return;
  if (!isGroupName(value)) {
    r.report(key, "expected a group name ([a-z_][a-z0-9_-]{0,31}), got " + yamlQuote(value));
    return;
  }
  out = std::move(value);
}

void readListener(YamlMapReader& root, BenchConfig& cfg) {
  yamlReadMapping(root, "agent_listener", [&](YamlMapReader& r) {
    readIp(r, "address", cfg.listenAddress, Presence::Optional);
    r.readUnsigned("port", cfg.listenPort, 0, 65535);
  });
}

void readAdmin(YamlMapReader& root, BenchConfig& cfg) {
  yamlReadMapping(root, "admin", [&](YamlMapReader& r) {
    yamlReadAbsolutePath(r, "socket", cfg.adminSocket, Presence::Optional);
    if (!cfg.adminSocket.empty() && cfg.adminSocket.size() > kMaxSocketPathBytes) {
      r.report("socket", "longer than " + std::to_string(kMaxSocketPathBytes) +
                             " bytes, the limit for a Unix socket path");
    }
    readGroup(r, "group", cfg.adminGroup);
    readGroup(r, "readonly_group", cfg.readonlyGroup);
  });
}

void readTls(YamlMapReader& root, BenchConfig& cfg) {
  yamlReadMapping(root, "tls", [&](YamlMapReader& r) {
    yamlReadAbsolutePath(r, "cert", cfg.tlsCert, Presence::Optional);
    yamlReadAbsolutePath(r, "key", cfg.tlsKey, Presence::Optional);
  });
}

// amt_provisioning: the bench's own AMT provisioning certificate (appliance/provcert/).
void readAmtProvisioning(YamlMapReader& root, BenchConfig& cfg) {
  yamlReadMapping(root, "amt_provisioning", [&](YamlMapReader& r) {
    yamlReadAbsolutePath(r, "certificate", cfg.amtProvisioningCertificate, Presence::Required);
    yamlReadAbsolutePath(r, "crl", cfg.amtProvisioningCrl, Presence::Optional);
  });
}

void readLimits(YamlMapReader& root, BenchConfig& cfg, bool& reservedSet) {
  yamlReadMapping(root, "limits", [&](YamlMapReader& r) {
    r.readUnsigned("max_frame_bytes", cfg.maxFrameBytes, 1024, 16 * 1024 * 1024);
    r.readUnsigned("io_timeout_ms", cfg.ioTimeoutMs, 100, 600000);
    r.readUnsigned("handshake_timeout_ms", cfg.handshakeTimeoutMs, 100, 120000);
    r.readUnsigned("session_timeout_ms", cfg.sessionTimeoutMs, 1000, 86400000);
    r.readUnsigned("max_sessions", cfg.maxSessions, 1, 65536);
    if (r.readUnsigned("max_sessions_per_source", cfg.maxSessionsPerSource, 1, 65536) &&
        cfg.maxSessionsPerSource > cfg.maxSessions) {
      r.report("max_sessions_per_source",
               "must not exceed max_sessions (" + std::to_string(cfg.maxSessions) + ")");
    }
    if (!r.readUnsigned("hello_timeout_ms", cfg.helloTimeoutMs, 100, 60000)) {
      cfg.helloTimeoutMs = std::min(cfg.helloTimeoutMs, cfg.ioTimeoutMs);  // the default follows
    } else if (cfg.helloTimeoutMs > cfg.ioTimeoutMs) {
      r.report("hello_timeout_ms",
               "must not exceed io_timeout_ms (" + std::to_string(cfg.ioTimeoutMs) + ")");
    }
    if (r.readUnsigned("reserved_slot_sessions", cfg.reservedSlotSessions, 0, 65536)) {
      reservedSet = true;
      if (cfg.reservedSlotSessions > cfg.maxSessions) {
        r.report("reserved_slot_sessions",
                 "must not exceed max_sessions (" + std::to_string(cfg.maxSessions) + ")");
      }
    }
    r.readUnsigned("unregistered_hellos_per_minute", cfg.unregisteredHellosPerMinute, 1, 60000);
    r.readUnsigned("unregistered_hello_burst", cfg.unregisteredHelloBurst, 1, 10000);
  });
}

// "http://host[:port]" with a host of letters, digits, '.', '-' or a bracketed IPv6 literal: an
// origin as a browser sends it, nothing more (no path, no credentials, no wildcard).
bool isOrigin(std::string_view s) {
  constexpr std::string_view kScheme = "http://";
  constexpr std::string_view kSecure = "https://";
  if (s.size() > 256) return false;
  if (s.substr(0, kScheme.size()) == kScheme) {
    s.remove_prefix(kScheme.size());
  } else if (s.substr(0, kSecure.size()) == kSecure) {
    s.remove_prefix(kSecure.size());
  } else {
    return false;
  }
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']';
  });
}

// The stages run after admission, in the fixed order checks -> attest (a later stage relies on the
// earlier one having passed, so the order is not configurable, only which ones run).
void readStages(YamlMapReader& r, BenchConfig& cfg) {
  std::vector<std::string> listed;
  if (!r.readStringList("stages", listed, 8, Presence::Optional, 32)) return;
  for (const auto& s : listed) {
    if (s != "checks" && s != "attest") {
      r.report("stages", "unknown stage " + yamlQuote(s) + " (expected checks, attest)");
      return;
    }
  }
  std::vector<std::string> ordered;
  for (const char* known : {"checks", "attest"}) {
    const auto n = std::count(listed.begin(), listed.end(), known);
    if (n > 1) {
      r.report("stages", std::string("stage ") + known + " listed twice");
      return;
    }
    if (n == 1) ordered.emplace_back(known);
  }
  cfg.stages = std::move(ordered);
}

void readKiosk(YamlMapReader& root, BenchConfig& cfg) {
  yamlReadMapping(root, "kiosk", [&](YamlMapReader& r) {
    r.readBool("enabled", cfg.kiosk.enabled);
    readIp(r, "address", cfg.kiosk.address, Presence::Optional);
    r.readUnsigned("port", cfg.kiosk.port, 0, 65535);
    std::vector<std::string> origins;
    if (r.readStringList("allowed_origins", origins, 16, Presence::Optional, 256)) {
      for (const auto& o : origins) {
        if (!isOrigin(o)) {
          r.report("allowed_origins",
                   "expected http://host[:port] in lower case, got " + yamlQuote(o));
        }
      }
      cfg.kiosk.allowedOrigins = std::move(origins);
    }
    if (const YamlNode* limits = r.getMapping("limits")) {
      YamlMapReader lr(*limits, r.pathOf("limits"), r.issues());
      lr.readUnsigned("max_connections", cfg.kiosk.maxConnections, 1, 1024);
      lr.readUnsigned("max_message_bytes", cfg.kiosk.maxMessageBytes, 64, 65536);
      lr.readUnsigned("idle_timeout_ms", cfg.kiosk.idleTimeoutMs, 1000, 3600000);
      if (!lr.readUnsigned("max_connections_per_source", cfg.kiosk.maxConnectionsPerSource, 1,
                           1024)) {
        // The default follows a smaller max_connections down.
        cfg.kiosk.maxConnectionsPerSource =
            std::min(cfg.kiosk.maxConnectionsPerSource, cfg.kiosk.maxConnections);
      } else if (cfg.kiosk.maxConnectionsPerSource > cfg.kiosk.maxConnections) {
        lr.report("max_connections_per_source", "must not exceed max_connections (" +
                                                    std::to_string(cfg.kiosk.maxConnections) + ")");
      }
      lr.readUnsigned("unregistered_tiles_per_slot", cfg.kiosk.unregisteredTilesPerSlot, 1, 64);
    }
  });
}

void readSlots(YamlMapReader& root, BenchConfig& cfg) {
  std::map<std::string, YamlMark> ids;
  std::map<std::string, YamlMark> sources;
  yamlForEachMapping(root, "slots", kMaxSlots, "slots", [&](YamlMapReader& r) {
    SlotConfig slot;
    yamlReadUniqueName(
        r, "id", slot.id, 32, ids, "slot id", [](std::string_view id) { return isLowerSlug(id); },
        "[a-z0-9][a-z0-9-]{0,31}");
    r.readString("label", slot.label, Presence::Optional, 64);
    readIp(r, "source", slot.source, Presence::Required);
    if (!slot.source.empty()) {
      if (auto [it, fresh] = sources.emplace(slot.source, r.markOf("source")); !fresh) {
        r.report("source", "duplicate slot source " + yamlQuote(slot.source) + " (first at " +
                               yamlWhere(it->second) + ")");
      }
    }
    if (slot.label.empty()) slot.label = slot.id;
    cfg.slots.push_back(std::move(slot));
  });
}

// `policy: PATH` (or "") names the file alone; the mapping form adds how it must be signed.
void readPolicy(YamlMapReader& root, BenchConfig& cfg) {
  const YamlNode* node = root.get("policy");
  if (node == nullptr) return;
  if (node->kind != YamlKind::Mapping) {
    std::string policy;
    if (root.readString("policy", policy, Presence::Optional, kMaxPathBytes,
                        /*allowEmpty=*/true) &&
        !policy.empty()) {
      yamlReadAbsolutePath(root, "policy", cfg.policyFile, Presence::Optional);
    }
    return;
  }
  YamlMapReader r(*node, root.pathOf("policy"), root.issues());
  yamlReadAbsolutePath(r, "file", cfg.policyFile, Presence::Optional);
  yamlReadAbsolutePath(r, "signature", cfg.policySignature, Presence::Optional);
  if (const YamlNode* seq = yamlBoundedSequence(r, "trusted_signers", 64, "keys")) {
    auto signers = yamlUniqueItems<std::string>(
        *seq, r.pathOf("trusted_signers"), r.issues(),
        [&](const YamlNode& item, const std::string& itemPath) -> std::optional<std::string> {
          auto v = yamlReadString(item, itemPath, r.issues(), kMaxPathBytes);
          if (!v) return std::nullopt;
          if (auto problem = yamlPathProblem(*v)) {
            r.issues().add(item.mark, itemPath, *problem + ", got " + yamlQuote(*v));
            return std::nullopt;
          }
          return v;
        },
        [](const std::string& v) { return v; });
    for (std::string& v : signers.values) cfg.policyTrustedSigners.push_back(std::move(v));
  }
  r.readBool("allow_unsigned", cfg.policyAllowUnsigned);
  if (!cfg.policySignature.empty() && cfg.policyFile.empty()) {
    r.report("signature", "a signature needs policy.file");
  }
}

void applyDefaults(YamlMapReader& root, BenchConfig& cfg, bool reservedSet) {
  if (!reservedSet) {
    // Enough for every slot's sources to use their whole per-source share, but never more than
    // half the bench: unmapped devices (a spare bench, a laptop on a trolley) still get in.
    const std::uint64_t wanted =
        std::uint64_t{cfg.slots.size()} * std::uint64_t{cfg.maxSessionsPerSource};
    cfg.reservedSlotSessions =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, cfg.maxSessions / 2));
  }
  if (cfg.stateDir.empty()) return;  // already reported
  const std::string base = cfg.stateDir == "/" ? "" : cfg.stateDir;
  if (cfg.adminSocket.empty()) {
    cfg.adminSocket = base + "/admin.sock";
    if (cfg.adminSocket.size() > kMaxSocketPathBytes) {
      root.report("state_dir", "the default admin socket " + yamlQuote(cfg.adminSocket, 128) +
                                   " is too long for a Unix socket; set admin.socket");
    }
  }
  if (!cfg.policyFile.empty() && cfg.policySignature.empty()) {
    cfg.policySignature = cfg.policyFile + ".sig";
  }
  if (cfg.tlsCert.empty()) cfg.tlsCert = base + "/keys/agent-tls.crt";
  if (cfg.tlsKey.empty()) cfg.tlsKey = base + "/keys/agent-tls.key";
}

}  // namespace

std::string canonicalIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 64) return "";
  const std::string s(text);
  char buf[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    return ::inet_ntop(AF_INET, &v4, buf, sizeof buf) != nullptr ? std::string(buf) : "";
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) != 1) return "";
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; both spellings are one peer.
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], sizeof v4);
    return ::inet_ntop(AF_INET, &v4, buf, sizeof buf) != nullptr ? std::string(buf) : "";
  }
  return ::inet_ntop(AF_INET6, &v6, buf, sizeof buf) != nullptr ? std::string(buf) : "";
}

Result<BenchConfig> parseBenchConfig(std::string_view text, const std::string& fileName) {
  return yamlReadDocument(
      text, fileName, kMaxBenchConfigBytes, "config", BenchConfig{},
      [](YamlMapReader& r, BenchConfig& cfg) {
        if (r.readString("bench_id", cfg.benchId, Presence::Required, 32) &&
            !isLowerSlug(cfg.benchId)) {
          r.report("bench_id", "expected [a-z0-9][a-z0-9-]{0,31}, got " + yamlQuote(cfg.benchId));
        }
        yamlReadAbsolutePath(r, "state_dir", cfg.stateDir, Presence::Required);
        if (r.readString("log_level", cfg.logLevel) && cfg.logLevel != "debug" &&
            cfg.logLevel != "info" && cfg.logLevel != "warn" && cfg.logLevel != "error") {
          r.report("log_level",
                   "expected debug, info, warn or error, got " + yamlQuote(cfg.logLevel));
        }
        readPolicy(r, cfg);
        readListener(r, cfg);
        readAdmin(r, cfg);
        readTls(r, cfg);
        bool reservedSet = false;
        readLimits(r, cfg, reservedSet);
        readAmtProvisioning(r, cfg);
        readSlots(r, cfg);
        readKiosk(r, cfg);
        readStages(r, cfg);
        applyDefaults(r, cfg, reservedSet);
      });
}

Result<BenchConfig> loadBenchConfig(const std::string& path) {
  auto text = readYamlFile(path, kMaxBenchConfigBytes);
  if (!text) return text.error();
  return parseBenchConfig(*text, path);
}

}  // namespace pb
