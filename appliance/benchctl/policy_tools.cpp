// SPDX-License-Identifier: Apache-2.0
#include "benchctl/policy_tools.hpp"

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchctl/render.hpp"
#include "core/bytes.hpp"
#include "core/files.hpp"
#include "policy/policy_schema.hpp"
#include "policy/signing.hpp"

namespace pb {

namespace {

using nlohmann::json;

ToolOutput failed(std::string message) {
  return ToolOutput{1, "", "benchctl: " + sanitizeForTerminal(message) + "\n"};
}

// Multi-line error lists: each line sanitised on its own, so the newlines survive.
std::string sanitizeLines(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out += sanitizeForTerminal(text.substr(0, nl)) + "\n";
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return out;
}

std::string dump(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

json warningsJson(const Policy& p) {
  json out = json::array();
  for (const auto& w : riskWarnings(p)) {
    out.push_back(
        {{"setting", w.setting}, {"attack", w.attack}, {"acknowledgement", w.acknowledgement}});
  }
  return out;
}

// Creates `path` with `mode`, refusing to replace an existing file: overwriting a signing key by
// accident would lock the admin out of every bench that trusts the old one.
Status writeNewFile(const std::string& path, std::string_view data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return makeError("io", "cannot create " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return makeError("io", "cannot write " + path + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return makeError("io", "cannot write " + path);
  return Status{};
}

ToolOutput validate(const Invocation& inv) {
  auto r = loadPolicyFile(inv.file);
  if (!r) {
    if (inv.json) {
      json errors = json::array();
      std::string_view rest = r.error().message;
      while (!rest.empty()) {
        auto nl = rest.find('\n');
        errors.push_back(std::string(rest.substr(0, nl)));
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      }
      return ToolOutput{1, dump({{"valid", false}, {"errors", errors}}), ""};
    }
    return ToolOutput{1, "", sanitizeLines(r.error().message)};
  }
  const json warnings = warningsJson(*r);
  if (inv.json) {
    return ToolOutput{
        0,
        dump(
            {{"valid", true}, {"name", r->name}, {"hash", policyHash(*r)}, {"warnings", warnings}}),
        ""};
  }
  std::string out = sanitizeForTerminal(inv.file) + ": valid (policy " + r->name + ", hash " +
                    policyHash(*r) + ")\n";
  for (const auto& w : warnings) {
    out += "WARNING " + w["setting"].get<std::string>() + ": " + w["attack"].get<std::string>() +
           " (accepted: \"" + sanitizeForTerminal(w["acknowledgement"].get<std::string>()) +
           "\")\n";
  }
  return ToolOutput{0, out, ""};
}

ToolOutput keygen(const Invocation& inv) {
  if (auto st = makeDirs(inv.outPath, 0700); !st) return failed(st.error().message);
  auto pair = generateSigningKey();
  if (!pair) return failed(pair.error().message);
  const std::string priv = inv.outPath + "/signing-key.pem";
  const std::string pub = inv.outPath + "/signing-key.pub.pem";
  // pair->privatePem is a SecretBytes: cleansed when `pair` goes out of scope, on every path.
  if (auto st = writeNewFile(priv, pair->privatePem.text(), 0600); !st) {
    return failed(st.error().message);
  }
  if (auto st = writeNewFile(pub, pair->publicPem, 0644); !st) return failed(st.error().message);
  if (inv.json) {
    return ToolOutput{
        0, dump({{"private_key", priv}, {"public_key", pub}, {"fingerprint", pair->fingerprint}}),
        ""};
  }
  return ToolOutput{
      0,
      "Private key: " + sanitizeForTerminal(priv) +
          " (mode 0600; keep it on this workstation)\nPublic key:  " + sanitizeForTerminal(pub) +
          " (list it in bench.yaml policy.trusted_signers)\nFingerprint: " + pair->fingerprint +
          "\n",
      ""};
}

ToolOutput sign(const Invocation& inv) {
  auto text = readFileBounded(inv.file, kMaxPolicyBytes);
  if (!text) return failed(text.error().message);
  // Signing vouches for the file: an invalid policy is refused here, not on the bench.
  auto policy = parsePolicy(*text, inv.file);
  if (!policy) return ToolOutput{1, "", sanitizeLines(policy.error().message)};
  auto key = readFileBounded(inv.keyPath, kMaxKeyFileBytes);
  if (!key) return failed(key.error().message);
  auto sig = signPolicyBytes(*text, *key);
  auto fingerprint = privateKeyFingerprint(*key);
  secureZero(key->data(), key->size());
  if (!sig) return failed(inv.keyPath + ": " + sig.error().message);
  const std::string out = inv.outPath.empty() ? inv.file + ".sig" : inv.outPath;
  if (auto st = writeFileAtomic(out, *sig, 0644); !st) return failed(st.error().message);
  if (inv.json) {
    return ToolOutput{0,
                      dump({{"file", inv.file},
                            {"signature", out},
                            {"signer", fingerprint ? *fingerprint : ""},
                            {"policy_hash", policyHash(*policy)}}),
                      ""};
  }
  return ToolOutput{0,
                    "Signed " + sanitizeForTerminal(inv.file) + " -> " + sanitizeForTerminal(out) +
                        "\nSigner: " + (fingerprint ? *fingerprint : "?") +
                        "\nPolicy hash: " + policyHash(*policy) + "\n",
                    ""};
}

}  // namespace

ToolOutput runPolicyTool(const Invocation& inv) {
  if (inv.policyTool == "validate") return validate(inv);
  if (inv.policyTool == "template") {
    const std::string text(policyTemplateYaml());
    return ToolOutput{0, inv.json ? dump({{"template", text}}) : text, ""};
  }
  if (inv.policyTool == "schema") return ToolOutput{0, dump(policyJsonSchema()), ""};
  if (inv.policyTool == "keygen") return keygen(inv);
  if (inv.policyTool == "sign") return sign(inv);
  return failed("unknown policy tool " + inv.policyTool);
}

}  // namespace pb
