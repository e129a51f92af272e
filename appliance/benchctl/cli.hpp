// SPDX-License-Identifier: Apache-2.0
// benchctl's command line: argv in, an Invocation (what to do) or a usage error out. No I/O here,
// so every command, option and error message is testable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace pb {

inline constexpr std::string_view kDefaultAdminSocket = "/run/provbench/admin.sock";
inline constexpr std::string_view kAdminSocketEnv = "PROVBENCH_ADMIN_SOCKET";

struct Invocation {
  enum class Action {
    Remote,
    Reasons,
    PolicyTool,
    Check,
    Help,
    Version,
    QuoteVerify,
    EventlogShow,
    PlatformcertShow
  };
  Action action = Action::Help;
  std::string socketPath;  // --socket, else the environment, else kDefaultAdminSocket
  bool json = false;       // --json: print the raw result
  // devices / registry list --limit: print at most this many (0: all, fetched page by page).
  std::int64_t listLimit = 0;
  // Remote: the wire command and its arguments. For registry.import, args holds file_name only;
  // main reads importPath and adds the content.
  std::string cmd;
  nlohmann::json args = nlohmann::json::object();
  std::string importPath;
  bool markdown = false;  // reasons --markdown
  // policy load: the detached signature to send (--sig; main falls back to FILE.sig if present).
  std::string signaturePath;
  // PolicyTool (offline): "validate", "template", "schema", "keygen" or "sign", and its inputs.
  std::string policyTool;
  std::string file;        // validate / sign: the policy file
  std::string keyPath;     // sign --key
  std::string outPath;     // keygen --out DIR, sign --out FILE (default FILE.sig)
  std::string policyPath;  // check --policy
  std::string factsPath;   // check --facts
  std::string text;        // Help / Version: what to print
  // Offline attestation tools (quote verify, eventlog show): option name -> value; FILE is `file`.
  std::vector<std::pair<std::string, std::string>> offline;
};

struct UsageError {
  std::string message;  // what is wrong, one line
  std::string usage;    // the usage line(s) of the command concerned
};

using CommandLine = std::variant<Invocation, UsageError>;

// args: argv without the program name. envSocket: $PROVBENCH_ADMIN_SOCKET ("" when unset).
CommandLine parseCommandLine(const std::vector<std::string>& args, std::string_view envSocket);

// The program's version string ("benchctl 0.1.0").
std::string versionText();

}  // namespace pb
