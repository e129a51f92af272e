// SPDX-License-Identifier: Apache-2.0
// provbench-amt-sim: one AMT firmware simulator on a Unix socket, for trying bench-agent
// --amt-socket by hand or against a hello listener. Composition root only.
#include <csignal>
#include <iostream>
#include <string>

#include <getopt.h>

#include "amt/amt_sim_server.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: provbench-amt-sim --socket PATH [--config FILE]

Answers the AMTHI byte protocol on a Unix socket (bench-agent --amt-socket PATH) from a YAML
description of a device's AMT firmware (keys: drivers/amt/README.md; default: a factory device
plus the internal CA), and sends hello packets when remote configuration is on and hello.target
is set. Prints "ready" on stdout once it accepts connections; stops on SIGINT or SIGTERM.
)";

}  // namespace

int main(int argc, char** argv) {
  std::string socketPath, configFile;
  static const option kLong[] = {{"socket", required_argument, nullptr, 's'},
                                 {"config", required_argument, nullptr, 'c'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  while ((c = getopt_long(argc, argv, "h", kLong, nullptr)) != -1) {
    switch (c) {
      case 's':
        socketPath = optarg;
        break;
      case 'c':
        configFile = optarg;
        break;
      case 'h':
        std::cout << kUsage;
        return 0;
      default:
        std::cerr << kUsage;
        return 2;
    }
  }
  if (optind != argc || socketPath.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  pb::AmtSimConfig config = pb::defaultAmtSimConfig();
  if (!configFile.empty()) {
    auto loaded = pb::loadAmtSimConfig(configFile);
    if (!loaded.ok()) {
      std::cerr << "provbench-amt-sim: " << loaded.error().message << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  // Block the stop signals before the server thread starts, so only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  pb::AmtSimServer server(std::move(config), socketPath);
  if (auto st = server.start(); !st.ok()) {
    std::cerr << "provbench-amt-sim: " << st.error().message << "\n";
    return 1;
  }
  std::cout << "ready" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  server.stop();
  std::cerr << "provbench-amt-sim: " << server.requestsHandled() << " requests, "
            << server.hellosSent() << " hellos\n";
  return 0;
}
