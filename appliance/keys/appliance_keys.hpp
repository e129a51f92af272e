// SPDX-License-Identifier: Apache-2.0
// The appliance's own secrets, generated on first start: there are no default credentials.
//   keys/agent-tls.key, keys/agent-tls.crt  TLS identity for the agent channel (EC P-256)
//   keys/agent.pin                          the pin agents are given (sha256 of the cert's SPKI)
//   keys/audit.key                          HMAC key of the audit chain (32 random bytes)
//   keys/token.key                          key for enrollment tokens (32 random bytes)
// Secret files are 0600 in a 0700 directory, owned by the user benchd runs as, and never
// symbolic links; anything else is refused at start (fail closed) rather than silently fixed.
// Each is checked and read on one descriptor (open O_NOFOLLOW, fstat, read): no check-then-use
// gap.
#pragma once

#include <string>

#include "core/log.hpp"
#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace pb {

// Move-only (the keys are SecretBytes): the one copy lives where it is used and is cleansed there.
struct ApplianceKeys {
  std::string tlsCertPath;
  std::string tlsKeyPath;
  std::string pinPath;
  std::string pin;  // "sha256:<hex>" (public: it is what agents compare against)
  SecretBytes auditKey;
  SecretBytes tokenKey;
  bool generated = false;  // true when this start created any of them
};

// Whether a missing audit.key / token.key may be generated. benchd decides before calling (see
// benchd/state_dir.hpp): only a fresh state directory (or --reinitialise) creates them; with an
// existing inventory a missing key is an error, never silently replaced.
enum class SecretKeys { CreateIfMissing, MustExist };

// tlsCert/tlsKey: paths from the config ("" = defaults under stateDir/keys).
Result<ApplianceKeys> ensureApplianceKeys(const std::string& stateDir, std::string tlsCert,
                                          std::string tlsKey, Logger& log,
                                          SecretKeys secrets = SecretKeys::CreateIfMissing);

}  // namespace pb
