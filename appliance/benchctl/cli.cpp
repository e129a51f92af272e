// SPDX-License-Identifier: Apache-2.0
#include "benchctl/cli.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "admin/admin_commands.hpp"
#include "core/device_state.hpp"

#ifndef PB_VERSION
#define PB_VERSION "unknown"
#endif

namespace pb {

namespace {

// Options and remote commands come from the admin command registry (admin/admin_commands.hpp);
// the offline commands (no connection to benchd) are described here.
using OptionSpec = AdminOptionSpec;

struct CommandSpec {
  std::string_view words;       // "device show"
  std::string_view wire;        // "device.show"; "" for an offline command
  std::string_view positional;  // "ID", "FILE" or ""
  std::span<const OptionSpec> options;
  std::string_view summary;
  std::string_view details;
  // Offline commands: the remote command they are listed before in --help ("" = at the end).
  std::string_view before = {};
};

constexpr std::string_view kStateNames =
    "unseen, discovered, identified, checked, attested, sealed, handed_off, ready, blocked, "
    "quarantined, failed, not_attestable";

constexpr std::array<OptionSpec, 4> kGlobalOptions{{
    {"--socket", "", "PATH", false,
     "admin socket (default: $PROVBENCH_ADMIN_SOCKET,\n"
     "                        else /run/provbench/admin.sock)",
     ""},
    {"--json", "", "", false, "print the raw JSON result; exit codes are unchanged", ""},
    {"--help", "-h", "", false, "show help (after a command: that command's help)", ""},
    {"--version", "", "", false, "print the version and exit", ""},
}};

constexpr std::array<OptionSpec, 0> kNoOptions{};
constexpr std::array<OptionSpec, 1> kReasonsOptions{{
    {"--markdown", "", "", false, "print a Markdown document (appliance/REASON_CODES.md)", ""},
}};

constexpr std::array<OptionSpec, 1> kKeygenOptions{{
    {"--out", "", "DIR", true, "where to write signing-key.pem (0600) and signing-key.pub.pem", ""},
}};
constexpr std::array<OptionSpec, 2> kSignOptions{{
    {"--key", "", "KEY", true, "Ed25519 private key (PEM) from `benchctl policy keygen`", ""},
    {"--out", "", "FILE", false, "signature file to write (default: FILE.sig)", ""},
}};

constexpr std::array<OptionSpec, 2> kCheckOptions{{
    {"--policy", "", "FILE", true, "the policy YAML to try", ""},
    {"--facts", "", "FILE", true, "a facts file (bench-agent --dump-facts)", ""},
}};

constexpr std::array<OptionSpec, 6> kQuoteVerifyOptions{{
    {"--ak-pub", "", "FILE", true, "AK public: TPM2B_PUBLIC (tpm2_createak -u) or PEM", ""},
    {"--msg", "", "FILE", true, "the quoted TPMS_ATTEST (tpm2_quote -m)", ""},
    {"--sig", "", "FILE", true, "the TPMT_SIGNATURE (tpm2_quote -s)", ""},
    {"--pcrs", "", "FILE", true, "the PCR values (tpm2_quote -o)", ""},
    {"--nonce", "", "HEX", true, "the qualifying data the quote must carry", ""},
    {"--pcr-list", "", "LIST", false, "requested selection, sha256:0,1,2 (default: the PCR file's)",
     ""},
}};

// The offline commands; `before` places them among the registry's commands in --help.
const std::array<CommandSpec, 12> kOfflineCommands{{
    {"reasons", "", "", kReasonsOptions, "List the reason codes with their meaning and remedy.",
     "Works offline (no connection to benchd).", "policy.show"},
    {"policy validate", "", "FILE", kNoOptions,
     "Check a policy file offline; print every error as FILE:LINE:COLUMN: key: message.",
     "Works offline. Prints the policy hash and its risk warnings when the file is valid.", ""},
    {"policy template", "", "", kNoOptions,
     "Print a fully commented policy covering every key (it loads as is).", "Works offline.", ""},
    {"policy schema", "", "", kNoOptions,
     "Print the policy's JSON Schema (draft 2020-12) for editor completion.", "Works offline.", ""},
    {"policy keygen", "", "", kKeygenOptions, "Create an Ed25519 policy-signing key pair.",
     "Works offline. List the public key in bench.yaml policy.trusted_signers; keep the\n"
     "private key on the admin workstation only.",
     ""},
    {"policy sign", "", "FILE", kSignOptions,
     "Sign a policy file (detached Ed25519 signature, base64, over the exact bytes).",
     "Works offline. The file is validated first; an invalid policy is not signed.", ""},
    {"check", "", "", kCheckOptions, "Evaluate a device's recorded facts against a policy.",
     "Works offline (no connection to benchd), so a policy can be tried on real devices' facts\n"
     "before it is loaded. Exits 0 when every check passes (warnings allowed), 1 when one fails\n"
     "or lacks data, 4 when the policy or the facts file is invalid.",
     ""},
    {"quote verify", "", "", kQuoteVerifyOptions,
     "Verify a TPM quote made by tpm2_quote (offline).",
     "Checks signature, magic, type, nonce, PCR selection and digest; prints every check.\n"
     "Exit 0 only when all pass. Works offline (no connection to benchd).",
     ""},
    {"eventlog show", "", "FILE", kNoOptions, "Parse and replay a binary TCG event log (offline).",
     "FILE is a crypto-agile log (binary_bios_measurements). Works offline.", ""},
    {"platformcert show", "", "FILE", kNoOptions, "Parse a TCG platform certificate (offline).",
     "FILE is a DER attribute certificate (TPM NV 0x01C08000 or the OEM's file). Prints holder,\n"
     "issuer, validity, platform manufacturer, model, serial and components. Works offline.",
     ""},
}};

// Every command in --help order: the registry's remote commands with the offline ones placed
// before the command they name.
const std::vector<CommandSpec>& allCommands() {
  static const std::vector<CommandSpec> commands = [] {
    std::vector<CommandSpec> out;
    auto offlineBefore = [&](std::string_view wire) {
      for (const auto& c : kOfflineCommands) {
        if (c.before == wire) out.push_back(c);
      }
    };
    for (const auto& a : adminCommands()) {
      offlineBefore(a.name);
      out.push_back(CommandSpec{a.words, a.name, a.positional, a.options, a.summary, a.details});
    }
    offlineBefore("");
    return out;
  }();
  return commands;
}

constexpr std::array<std::string_view, 7> kGroups{"device", "registry", "audit",       "policy",
                                                  "quote",  "eventlog", "platformcert"};

const CommandSpec* findCommand(std::string_view words) {
  for (const auto& c : allCommands()) {
    if (c.words == words) return &c;
  }
  return nullptr;
}

bool isGroup(std::string_view word) {
  for (auto g : kGroups) {
    if (g == word) return true;
  }
  return false;
}

const OptionSpec* findOption(std::span<const OptionSpec> options, std::string_view name) {
  for (const auto& o : options) {
    if (o.name == name || (!o.shortName.empty() && o.shortName == name)) return &o;
  }
  return nullptr;
}

std::string usageLine(const CommandSpec& c) {
  std::string u = "benchctl [GLOBAL OPTIONS] " + std::string(c.words);
  if (!c.positional.empty()) u += " " + std::string(c.positional);
  for (const auto& o : c.options) {
    std::string opt(o.shortName.empty() ? o.name : o.shortName);
    if (!o.value.empty()) opt += " " + std::string(o.value);
    u += o.required ? " " + opt : " [" + opt + "]";
  }
  return u;
}

std::string optionLines(std::span<const OptionSpec> options) {
  std::string out;
  for (const auto& o : options) {
    std::string left(o.name);
    if (!o.shortName.empty()) left = std::string(o.shortName) + ", " + left;
    if (!o.value.empty()) left += " " + std::string(o.value);
    if (left.size() < 20) left.resize(20, ' ');
    out += "  " + left + "  " + std::string(o.help) + "\n";
  }
  return out;
}

std::string commandHelp(const CommandSpec& c) {
  std::string h = "Usage: " + usageLine(c) + "\n\n" + std::string(c.summary) + "\n";
  if (!c.details.empty()) h += std::string(c.details) + "\n";
  if (!c.options.empty()) h += "\nOptions:\n" + optionLines(c.options);
  h += "\nGlobal options:\n" + optionLines(kGlobalOptions);
  return h;
}

std::string synopsis(const CommandSpec& c) {
  std::string u = usageLine(c);
  return u.substr(std::string_view("benchctl [GLOBAL OPTIONS] ").size());
}

std::string commandTable(std::string_view group) {
  std::string out;
  for (const auto& c : allCommands()) {
    if (!group.empty() && c.words.substr(0, c.words.find(' ')) != group) continue;
    out += "  " + synopsis(c) + "\n      " + std::string(c.summary) + "\n";
  }
  return out;
}

std::string groupUsage(std::string_view group) {
  std::string u;
  for (const auto& c : allCommands()) {
    if (c.words.substr(0, c.words.find(' ')) == group) u += (u.empty() ? "" : "\n") + usageLine(c);
  }
  return u;
}

std::string globalUsage() {
  return "benchctl [GLOBAL OPTIONS] COMMAND [ARGS]  (benchctl --help lists the commands)";
}

std::string globalHelp() {
  return "Usage: benchctl [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
         "Administer the provbench appliance (benchd) over its admin socket.\n\n"
         "Commands:\n" +
         commandTable("") + "\nGlobal options:\n" + optionLines(kGlobalOptions) +
         "\nRead commands need the read-only or admin group; import, approve, block, unblock and\n"
         "policy load need the admin group (or root). `benchctl COMMAND --help` describes one "
         "command.\n\n"
         "Exit codes: 0 ok, 1 the command failed, 2 usage error, 3 cannot reach benchd,\n"
         "4 invalid input file (check).\n";
}

std::string groupHelp(std::string_view group) {
  return "Usage:\n  " + groupUsage(group) + "\n\nCommands:\n" + commandTable(group) +
         "\n`benchctl " + std::string(group) + " SUBCOMMAND --help` describes one command.\n";
}

std::optional<std::int64_t> parseInt(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < min || v > max) {
    return std::nullopt;
  }
  return v;
}

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

std::string versionText() {
  return std::string("benchctl ") + PB_VERSION;
}

CommandLine parseCommandLine(const std::vector<std::string>& args, std::string_view envSocket) {
  Invocation inv;
  std::optional<std::string> socket;
  bool help = false;
  bool version = false;
  std::string group;
  const CommandSpec* cmd = nullptr;
  bool lost = false;  // an unknown command word was seen: what follows cannot be interpreted
  std::vector<std::string> positionals;
  std::map<std::string_view, std::string> values;  // by long option name
  std::optional<std::string> firstError;
  auto fail = [&](std::string message) {
    if (!firstError) firstError = std::move(message);
  };

  bool endOfOptions = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& tok = args[i];
    if (!endOfOptions && tok == "--") {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && tok.size() > 1 && tok[0] == '-') {
      std::string name = tok;
      std::optional<std::string> inlineValue;
      if (tok.rfind("--", 0) == 0) {
        if (auto eq = tok.find('='); eq != std::string::npos) {
          name = tok.substr(0, eq);
          inlineValue = tok.substr(eq + 1);
        }
      }
      const OptionSpec* spec = findOption(kGlobalOptions, name);
      bool global = spec != nullptr;
      if (spec == nullptr && cmd != nullptr) spec = findOption(cmd->options, name);
      if (spec == nullptr) {
        fail("unknown option " + name);
        continue;
      }
      std::string value = "1";
      if (!spec->value.empty()) {
        if (inlineValue) {
          value = *inlineValue;
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          fail(std::string(spec->name) + " needs a value (" + std::string(spec->value) + ")");
          continue;
        }
      } else if (inlineValue) {
        fail(std::string(spec->name) + " takes no value");
        continue;
      }
      if (global) {
        if (spec->name == "--socket") socket = value;
        if (spec->name == "--json") inv.json = true;
        if (spec->name == "--help") help = true;
        if (spec->name == "--version") version = true;
      } else if (!values.emplace(spec->name, value).second) {
        fail(std::string(spec->name) + " given twice");
      }
      continue;
    }
    if (cmd != nullptr || lost) {
      positionals.push_back(tok);
    } else if (!group.empty()) {
      cmd = findCommand(group + " " + tok);
      if (cmd == nullptr) {
        fail("unknown command \"" + group + " " + tok + "\"");
        lost = true;
      }
    } else if (isGroup(tok)) {
      group = tok;
    } else {
      cmd = findCommand(tok);
      if (cmd == nullptr) {
        fail("unknown command \"" + tok + "\"");
        lost = true;
      }
    }
  }

  if (help) {
    inv.action = Invocation::Action::Help;
    inv.text = cmd != nullptr            ? commandHelp(*cmd)
               : !group.empty() && !lost ? groupHelp(group)
                                         : globalHelp();
    return inv;
  }
  if (version && !firstError) {
    inv.action = Invocation::Action::Version;
    inv.text = versionText() + "\n";
    return inv;
  }
  std::string usage = cmd != nullptr   ? usageLine(*cmd)
                      : !group.empty() ? groupUsage(group)
                                       : globalUsage();
  auto error = [&](std::string message) { return UsageError{std::move(message), usage}; };
  if (firstError) return error(*firstError);
  if (cmd == nullptr) {
    return error(group.empty() ? "missing command" : "missing subcommand after \"" + group + "\"");
  }
  if (cmd->positional.empty() && !positionals.empty()) {
    return error("unexpected argument \"" + positionals.front() + "\"");
  }
  if (!cmd->positional.empty()) {
    if (positionals.empty()) return error("missing " + std::string(cmd->positional));
    if (positionals.size() > 1) return error("unexpected argument \"" + positionals[1] + "\"");
  }
  for (const auto& o : cmd->options) {
    if (o.required && !values.contains(o.name)) {
      return error("missing " + std::string(o.name) + " " + std::string(o.value));
    }
  }
  if (socket && socket->empty()) return error("--socket needs a path");
  inv.socketPath = socket               ? *socket
                   : !envSocket.empty() ? std::string(envSocket)
                                        : std::string(kDefaultAdminSocket);

  if (cmd->words == "quote verify" || cmd->words == "eventlog show" ||
      cmd->words == "platformcert show") {
    inv.action = cmd->words == "quote verify"    ? Invocation::Action::QuoteVerify
                 : cmd->words == "eventlog show" ? Invocation::Action::EventlogShow
                                                 : Invocation::Action::PlatformcertShow;
    for (const auto& [name, value] : values) inv.offline.emplace_back(name, value);
    if (!positionals.empty()) inv.file = positionals.front();
    return inv;
  }
  if (cmd->words == "check") {
    inv.action = Invocation::Action::Check;
    inv.policyPath = values.at("--policy");
    inv.factsPath = values.at("--facts");
    if (inv.policyPath.empty() || inv.factsPath.empty()) {
      return error("--policy and --facts need a file");
    }
    return inv;
  }
  if (cmd->words == "reasons") {
    inv.action = Invocation::Action::Reasons;
    inv.markdown = values.contains("--markdown");
    return inv;
  }
  if (cmd->wire.empty()) {  // an offline policy tool
    inv.action = Invocation::Action::PolicyTool;
    inv.policyTool = std::string(cmd->words.substr(cmd->words.find(' ') + 1));
    if (cmd->positional == "FILE") {
      if (blank(positionals.front())) return error("FILE must not be empty");
      inv.file = positionals.front();
    }
    if (auto it = values.find("--key"); it != values.end()) {
      if (blank(it->second)) return error("--key needs a file");
      inv.keyPath = it->second;
    }
    if (auto it = values.find("--out"); it != values.end()) {
      if (blank(it->second)) return error("--out needs a path");
      inv.outPath = it->second;
    }
    return inv;
  }
  inv.action = Invocation::Action::Remote;
  inv.cmd = std::string(cmd->wire);
  if (cmd->positional == "ID") {
    if (blank(positionals.front())) return error("ID must not be empty");
    inv.args["id"] = positionals.front();
  }
  if (auto it = values.find("--reason"); it != values.end()) {
    if (blank(it->second)) return error("--reason must not be empty");
    inv.args["reason"] = it->second;
  }
  if (auto it = values.find("--state"); it != values.end()) {
    if (it->second != "unseen" && !deviceStateFromString(it->second)) {
      return error("unknown state \"" + it->second +
                   "\"; valid states: " + std::string(kStateNames));
    }
    inv.args["state"] = it->second;
  }
  if (auto it = values.find("--ttl-hours"); it != values.end()) {
    auto hours = parseInt(it->second, 1, 720);
    if (!hours) return error("--ttl-hours must be a whole number of hours, 1..720");
    inv.args["ttl_hours"] = *hours;
  }
  if (values.contains("--limit") && values.contains("--all")) {
    return error("--limit and --all exclude each other");
  }
  if (auto it = values.find("--limit"); it != values.end()) {
    auto limit = parseInt(it->second, 1, std::numeric_limits<std::int64_t>::max());
    if (!limit) return error("--limit must be a whole number, 1 or more");
    inv.listLimit = *limit;
  }
  if (auto it = values.find("--count"); it != values.end()) {
    auto count = parseInt(it->second, 1, 1000);
    if (!count) return error("-n must be a whole number, 1..1000");
    inv.args["count"] = *count;
  }
  if (auto it = values.find("--sig"); it != values.end()) {
    if (blank(it->second)) return error("--sig needs a file");
    inv.signaturePath = it->second;
  }
  if (values.contains("--dry-run")) inv.args["dry_run"] = true;
  if (values.contains("--full")) inv.args["full"] = true;
  if (cmd->positional == "FILE") {
    const std::string& path = positionals.front();
    std::string base = path.substr(path.find_last_of('/') + 1);
    if (base.empty()) return error("FILE must name a file, not a directory");
    inv.importPath = path;
    inv.args["file_name"] = base;
  }
  return inv;
}

}  // namespace pb
