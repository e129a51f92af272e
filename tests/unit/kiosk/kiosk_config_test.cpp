// SPDX-License-Identifier: Apache-2.0
// The kiosk: section of bench.yaml.
#include <gtest/gtest.h>

#include "config/bench_config.hpp"

namespace pb {
namespace {

const std::string kBase = "bench_id: b\nstate_dir: /srv/b\n";

TEST(KioskConfig, DefaultsAreOffOnLoopback) {
  auto c = parseBenchConfig(kBase, "bench.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->kiosk.enabled);
  EXPECT_EQ(c->kiosk.address, "127.0.0.1");
  EXPECT_EQ(c->kiosk.port, 8080);
  EXPECT_EQ(c->kiosk.maxConnections, 16u);
  EXPECT_EQ(c->kiosk.maxMessageBytes, 4096u);
  EXPECT_EQ(c->kiosk.idleTimeoutMs, 30000u);
  EXPECT_TRUE(c->kiosk.allowedOrigins.empty());
}

TEST(KioskConfig, FullSection) {
  auto c = parseBenchConfig(kBase +
                                "kiosk:\n"
                                "  enabled: true\n"
                                "  address: '::1'\n"
                                "  port: 0\n"
                                "  allowed_origins: [http://kiosk.lab:8080]\n"
                                "  limits: {max_connections: 4, max_message_bytes: 128, "
                                "idle_timeout_ms: 2000}\n",
                            "bench.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->kiosk.enabled);
  EXPECT_EQ(c->kiosk.address, "::1");
  EXPECT_EQ(c->kiosk.port, 0);
  EXPECT_EQ(c->kiosk.allowedOrigins, std::vector<std::string>{"http://kiosk.lab:8080"});
  EXPECT_EQ(c->kiosk.maxConnections, 4u);
  EXPECT_EQ(c->kiosk.maxMessageBytes, 128u);
  EXPECT_EQ(c->kiosk.idleTimeoutMs, 2000u);
}

TEST(KioskConfig, BadValuesAreReportedWithTheirKey) {
  auto c = parseBenchConfig(kBase +
                                "kiosk:\n"
                                "  enabled: maybe\n"
                                "  address: kiosk.lab\n"
                                "  port: 70000\n"
                                "  allowed_origins: ['*', 'http://Evil/path']\n"
                                "  limits: {max_connections: 0, max_message_bytes: 1, "
                                "idle_timeout_ms: 5, burst: 3}\n"
                                "  colour: red\n",
                            "bench.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.error().message;
  for (const char* key : {"kiosk.enabled", "kiosk.address", "kiosk.port", "kiosk.allowed_origins",
                          "kiosk.limits.max_connections", "kiosk.limits.max_message_bytes",
                          "kiosk.limits.idle_timeout_ms", "kiosk.limits.burst", "kiosk.colour"}) {
    EXPECT_NE(m.find(key), std::string::npos) << key << "\n" << m;
  }
}

TEST(KioskConfig, DemoConfigEnablesTheKiosk) {
  auto c = loadBenchConfig(std::string(PB_SOURCE_DIR) + "/appliance/demo/bench.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->kiosk.enabled);
}

}  // namespace
}  // namespace pb
