// SPDX-License-Identifier: Apache-2.0
// Test harness for integration tests: temp dirs, child processes with captured output, and a real
// benchd started on port 0 whose readiness is read from --ready-fd (no sleeps, no polling).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "support/temp_dir.hpp"

namespace pb::test {

// Where the programs under test live (set by CMake: PB_BIN_DIR) and the repo root (PB_SOURCE_DIR).
std::string binDir();
std::string sourceDir();

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

struct RunResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

struct SpawnOptions {
  std::vector<std::string> args;       // args[0] is the program path
  std::map<int, int> extraFds;         // child fd -> parent fd to dup there
  uid_t uid = static_cast<uid_t>(-1);  // drop to this uid/gid in the child (root tests only)
  gid_t gid = static_cast<gid_t>(-1);
  std::vector<std::pair<std::string, std::string>> env;  // added to the environment
};

// A child process whose stdout and stderr are drained by threads into buffers that can be waited
// on line by line.
class Process {
 public:
  explicit Process(const SpawnOptions& options);
  ~Process();  // kills (SIGKILL) and reaps if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Waits until a stderr line satisfies `pred` (true) or the stream ends / timeout passes (false).
  bool waitForErrLine(const std::function<bool(const std::string&)>& pred,
                      std::chrono::milliseconds timeout) {
    return waitForErrLines(pred, 1, timeout);
  }
  // Waits until at least `count` stderr lines satisfy `pred`.
  bool waitForErrLines(const std::function<bool(const std::string&)>& pred, int count,
                       std::chrono::milliseconds timeout);
  int countErrLines(const std::function<bool(const std::string&)>& pred);
  void signal(int sig);
  int wait();  // exit code, or 128 + signal
  std::string out();
  std::string err();

 private:
  void drain(int fd, std::string& buf);

  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;
  int openStreams_ = 2;
  std::thread outThread_, errThread_;
};

RunResult run(const SpawnOptions& options);

struct BenchdOptions {
  std::string benchId = "test-bench";
  std::uint16_t port = 0;
  std::string extraConfig;  // appended to bench.yaml (top-level keys)
  std::string limitsYaml = "  io_timeout_ms: 5000\n  handshake_timeout_ms: 2000\n";
  std::string policyYaml;  // written to policy.yaml and referenced when non-empty
  // bench.yaml `stages:`. Tests of admission run none (devices end identified); the stage tests
  // and the demo run "[checks, attest]".
  std::string stagesYaml = "[]";
};

// A real benchd process with its own state directory.
class Benchd {
 public:
  Benchd(const std::string& stateDir, BenchdOptions options = {});
  ~Benchd();
  // Starts benchd and waits for its ready line. False (with the log in err()) on failure.
  bool start();
  void stop();  // SIGTERM and wait
  void kill9();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string appliance() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string adminSocket() const { return stateDir_ + "/admin.sock"; }
  [[nodiscard]] std::string pinFile() const { return stateDir_ + "/keys/agent.pin"; }
  [[nodiscard]] std::string configPath() const { return stateDir_ + "/bench.yaml"; }
  [[nodiscard]] const std::string& stateDir() const { return stateDir_; }
  // The --ready-fd line of the last start (agent_port, kiosk_port, …).
  [[nodiscard]] const nlohmann::json& ready() const { return ready_; }
  // Changed options apply at the next start().
  BenchdOptions& options() { return options_; }
  Process* process() { return proc_.get(); }
  // Runs benchctl against this benchd; `json` adds --json and parses stdout into `parsed`.
  RunResult benchctl(std::vector<std::string> args);
  nlohmann::json benchctlJson(std::vector<std::string> args);

 private:
  std::string stateDir_;
  BenchdOptions options_;
  std::uint16_t port_ = 0;
  nlohmann::json ready_;
  std::unique_ptr<Process> proc_;
};

}  // namespace pb::test
