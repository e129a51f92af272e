// SPDX-License-Identifier: Apache-2.0
// benchctl: the composition root. Parses the command line, reads a register file if one is to be
// sent, talks to benchd over the admin socket and prints the result. Exit codes: 0 ok, 1 the
// command failed, 2 usage error, 3 cannot reach benchd, 4 invalid input file (offline check).
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include "admin/admin_client.hpp"
#include "admin/admin_protocol.hpp"
#include "attest/offline.hpp"
#include "benchctl/check_command.hpp"
#include "benchctl/cli.hpp"
#include "benchctl/paged_list.hpp"
#include "benchctl/policy_tools.hpp"
#include "benchctl/render.hpp"
#include "core/clock.hpp"
#include "core/files.hpp"
#include "platcert/platform_cert_json.hpp"
#include "policy/signing.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

std::string dumpJson(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int runRemote(pb::Invocation& inv) {
  if (!inv.importPath.empty()) {
    // The protocol limit bounds the file; the server's parser applies its own, smaller limit.
    auto content = pb::readFileBounded(inv.importPath, pb::kMaxAdminRequestBytes);
    if (!content) {
      std::cerr << "benchctl: cannot read " << pb::sanitizeForTerminal(inv.importPath) << ": "
                << pb::sanitizeForTerminal(content.error().message) << "\n";
      return kExitFailed;
    }
    inv.args["content"] = std::move(*content);
  }
  if (inv.cmd == "policy.load") {
    // The signature travels with the file; benchd verifies it. FILE.sig is used when --sig is
    // not given and it exists; no signature at all is benchd's to refuse (or accept in
    // development mode).
    std::string sigPath = inv.signaturePath;
    if (sigPath.empty() && ::access((inv.importPath + ".sig").c_str(), F_OK) == 0) {
      sigPath = inv.importPath + ".sig";
    }
    if (!sigPath.empty()) {
      auto sig = pb::readFileBounded(sigPath, pb::kMaxSignatureFileBytes);
      if (!sig) {
        std::cerr << "benchctl: cannot read " << pb::sanitizeForTerminal(sigPath) << ": "
                  << pb::sanitizeForTerminal(sig.error().message) << "\n";
        return kExitFailed;
      }
      inv.args["signature"] = std::move(*sig);
    }
  }
  auto client = pb::AdminClient::connect(inv.socketPath);
  if (!client) {
    std::cerr << "benchctl: " << pb::sanitizeForTerminal(client.error().message) << "\n";
    return kExitUnreachable;
  }
  if (inv.cmd == "devices" || inv.cmd == "registry.list") {
    // Paged: any fleet size, printed as it arrives.
    auto outcome = pb::printPagedList(
        inv, [&](const nlohmann::json& args) { return client->call(inv.cmd, args); },
        pb::kMaxAdminPageSize, std::cout, std::cerr);
    return outcome.exitCode;
  }
  auto response = client->call(inv.cmd, inv.args);
  if (!response) {
    std::cerr << "benchctl: " << pb::sanitizeForTerminal(response.error().message) << "\n";
    return response.error().code == pb::admin_client_error::kUnreachable ? kExitUnreachable
                                                                         : kExitFailed;
  }
  int code = pb::exitCodeForResponse(inv.cmd, *response);
  bool ok = response->value("ok", false);
  if (inv.json) {
    // Scripts get the result on success and the whole error object (with its code) otherwise.
    std::cout << dumpJson(ok ? response->at("result") : *response);
  } else if (ok) {
    std::cout << pb::renderResult(inv.cmd, response->at("result"), inv.importPath);
  } else {
    std::cerr << pb::renderFailure(*response, inv.importPath);
  }
  return code;
}

std::string optionValue(const pb::Invocation& inv, std::string_view name) {
  for (const auto& [k, v] : inv.offline) {
    if (k == name) return v;
  }
  return {};
}

bool readInput(const std::string& path, pb::Bytes& out) {
  // Quote files are a few KiB; event logs stay under the parser's own bound.
  auto content = pb::readFileBounded(path, 16 * 1024 * 1024);
  if (!content) {
    std::cerr << "benchctl: cannot read " << pb::sanitizeForTerminal(path) << ": "
              << pb::sanitizeForTerminal(content.error().message) << "\n";
    return false;
  }
  out.assign(content->begin(), content->end());
  return true;
}

int runQuoteVerify(const pb::Invocation& inv) {
  pb::attest::QuoteVerifyFiles files;
  if (!readInput(optionValue(inv, "--ak-pub"), files.akPub) ||
      !readInput(optionValue(inv, "--msg"), files.msg) ||
      !readInput(optionValue(inv, "--sig"), files.sig) ||
      !readInput(optionValue(inv, "--pcrs"), files.pcrs)) {
    return kExitFailed;
  }
  files.nonceHex = optionValue(inv, "--nonce");
  files.pcrList = optionValue(inv, "--pcr-list");
  bool passed = false;
  std::cout << dumpJson(pb::attest::quoteVerifyJson(files, passed));
  return passed ? kExitOk : kExitFailed;
}

int runEventlogShow(const pb::Invocation& inv) {
  pb::Bytes log;
  if (!readInput(inv.file, log)) return kExitFailed;
  bool ok = false;
  auto report = pb::attest::eventLogJson(log, ok);
  // The text holds only hex, numbers and fixed event-type names: nothing from the log verbatim.
  std::cout << (inv.json ? dumpJson(report) : pb::attest::eventLogText(report));
  return ok ? kExitOk : kExitFailed;
}

int runPlatformcertShow(const pb::Invocation& inv) {
  pb::Bytes der;
  if (!readInput(inv.file, der)) return kExitFailed;
  auto pc = pb::platcert::parsePlatformCertificate(der);
  if (!pc) {
    std::cerr << "benchctl: " << pc.error().code << ": " << pc.error().message << "\n";
    return kExitFailed;
  }
  // Certificate strings are printed only when printable (platform_cert_json.hpp).
  std::cout << (inv.json ? dumpJson(pb::platcert::toJson(*pc)) : pb::platcert::toText(*pc));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv(std::string(pb::kAdminSocketEnv).c_str());
  auto commandLine = pb::parseCommandLine(args, env != nullptr ? env : "");
  if (auto* usage = std::get_if<pb::UsageError>(&commandLine)) {
    std::cerr << "benchctl: " << pb::sanitizeForTerminal(usage->message)
              << "\nUsage: " << usage->usage << "\n";
    return kExitUsage;
  }
  auto& inv = std::get<pb::Invocation>(commandLine);
  switch (inv.action) {
    case pb::Invocation::Action::Help:
    case pb::Invocation::Action::Version:
      std::cout << inv.text;
      return kExitOk;
    case pb::Invocation::Action::Reasons:
      std::cout << (inv.json ? dumpJson(pb::reasonsJson()) : pb::renderReasons(inv.markdown));
      return kExitOk;
    case pb::Invocation::Action::PolicyTool: {
      pb::ToolOutput out = pb::runPolicyTool(inv);
      std::cout << out.out;
      std::cerr << out.err;
      return out.exitCode;
    }
    case pb::Invocation::Action::Check: {
      const pb::SystemClock clock;
      auto result = pb::runCheckCommand(inv.policyPath, inv.factsPath, inv.json, clock);
      std::cout << result.out;
      std::cerr << result.err;
      return result.exitCode;
    }
    case pb::Invocation::Action::Remote:
      return runRemote(inv);
    case pb::Invocation::Action::QuoteVerify:
      return runQuoteVerify(inv);
    case pb::Invocation::Action::EventlogShow:
      return runEventlogShow(inv);
    case pb::Invocation::Action::PlatformcertShow:
      return runPlatformcertShow(inv);
  }
  return kExitUsage;
}
