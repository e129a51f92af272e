// SPDX-License-Identifier: Apache-2.0
#include "keys/appliance_keys.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

#include "core/files.hpp"
#include "net/tls_identity.hpp"

namespace pb {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status checkPrivate(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return makeError("io", "cannot stat " + path + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return makeError("insecure_key", path + " is readable by group or others (mode " + mode +
                                         "); fix with chmod 600 and restart");
  }
  return {};
}

// Loads a 32-byte secret stored as hex, creating it on first start.
Result<Bytes> ensureSecret(const std::string& path, bool& generated) {
  if (!exists(path)) {
    Bytes key = randomBytes(32);
    std::string hex = toHex(key);
    Status st = writeFileAtomic(path, hex + "\n", 0600);
    secureZero(hex.data(), hex.size());
    if (!st.ok()) return st.error();
    generated = true;
    return key;
  }
  if (Status st = checkPrivate(path); !st.ok()) return st.error();
  Result<std::string> text = readFileBounded(path, 256);
  if (!text.ok()) return text.error();
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  std::optional<Bytes> key = fromHex(s);
  secureZero(s.data(), s.size());
  if (!key || key->size() != 32) {
    return makeError("bad_key", path + " does not hold a 32-byte hex key");
  }
  return *key;
}

}  // namespace

Result<ApplianceKeys> ensureApplianceKeys(const std::string& stateDir, std::string tlsCert,
                                          std::string tlsKey, Logger& log) {
  const std::string dir = stateDir + "/keys";
  if (Status st = makeDirs(dir, 0700); !st.ok()) return st.error();
  ::chmod(dir.c_str(), 0700);

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
  if (Status st = checkPrivate(k.tlsKeyPath); !st.ok()) return st.error();

  Result<std::string> pin = spkiPinForCertFile(k.tlsCertPath);
  if (!pin.ok()) return pin.error().withContext("reading " + k.tlsCertPath);
  k.pin = "sha256:" + *pin;
  // The pin is public; rewrite it so it always matches the certificate in use.
  if (Status st = writeFileAtomic(k.pinPath, formatPinLine(*pin), 0644); !st.ok())
    return st.error();

  bool gen = false;
  Result<Bytes> audit = ensureSecret(dir + "/audit.key", gen);
  if (!audit.ok()) return audit.error();
  Result<Bytes> token = ensureSecret(dir + "/token.key", gen);
  if (!token.ok()) return token.error();
  if (gen) log.info("keys.generated", {{"what", "audit and token keys"}, {"dir", dir}});
  k.auditKey = std::move(*audit);
  k.tokenKey = std::move(*token);
  k.generated = k.generated || gen;
  return k;
}

}  // namespace pb
