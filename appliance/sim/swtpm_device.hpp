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
#include "sim/manufacturer_ca.hpp"
#include "tpm/tpm_device.hpp"

namespace pb {

struct SwtpmOptions {
  std::string stateDir;             // must exist; swtpm.log is written beside the state files
  std::string swtpmPath = "swtpm";  // looked up in PATH when it has no '/'
  // false starts the TPM without TPM2_Startup: present but "not ready for use" until someone
  // sends Startup, which is what the not_ready fleet switch shows the agent.
  bool startup = true;
  int maxAttempts = 16;  // port races (EADDRINUSE) are retried with fresh ports
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

enum class EkCertMode { Trusted, None, Untrusted };

// What a simulated device's TPM looks like before its agent starts.
struct SimTpmSpec {
  KeyAlgorithm ekAlgorithm = KeyAlgorithm::EccP256;
  EkCertMode ekCert = EkCertMode::Trusted;
  // A TPM present but never started (no TPM2_Startup): the agent must report "not_ready".
  bool notReady = false;
  // Measured-boot events, extended into the SHA-256 bank in order (EventLogBuilder's output).
  std::vector<PcrExtend> extends;
};

struct SimTpm {
  std::unique_ptr<SwtpmProcess> process;
  Bytes ekPublic;       // TPM2B_PUBLIC of the EK the agent will recreate; empty when not ready
  Bytes ekCertificate;  // DER as written to NV; empty with EkCertMode::None
  std::uint32_t ekCertIndex = 0;
  std::chrono::microseconds tpmTime{0};  // spent provisioning
};

// Starts a swtpm in `stateDir` and provisions it like a manufacturer and firmware would: creates
// the EK, writes its certificate (issued by `trusted`, or by `untrusted` for the failure switch)
// to NV 0x01C00002 / 0x01C0000A under platform authorisation, and extends the boot events. The
// TPM connection is closed again before returning, so the agent can connect (swtpm serves one
// client at a time).
Result<SimTpm> provisionSimTpm(const std::string& stateDir, const SimTpmSpec& spec,
                               const ManufacturerCa& trusted, const ManufacturerCa& untrusted);

}  // namespace pb
