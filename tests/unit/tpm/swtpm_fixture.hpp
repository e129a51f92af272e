// SPDX-License-Identifier: Apache-2.0
// Test fixture: a fresh swtpm (its own temp state dir, free ports) and a TpmDevice on it. The
// simulator uses the same SwtpmProcess.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "sim/swtpm_device.hpp"
#include "support/temp_dir.hpp"
#include "tpm/tpm_device.hpp"

namespace pb::test {

class SwtpmTest : public ::testing::Test {
 protected:
  void SetUp() override { startTpm(true); }
  void TearDown() override {
    tpm.reset();
    swtpm.reset();
  }

  void startTpm(bool startup) {
    tpm.reset();
    swtpm.reset();
    SwtpmOptions o;
    o.stateDir = dir.path();
    o.startup = startup;
    auto s = SwtpmProcess::start(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    swtpm = std::move(*s);
    auto t = TpmDevice::open(swtpm->tcti());
    ASSERT_TRUE(t.ok()) << t.error().message;
    tpm = std::move(*t);
  }

  // Every operation must leave no transient object and no session behind.
  void expectNoHandles() {
    auto c = tpm->handleCounts();
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->transient, 0u);
    EXPECT_EQ(c->sessions, 0u);
  }

  TempDir dir;
  std::unique_ptr<SwtpmProcess> swtpm;
  std::unique_ptr<TpmDevice> tpm;
};

}  // namespace pb::test
