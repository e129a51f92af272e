// SPDX-License-Identifier: Apache-2.0
// A real swtpm per test, for checking the verifier against TPM-made artefacts. The listening
// sockets are bound here (port 0, consecutive command/control ports as the swtpm TCTI expects) and
// handed to swtpm as fds, so it is ready the moment it runs: no port guessing, no sleeping.
#pragma once

#include <string>
#include <vector>

#include <sys/types.h>

#include "core/bytes.hpp"
#include "support/temp_dir.hpp"

namespace pb::attest::testing {

using TempDir = pb::test::TempDir;

class Swtpm {
 public:
  explicit Swtpm(const std::string& stateDir);
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] std::string tcti() const;
  // Runs a tpm2-tools command line (sh -c) against this TPM; returns the exit status.
  int run(const std::string& command) const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

Bytes readFile(const std::string& path);
void writeFile(const std::string& path, const Bytes& data);

}  // namespace pb::attest::testing
