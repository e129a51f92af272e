// SPDX-License-Identifier: Apache-2.0
// bench.yaml: where benchd keeps state, where it listens, who may administer it, its limits and
// which peer address belongs to which bench slot. Every key is documented in README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pb {

struct SlotConfig {
  std::string id;      // [a-z0-9][a-z0-9-]{0,31}, unique
  std::string label;   // shown on the kiosk; defaults to id
  std::string source;  // peer IP that identifies the slot, canonical text form (see README)
};

// The kiosk display (HTTP + WebSocket, read-only). Loopback by default: exposing it on the
// provisioning network is a deliberate choice.
struct KioskConfig {
  bool enabled = false;                        // kiosk.enabled (opt-in: never a surprise open port)
  std::string address = "127.0.0.1";           // kiosk.address, IPv4/IPv6 literal
  std::uint16_t port = 8080;                   // kiosk.port; 0 = ephemeral (reported when ready)
  std::uint32_t maxConnections = 16;           // kiosk.limits.max_connections
  std::uint32_t maxMessageBytes = 4096;        // kiosk.limits.max_message_bytes (browser -> server)
  std::uint32_t idleTimeoutMs = 30000;         // kiosk.limits.idle_timeout_ms
  std::uint32_t maxConnectionsPerSource = 8;   // kiosk.limits.max_connections_per_source
  std::uint32_t unregisteredTilesPerSlot = 4;  // kiosk.limits.unregistered_tiles_per_slot
  // kiosk.allowed_origins: extra WebSocket origins ("http://host:port"); the kiosk's own
  // address (and localhost for a loopback kiosk) is always allowed.
  std::vector<std::string> allowedOrigins;
};

struct BenchConfig {
  std::string benchId;                    // bench_id, required, [a-z0-9][a-z0-9-]{0,31}
  std::string stateDir;                   // state_dir, required, absolute, no trailing slash
  std::string listenAddress = "0.0.0.0";  // agent_listener.address, IPv4/IPv6 literal
  std::uint16_t listenPort = 8443;        // agent_listener.port; 0 = ephemeral
  std::string adminSocket;                // admin.socket, default <state_dir>/admin.sock
  std::string adminGroup;       // admin.group: may change things (root always may); "" = root only
  std::string readonlyGroup;    // admin.readonly_group: may look; "" = nobody else
  std::string tlsCert;          // tls.cert, default <state_dir>/keys/agent-tls.crt
  std::string tlsKey;           // tls.key, default <state_dir>/keys/agent-tls.key
  std::string policyFile;       // policy (string) or policy.file: absolute path; "" = built-in
  std::string policySignature;  // policy.signature: absolute path; default <policy file>.sig
  std::vector<std::string> policyTrustedSigners;  // policy.trusted_signers: Ed25519 PEM keys
  bool policyAllowUnsigned = false;       // policy.allow_unsigned: development mode, warned loudly
  std::uint32_t maxFrameBytes = 1048576;  // limits.max_frame_bytes, 1 KiB..16 MiB
  std::uint32_t ioTimeoutMs = 10000;      // limits.io_timeout_ms
  std::uint32_t handshakeTimeoutMs = 5000;  // limits.handshake_timeout_ms
  std::uint32_t sessionTimeoutMs = 300000;  // limits.session_timeout_ms
  std::uint32_t maxSessions = 512;          // limits.max_sessions
  std::uint32_t maxSessionsPerSource = 8;   // limits.max_sessions_per_source
  // limits.hello_timeout_ms: accept -> first ClientHello byte, and handshake -> the agent's hello.
  std::uint32_t helloTimeoutMs = 3000;
  // limits.reserved_slot_sessions: sessions (and handshakes) only slot sources may use. Default:
  // slots x max_sessions_per_source, at most half of max_sessions.
  std::uint32_t reservedSlotSessions = 0;
  // limits.unregistered_hellos_per_minute / limits.unregistered_hello_burst: a token bucket per
  // source address for hellos whose serial is not in the register.
  std::uint32_t unregisteredHellosPerMinute = 12;
  std::uint32_t unregisteredHelloBurst = 4;
  std::vector<SlotConfig> slots;  // slots
  std::string logLevel = "info";  // log_level: debug|info|warn|error
  // amt_provisioning.certificate: PEM of the bench's AMT provisioning certificate ("" = none);
  // amt_provisioning.crl: the internal CA's CRL (PEM or DER), optional.
  std::string amtProvisioningCertificate;
  std::string amtProvisioningCrl;
  KioskConfig kiosk;  // kiosk
  // stages: what runs after admission, in this order. The default is every built stage; a bench
  // that lists fewer is saying so in its signed-off configuration, and `benchctl status` shows it.
  std::vector<std::string> stages{"checks", "attest"};
};

inline constexpr std::size_t kMaxBenchConfigBytes = 1024 * 1024;
inline constexpr std::size_t kMaxSlots = 256;

// Parses bench.yaml text. On failure Error.code is "config" and Error.message lists every issue,
// one per line, as "file:line:column: key.path: message".
Result<BenchConfig> parseBenchConfig(std::string_view text, const std::string& fileName);

// Reads (at most kMaxBenchConfigBytes, regular files only) and parses `path`.
Result<BenchConfig> loadBenchConfig(const std::string& path);

// The canonical text form of an IPv4/IPv6 literal (IPv4-mapped IPv6 becomes plain IPv4), or ""
// if `text` is not one. Peer addresses must go through this before they are compared with
// SlotConfig::source.
std::string canonicalIpAddress(std::string_view text);

}  // namespace pb
