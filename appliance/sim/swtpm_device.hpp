// SPDX-License-Identifier: Apache-2.0
// A real swtpm process per simulated device (and per TPM test): state in a directory the caller
// owns, TCP ports chosen free, readiness confirmed over the control channel, killed on teardown.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>

#include "core/result.hpp"

namespace pb {

struct SwtpmOptions {
  std::string stateDir;             // must exist; swtpm.log is written beside the state files
  std::string swtpmPath = "swtpm";  // looked up in PATH when it has no '/'
  // false starts the TPM without TPM2_Startup: present but "not ready for use" until someone
  // sends Startup, which is what the not_ready fleet switch shows the agent.
  bool startup = true;
  int maxAttempts = 8;  // port races (EADDRINUSE) are retried with fresh ports
  std::chrono::milliseconds readyTimeout{10000};
};

class SwtpmProcess {
 public:
  // Starts swtpm and returns once its control channel answers (no sleeps, no guessing).
  static Result<std::unique_ptr<SwtpmProcess>> start(const SwtpmOptions& options);
  ~SwtpmProcess();
  SwtpmProcess(const SwtpmProcess&) = delete;
  SwtpmProcess& operator=(const SwtpmProcess&) = delete;

  // SIGTERM and reap; idempotent. The destructor calls it.
  void stop();

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint16_t ctrlPort() const { return static_cast<std::uint16_t>(port_ + 1); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // TCTI configuration string for tpm2-tss and tpm2-tools: "swtpm:host=127.0.0.1,port=P".
  [[nodiscard]] std::string tcti() const;

 private:
  SwtpmProcess(pid_t pid, std::uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace pb
