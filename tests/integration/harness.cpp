// SPDX-License-Identifier: Apache-2.0
#include "harness.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pb::test {

std::string binDir() {
  return PB_BIN_DIR;
}
std::string sourceDir() {
  return PB_SOURCE_DIR;
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Process::Process(const SpawnOptions& o) {
  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> envStore;
  for (char** e = environ; *e != nullptr; ++e) envStore.emplace_back(*e);
  for (const auto& [k, v] : o.env) envStore.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envStore) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argStore = o.args;
  std::vector<char*> argv;
  for (auto& a : argStore) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls from here on.
    ::dup2(outPipe[1], 1);
    ::dup2(errPipe[1], 2);
    for (const auto& [childFd, parentFd] : o.extraFds) {
      ::dup2(parentFd, childFd);  // dup2 clears FD_CLOEXEC on the new descriptor
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (o.gid != static_cast<gid_t>(-1) && (::setgroups(0, nullptr) != 0 || ::setgid(o.gid) != 0)) {
      ::_exit(126);
    }
    if (o.uid != static_cast<uid_t>(-1) && ::setuid(o.uid) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(outPipe[1]);
  ::close(errPipe[1]);
  outThread_ = std::thread([this, fd = outPipe[0]] { drain(fd, out_); });
  errThread_ = std::thread([this, fd = errPipe[0]] { drain(fd, err_); });
}

Process::~Process() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  if (outThread_.joinable()) outThread_.join();
  if (errThread_.joinable()) errThread_.join();
}

void Process::drain(int fd, std::string& buf) {
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    buf.append(chunk, static_cast<std::size_t>(n));
    cv_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  --openStreams_;
  cv_.notify_all();
}

namespace {
int countLines(const std::string& text, const std::function<bool(const std::string&)>& pred) {
  int n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += pred(line) ? 1 : 0;
  return n;
}
}  // namespace

bool Process::waitForErrLines(const std::function<bool(const std::string&)>& pred, int count,
                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return countLines(err_, pred) >= count || openStreams_ == 0; });
  return countLines(err_, pred) >= count;
}

int Process::countErrLines(const std::function<bool(const std::string&)>& pred) {
  std::lock_guard<std::mutex> lock(mu_);
  return countLines(err_, pred);
}

void Process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int Process::wait() {
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (outThread_.joinable()) outThread_.join();
  if (errThread_.joinable()) errThread_.join();
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::string Process::out() {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

std::string Process::err() {
  std::lock_guard<std::mutex> lock(mu_);
  return err_;
}

RunResult run(const SpawnOptions& options) {
  Process p(options);
  RunResult r;
  r.exitCode = p.wait();
  r.out = p.out();
  r.err = p.err();
  return r;
}

Benchd::Benchd(const std::string& stateDir, BenchdOptions options)
    : stateDir_(stateDir), options_(std::move(options)) {}

Benchd::~Benchd() {
  if (proc_) stop();
}

bool Benchd::start() {
  std::ostringstream cfg;
  cfg << "bench_id: " << options_.benchId << "\n"
      << "state_dir: " << stateDir_ << "\n"
      << "agent_listener:\n  address: 127.0.0.1\n  port: " << (port_ != 0 ? port_ : options_.port)
      << "\n"
      << "admin:\n  socket: " << adminSocket() << "\n"
      << "stages: " << options_.stagesYaml << "\n"
      << "limits:\n"
      << options_.limitsYaml;
  if (!options_.policyYaml.empty()) {
    writeFile(stateDir_ + "/policy.yaml", options_.policyYaml);
    // Tests load unsigned policies: development mode (policy.allow_unsigned).
    cfg << "policy:\n  file: " << stateDir_ << "/policy.yaml\n  allow_unsigned: true\n";
  }
  cfg << options_.extraConfig;
  writeFile(configPath(), cfg.str());

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return false;
  SpawnOptions so;
  so.args = {binDir() + "/benchd", "--config", configPath(), "--ready-fd", "3"};
  so.extraFds[3] = ready[1];
  proc_ = std::make_unique<Process>(so);
  ::close(ready[1]);
  // The ready line arrives when benchd listens; EOF without it means benchd failed to start.
  std::string line;
  char c = 0;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(ready[0]);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.value("ready", false)) return false;
  ready_ = j;
  port_ = j.value("agent_port", static_cast<std::uint16_t>(0));
  return port_ != 0;
}

void Benchd::stop() {
  if (!proc_) return;
  proc_->signal(SIGTERM);
  proc_->wait();
}

void Benchd::kill9() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  proc_->wait();
}

RunResult Benchd::benchctl(std::vector<std::string> args) {
  SpawnOptions so;
  so.args = {binDir() + "/benchctl", "--socket", adminSocket()};
  so.args.insert(so.args.end(), args.begin(), args.end());
  return run(so);
}

nlohmann::json Benchd::benchctlJson(std::vector<std::string> args) {
  args.insert(args.begin(), "--json");
  RunResult r = benchctl(args);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json{{"exit", r.exitCode}, {"out", r.out}, {"err", r.err}}
                          : j;
}

}  // namespace pb::test
