// SPDX-License-Identifier: Apache-2.0
#include "keys/appliance_keys.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "core/files.hpp"
#include "net/tls_identity.hpp"

namespace pb {

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kMaxKeyFileBytes = 256;

// lstat: a dangling symbolic link "exists" too (and is refused when read), so it is never
// mistaken for a missing key and replaced.
bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Loads a 32-byte secret stored as hex, creating it on first start when allowed.
Result<SecretBytes> ensureSecret(const std::string& path, SecretKeys secrets, bool& generated) {
  if (!exists(path)) {
    if (secrets == SecretKeys::MustExist) {
      return makeError("missing_key", path + " is missing but the inventory already exists");
    }
    SecretBytes key = SecretBytes::random(kKeyBytes);
    SecretBytes hex = toHexSecret(key);
    if (Status st = writeFileAtomic(path, hex, 0600); !st.ok()) return st.error();
    generated = true;
    return key;
  }
  Result<SecretBytes> text = readPrivateFile(path, kMaxKeyFileBytes, ::geteuid());
  if (!text.ok()) return text.error();
  std::size_t len = text->size();
  while (len > 0 && (text->data()[len - 1] == '\n' || text->data()[len - 1] == '\r')) --len;
  SecretBytes key;
  if (!fromHexSecret(text->text().substr(0, len), key) || key.size() != kKeyBytes) {
    return makeError("bad_key", path + " does not hold a 32-byte hex key");
  }
  return key;
}

}  // namespace

Result<ApplianceKeys> ensureApplianceKeys(const std::string& stateDir, std::string tlsCert,
                                          std::string tlsKey, Logger& log, SecretKeys secrets) {
  const std::string dir = stateDir + "/keys";
  if (Status st = makeDirs(dir, 0700); !st.ok()) return st.error();
  // makeDirs leaves an existing directory's mode alone: tighten it, and stop if that fails (the
  // keys' own modes are checked below, but a group-listable key directory is not wanted either).
  if (::chmod(dir.c_str(), 0700) != 0) {
    return makeError("io", "cannot chmod 700 " + dir + ": " + std::strerror(errno));
  }

  ApplianceKeys k;
  k.tlsCertPath = tlsCert.empty() ? dir + "/agent-tls.crt" : std::move(tlsCert);
  k.tlsKeyPath = tlsKey.empty() ? dir + "/agent-tls.key" : std::move(tlsKey);
  k.pinPath = dir + "/agent.pin";

  if (!exists(k.tlsKeyPath) && !exists(k.tlsCertPath)) {
    if (Status st = generateSelfSignedIdentity(k.tlsKeyPath, k.tlsCertPath, "provbench-appliance");
        !st.ok()) {
      return st.error().withContext("generating the agent TLS identity");
    }
    k.generated = true;
    log.info("keys.generated", {{"what", "agent TLS identity"}, {"cert", k.tlsCertPath}});
  } else if (!exists(k.tlsKeyPath) || !exists(k.tlsCertPath)) {
    return makeError("bad_key", "only one of " + k.tlsKeyPath + " and " + k.tlsCertPath +
                                    " exists; restore the other or remove both to regenerate");
  }
  // OpenSSL loads the TLS key by path later; the same checks (not a link, owner, mode) apply.
  if (Status st = checkPrivateFile(k.tlsKeyPath, ::geteuid()); !st.ok()) return st.error();

  Result<std::string> pin = spkiPinForCertFile(k.tlsCertPath);
  if (!pin.ok()) return pin.error().withContext("reading " + k.tlsCertPath);
  k.pin = "sha256:" + *pin;
  // The pin is public; rewrite it so it always matches the certificate in use.
  if (Status st = writeFileAtomic(k.pinPath, formatPinLine(*pin), 0644); !st.ok())
    return st.error();

  bool gen = false;
  Result<SecretBytes> audit = ensureSecret(dir + "/audit.key", secrets, gen);
  if (!audit.ok()) return audit.error();
  Result<SecretBytes> token = ensureSecret(dir + "/token.key", secrets, gen);
  if (!token.ok()) return token.error();
  if (gen) log.info("keys.generated", {{"what", "audit and token keys"}, {"dir", dir}});
  k.auditKey = std::move(*audit);
  k.tokenKey = std::move(*token);
  k.generated = k.generated || gen;
  return k;
}

}  // namespace pb
