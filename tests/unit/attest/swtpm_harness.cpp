// SPDX-License-Identifier: Apache-2.0
#include "swtpm_harness.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pb::attest::testing {

namespace {

int listenOn(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Below the kernel's ephemeral range, which outgoing connections of concurrent tests draw from
// (the same reasoning as appliance/sim/swtpm_device.cpp).
int randomLowPort() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<int>(10000, 32000)(rng);
}

}  // namespace

Swtpm::Swtpm(const std::string& stateDir) {
  // The swtpm TCTI talks to port N and its control channel on N+1. Ports are found free by binding
  // them; if another process takes one before swtpm does, swtpm exits and we try the next pair.
  for (int attempt = 0; attempt < 20 && pid_ < 0; ++attempt) {
    int port = randomLowPort();
    int server = listenOn(port);
    if (server < 0) continue;
    int ctrl = listenOn(port + 1);
    ::close(server);
    if (ctrl < 0) continue;
    ::close(ctrl);
    // swtpm writes its pid file once its sockets listen: that is the readiness signal, watched
    // with inotify (swtpm insists on a regular file, so a pipe cannot carry it).
    std::string pidFile = stateDir + "/swtpm.pid";
    ::unlink(pidFile.c_str());
    int watch = ::inotify_init1(IN_CLOEXEC);
    if (watch < 0 || ::inotify_add_watch(watch, stateDir.c_str(), IN_CLOSE_WRITE) < 0) return;
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string serverArg = "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port);
      std::string ctrlArg = "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port + 1);
      std::string stateArg = "dir=" + stateDir;
      std::string pidArg = "file=" + pidFile;
      ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", serverArg.c_str(), "--ctrl",
               ctrlArg.c_str(), "--tpmstate", stateArg.c_str(), "--flags",
               "not-need-init,startup-clear", "--pid", pidArg.c_str(), "--log", "file=/dev/null",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    bool ready = false;
    bool exited = false;
    for (int waited = 0; waited < 100 && !ready && !exited; ++waited) {
      std::error_code ec;
      if (std::filesystem::file_size(pidFile, ec) > 0 && !ec) {
        ready = true;
        break;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      pollfd pfd{watch, POLLIN, 0};
      if (::poll(&pfd, 1, 100) > 0) {
        char events[4096];
        [[maybe_unused]] ssize_t n = ::read(watch, events, sizeof events);
      }
    }
    ::close(watch);
    if (ready) {
      pid_ = pid;
      port_ = port;
    } else if (!exited) {
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
}

Swtpm::~Swtpm() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string Swtpm::tcti() const {
  return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

int Swtpm::run(const std::string& command) const {
  std::string full = "export TPM2TOOLS_TCTI='" + tcti() + "'; { " + command + "; } >/dev/null 2>&1";
  int status = std::system(full.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Bytes readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::string& path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

}  // namespace pb::attest::testing
