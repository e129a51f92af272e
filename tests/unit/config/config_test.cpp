// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/bench_config.hpp"

namespace pb {
namespace {

constexpr const char* kFull = R"(bench_id: lab-7
state_dir: /srv/bench/
log_level: debug
policy: /etc/provbench/policy.yaml
agent_listener:
  address: "::"
  port: 0
admin:
  socket: /run/pb/admin.sock
  group: pb-admin
  readonly_group: pb_view
tls:
  cert: /etc/pb/tls.crt
  key: /etc/pb/tls.key
limits:
  max_frame_bytes: 65536
  io_timeout_ms: 2000
  handshake_timeout_ms: 1000
  session_timeout_ms: 60000
  max_sessions: 16
  max_sessions_per_source: 2
slots:
  - id: a1
    label: "Bay A, slot 1"
    source: 10.0.0.11
  - id: a2
    source: "::FFFF:10.0.0.12"
  - id: a3
    source: FE80::0:1
)";

// Parses and returns the error message ("" on success).
std::string errorsOf(const std::string& text) {
  auto r = parseBenchConfig(text, "bench.yaml");
  return r.ok() ? "" : r.error().message;
}

TEST(BenchConfig, FullConfig) {
  auto r = parseBenchConfig(kFull, "bench.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const BenchConfig& c = *r;
  EXPECT_EQ(c.benchId, "lab-7");
  EXPECT_EQ(c.stateDir, "/srv/bench");  // trailing slash dropped
  EXPECT_EQ(c.logLevel, "debug");
  EXPECT_EQ(c.policyFile, "/etc/provbench/policy.yaml");
  EXPECT_EQ(c.listenAddress, "::");
  EXPECT_EQ(c.listenPort, 0);
  EXPECT_EQ(c.adminSocket, "/run/pb/admin.sock");
  EXPECT_EQ(c.adminGroup, "pb-admin");
  EXPECT_EQ(c.readonlyGroup, "pb_view");
  EXPECT_EQ(c.tlsCert, "/etc/pb/tls.crt");
  EXPECT_EQ(c.tlsKey, "/etc/pb/tls.key");
  EXPECT_EQ(c.maxFrameBytes, 65536u);
  EXPECT_EQ(c.ioTimeoutMs, 2000u);
  EXPECT_EQ(c.handshakeTimeoutMs, 1000u);
  EXPECT_EQ(c.sessionTimeoutMs, 60000u);
  EXPECT_EQ(c.maxSessions, 16u);
  EXPECT_EQ(c.maxSessionsPerSource, 2u);
  ASSERT_EQ(c.slots.size(), 3u);
  EXPECT_EQ(c.slots[0].id, "a1");
  EXPECT_EQ(c.slots[0].label, "Bay A, slot 1");
  EXPECT_EQ(c.slots[0].source, "10.0.0.11");
  EXPECT_EQ(c.slots[1].label, "a2");          // label defaults to the id
  EXPECT_EQ(c.slots[1].source, "10.0.0.12");  // IPv4-mapped IPv6 is the IPv4 peer
  EXPECT_EQ(c.slots[2].source, "fe80::1");    // canonical IPv6 text
}

TEST(BenchConfig, MinimalConfigGetsDefaults) {
  auto r = parseBenchConfig("bench_id: b\nstate_dir: /var/lib/provbench\n", "bench.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const BenchConfig& c = *r;
  EXPECT_EQ(c.listenAddress, "0.0.0.0");
  EXPECT_EQ(c.listenPort, 8443);
  EXPECT_EQ(c.adminSocket, "/var/lib/provbench/admin.sock");
  EXPECT_EQ(c.tlsCert, "/var/lib/provbench/keys/agent-tls.crt");
  EXPECT_EQ(c.tlsKey, "/var/lib/provbench/keys/agent-tls.key");
  EXPECT_EQ(c.adminGroup, "");
  EXPECT_EQ(c.readonlyGroup, "");
  EXPECT_EQ(c.policyFile, "");
  EXPECT_EQ(c.maxFrameBytes, 1048576u);
  EXPECT_EQ(c.ioTimeoutMs, 10000u);
  EXPECT_EQ(c.handshakeTimeoutMs, 5000u);
  EXPECT_EQ(c.sessionTimeoutMs, 300000u);
  EXPECT_EQ(c.maxSessions, 512u);
  EXPECT_EQ(c.maxSessionsPerSource, 8u);
  EXPECT_TRUE(c.slots.empty());
  EXPECT_EQ(c.logLevel, "info");
}

TEST(BenchConfig, EmptyPolicyMeansBuiltIn) {
  auto r = parseBenchConfig("bench_id: b\nstate_dir: /s\npolicy: \"\"\n", "bench.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->policyFile, "");
}

TEST(BenchConfig, DemoConfigLoads) {
  auto r = loadBenchConfig(PB_SOURCE_DIR "/appliance/demo/bench.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->slots.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r->slots[i].source, "127.0.1." + std::to_string(i + 1));
    EXPECT_EQ(r->slots[i].id, "slot-" + std::to_string(i + 1));
  }
}

TEST(BenchConfig, UnknownTopLevelKey) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nstate_dri: /t\n"),
            "bench.yaml:3:1: state_dri: unknown key (did you mean 'state_dir'?)");
}

TEST(BenchConfig, AmtProvisioningCertificateAndCrl) {
  auto r = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\namt_provisioning:\n  certificate: /etc/pb/prov.pem\n"
      "  crl: /etc/pb/ca.crl\n",
      "bench.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->amtProvisioningCertificate, "/etc/pb/prov.pem");
  EXPECT_EQ(r->amtProvisioningCrl, "/etc/pb/ca.crl");
  auto none = parseBenchConfig("bench_id: b\nstate_dir: /s\n", "bench.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->amtProvisioningCertificate.empty());
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\namt_provisioning:\n  crl: /c\n"),
            "bench.yaml:4:3: amt_provisioning.certificate: required key is missing");
  EXPECT_NE(errorsOf("bench_id: b\nstate_dir: /s\namt_provisioning:\n  certificate: rel.pem\n")
                .find("amt_provisioning.certificate: must be an absolute path"),
            std::string::npos);
}

TEST(BenchConfig, TypoInNestedKey) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nagent_listener:\n  prot: 1\n"),
            "bench.yaml:4:3: agent_listener.prot: unknown key (did you mean 'port'?)");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots:\n  - id: x\n    sorce: 10.0.0.1\n"),
            "bench.yaml:4:5: slots[0].source: required key is missing\n"
            "bench.yaml:5:5: slots[0].sorce: unknown key (did you mean 'source'?)");
}

TEST(BenchConfig, WrongType) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nagent_listener:\n  port: \"8443\"\n"),
            "bench.yaml:4:9: agent_listener.port: expected an integer in 0..65535, got the "
            "quoted string '8443'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits: 5\n"),
            "bench.yaml:3:9: limits: expected a mapping, got a string");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots: {id: x}\n"),
            "bench.yaml:3:8: slots: expected a sequence, got a mapping");
  EXPECT_EQ(errorsOf("[1, 2]\n"), "bench.yaml:1:1: expected a mapping, got a sequence");
}

TEST(BenchConfig, OutOfRange) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nagent_listener:\n  port: 65536\n"),
            "bench.yaml:4:9: agent_listener.port: must be in 0..65535, got '65536'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  max_frame_bytes: 1023\n"),
            "bench.yaml:4:20: limits.max_frame_bytes: must be in 1024..16777216, got '1023'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  max_sessions: 4\n"
                     "  max_sessions_per_source: 5\n"),
            "bench.yaml:5:28: limits.max_sessions_per_source: must not exceed max_sessions (4)");
}

TEST(BenchConfig, AgentPortAvailabilityLimits) {
  // Defaults: the hello deadline, and a reservation of slots x per-source, at most half.
  auto d = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\nslots:\n  - {id: a, source: 10.0.0.1}\n"
      "  - {id: b, source: 10.0.0.2}\n",
      "bench.yaml");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->helloTimeoutMs, 3000u);
  EXPECT_EQ(d->reservedSlotSessions, 16u);  // 2 slots x 8
  EXPECT_EQ(d->unregisteredHellosPerMinute, 12u);
  EXPECT_EQ(d->unregisteredHelloBurst, 4u);
  EXPECT_EQ(d->kiosk.maxConnectionsPerSource, 8u);
  EXPECT_EQ(d->kiosk.unregisteredTilesPerSlot, 4u);
  auto capped = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\nlimits:\n  max_sessions: 10\n  io_timeout_ms: 500\n"
      "slots:\n  - {id: a, source: 10.0.0.1}\n  - {id: b, source: 10.0.0.2}\n"
      "kiosk:\n  limits: {max_connections: 2}\n",
      "bench.yaml");
  ASSERT_TRUE(capped.ok()) << capped.error().message;
  EXPECT_EQ(capped->reservedSlotSessions, 5u);  // half of max_sessions
  EXPECT_EQ(capped->helloTimeoutMs, 500u);      // never past the io timeout
  EXPECT_EQ(capped->kiosk.maxConnectionsPerSource, 2u);
  auto set = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\nlimits:\n  hello_timeout_ms: 250\n"
      "  reserved_slot_sessions: 0\n  unregistered_hellos_per_minute: 30\n"
      "  unregistered_hello_burst: 2\nkiosk:\n  limits:\n    max_connections_per_source: 3\n"
      "    unregistered_tiles_per_slot: 1\n",
      "bench.yaml");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->helloTimeoutMs, 250u);
  EXPECT_EQ(set->reservedSlotSessions, 0u);
  EXPECT_EQ(set->unregisteredHellosPerMinute, 30u);
  EXPECT_EQ(set->unregisteredHelloBurst, 2u);
  EXPECT_EQ(set->kiosk.maxConnectionsPerSource, 3u);
  EXPECT_EQ(set->kiosk.unregisteredTilesPerSlot, 1u);

  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  io_timeout_ms: 1000\n"
                     "  hello_timeout_ms: 2000\n"),
            "bench.yaml:5:21: limits.hello_timeout_ms: must not exceed io_timeout_ms (1000)");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  hello_timeout_ms: 99\n"),
            "bench.yaml:4:21: limits.hello_timeout_ms: must be in 100..60000, got '99'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  max_sessions: 4\n"
                     "  reserved_slot_sessions: 5\n"),
            "bench.yaml:5:27: limits.reserved_slot_sessions: must not exceed max_sessions (4)");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlimits:\n  unregistered_hello_burst: 0\n"),
            "bench.yaml:4:29: limits.unregistered_hello_burst: must be in 1..10000, got '0'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nkiosk:\n  limits:\n    max_connections: 4\n"
                     "    max_connections_per_source: 5\n"),
            "bench.yaml:6:33: kiosk.limits.max_connections_per_source: must not exceed "
            "max_connections (4)");
}

TEST(BenchConfig, BadIpAddresses) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots:\n  - id: x\n    source: 10.0.0.256\n"),
            "bench.yaml:5:13: slots[0].source: expected an IPv4 or IPv6 address, got "
            "'10.0.0.256'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nagent_listener: {address: localhost}\n"),
            "bench.yaml:3:27: agent_listener.address: expected an IPv4 or IPv6 address, got "
            "'localhost'");
  for (const char* bad : {"010.0.0.1", "1.2.3", "fe80::1%eth0", "1.2.3.4/24", "::g"}) {
    EXPECT_EQ(canonicalIpAddress(bad), "") << bad;
  }
}

TEST(BenchConfig, DuplicateSlotIdAndSource) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots:\n"
                     "  - {id: a, source: 10.0.0.1}\n"
                     "  - {id: a, source: 10.0.0.2}\n"
                     "  - {id: c, source: \"::ffff:10.0.0.1\"}\n"),
            "bench.yaml:5:10: slots[1].id: duplicate slot id 'a' (first at line 4, column 10)\n"
            "bench.yaml:6:21: slots[2].source: duplicate slot source '10.0.0.1' (first at line "
            "4, column 21)");
}

TEST(BenchConfig, DuplicateKey) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nbench_id: c\n"),
            "bench.yaml:3:1: duplicate key 'bench_id' (first at line 1, column 1)");
}

TEST(BenchConfig, RelativeAndDottedPaths) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: var/lib/pb\n"),
            "bench.yaml:2:12: state_dir: must be an absolute path, got 'var/lib/pb'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\ntls:\n  key: /etc/../tmp/k\n"),
            "bench.yaml:4:8: tls.key: must not contain '.' or '..' components, got "
            "'/etc/../tmp/k'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\npolicy: policy.yaml\n"),
            "bench.yaml:3:9: policy: must be an absolute path, got 'policy.yaml'");
}

TEST(BenchConfig, SocketPathLength) {
  const std::string longDir = "/" + std::string(110, 'd');
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: " + longDir + "\n"),
            "bench.yaml:2:12: state_dir: the default admin socket '/" + std::string(110, 'd') +
                "/admin.sock' is too long for a Unix socket; set admin.socket");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: " + longDir + "\nadmin: {socket: /run/a.sock}\n"),
            "");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nadmin: {socket: " + longDir + "}\n"),
            "bench.yaml:3:17: admin.socket: longer than 107 bytes, the limit for a Unix socket "
            "path");
}

TEST(BenchConfig, IdentifiersGroupsAndLogLevel) {
  EXPECT_EQ(errorsOf("bench_id: Lab_1\nstate_dir: /s\n"),
            "bench.yaml:1:11: bench_id: expected [a-z0-9][a-z0-9-]{0,31}, got 'Lab_1'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nadmin: {group: \"wheel staff\"}\n"),
            "bench.yaml:3:16: admin.group: expected a group name ([a-z_][a-z0-9_-]{0,31}), got "
            "'wheel staff'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nlog_level: verbose\n"),
            "bench.yaml:3:12: log_level: expected debug, info, warn or error, got 'verbose'");
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots:\n  - {id: -x, source: 10.0.0.1}\n"),
            "bench.yaml:4:10: slots[0].id: expected [a-z0-9][a-z0-9-]{0,31}, got '-x'");
}

TEST(BenchConfig, MissingRequiredKeys) {
  EXPECT_EQ(errorsOf("log_level: info\n"),
            "bench.yaml:1:1: bench_id: required key is missing\n"
            "bench.yaml:1:1: state_dir: required key is missing");
}

TEST(BenchConfig, YamlSyntaxError) {
  EXPECT_EQ(errorsOf("bench_id: b\nstate_dir: /s\nslots: [\n"),
            "bench.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST(BenchConfig, TooManySlots) {
  std::string text = "bench_id: b\nstate_dir: /s\nslots:\n";
  for (int i = 0; i < 257; ++i) {
    text += "  - {id: s" + std::to_string(i) + ", source: 10.0." + std::to_string(i / 200) + "." +
            std::to_string(i % 200 + 1) + "}\n";
  }
  EXPECT_EQ(errorsOf(text), "bench.yaml:4:3: slots: more than 256 slots");
}

TEST(BenchConfig, AllErrorsReportedInOneRun) {
  const std::string out = errorsOf(
      "bench_id: B!\n"         // 1 bad id
      "state_dir: relative\n"  // 2 relative
      "agent_listener:\n"
      "  port: -1\n"         // 4 wrong type
      "  adress: 1.2.3.4\n"  // 5 typo
      "limits:\n"
      "  io_timeout_ms: 1\n"  // 7 out of range
      "slots:\n"
      "  - {id: a, source: 1.2.3.999}\n"  // 9 bad IP
      "  - {id: a, source: 1.2.3.4}\n"    // 10 duplicate id
      "bench_id: again\n");               // 11 duplicate key
  const auto lines = std::count(out.begin(), out.end(), '\n') + 1;
  EXPECT_EQ(lines, 8) << out;
  for (const char* where :
       {"bench.yaml:1:11: bench_id:", "bench.yaml:2:12: state_dir:",
        "bench.yaml:4:9: agent_listener.port:",
        "bench.yaml:5:3: agent_listener.adress: unknown key (did you mean "
        "'address'?)",
        "bench.yaml:7:18: limits.io_timeout_ms:", "bench.yaml:9:21: slots[0].source:",
        "bench.yaml:10:10: slots[1].id: duplicate", "bench.yaml:11:1: duplicate key"}) {
    EXPECT_NE(out.find(where), std::string::npos) << where << "\n" << out;
  }
}

TEST(BenchConfig, ErrorCodeIsConfig) {
  auto r = parseBenchConfig("x: 1\n", "bench.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "config");
}

class BenchConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(BenchConfigFile, LoadsAndNamesTheFileInErrors) {
  auto ok = loadBenchConfig(write("good.yaml", "bench_id: b\nstate_dir: /s\n"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  const std::string bad = write("bad.yaml", "bench_id: b\n");
  auto r = loadBenchConfig(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, bad + ":1:1: state_dir: required key is missing");
}

TEST_F(BenchConfigFile, MissingOversizeAndNonRegularFiles) {
  auto missing = loadBenchConfig(dir_ + "/nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io");
  auto big = loadBenchConfig(write("big.yaml", std::string(kMaxBenchConfigBytes + 1, '#')));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "too_large");
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = loadBenchConfig(fifo);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("not a regular file"), std::string::npos);
  auto d = loadBenchConfig(dir_);
  ASSERT_FALSE(d.ok());
}

}  // namespace
}  // namespace pb

namespace pb {
namespace {

TEST(BenchConfigPolicy, StringFormNamesTheFileAndDefaultsTheSignature) {
  auto r = parseBenchConfig("bench_id: b\nstate_dir: /s\npolicy: /etc/pb/policy.yaml\n", "b.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->policyFile, "/etc/pb/policy.yaml");
  EXPECT_EQ(r->policySignature, "/etc/pb/policy.yaml.sig");
  EXPECT_TRUE(r->policyTrustedSigners.empty());
  EXPECT_FALSE(r->policyAllowUnsigned);  // secure default
}

TEST(BenchConfigPolicy, MappingForm) {
  auto r = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\npolicy:\n  file: /etc/pb/p.yaml\n  signature: /etc/pb/p.sig\n"
      "  trusted_signers: [/etc/pb/alice.pem, /etc/pb/bob.pem]\n  allow_unsigned: true\n",
      "b.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->policyFile, "/etc/pb/p.yaml");
  EXPECT_EQ(r->policySignature, "/etc/pb/p.sig");
  EXPECT_EQ(r->policyTrustedSigners,
            (std::vector<std::string>{"/etc/pb/alice.pem", "/etc/pb/bob.pem"}));
  EXPECT_TRUE(r->policyAllowUnsigned);
}

TEST(BenchConfigPolicy, MappingErrors) {
  auto r = parseBenchConfig(
      "bench_id: b\nstate_dir: /s\npolicy:\n  signature: /p.sig\n"
      "  trusted_signers: [keys/a.pem, /a.pem, /a.pem]\n  allow_unsigned: yes\n  fil: /x\n",
      "b.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "b.yaml:4:14: policy.signature: a signature needs policy.file\n"
            "b.yaml:5:21: policy.trusted_signers[0]: must be an absolute path, got 'keys/a.pem'\n"
            "b.yaml:5:41: policy.trusted_signers[2]: duplicate of the item at line 5, column 33\n"
            "b.yaml:6:19: policy.allow_unsigned: expected true or false, got 'yes'\n"
            "b.yaml:7:3: policy.fil: unknown key (did you mean 'file'?)");
}

}  // namespace
}  // namespace pb
