// SPDX-License-Identifier: Apache-2.0
// The appliance's own secrets, generated on first start: there are no default credentials.
//   keys/agent-tls.key, keys/agent-tls.crt  TLS identity for the agent channel (EC P-256)
//   keys/agent.pin                          the pin agents are given (sha256 of the cert's SPKI)
//   keys/audit.key                          HMAC key of the audit chain (32 random bytes)
//   keys/token.key                          key for enrollment tokens (32 random bytes)
// Secret files are 0600 in a 0700 directory; a secret file readable by group or others is
// refused at start (fail closed) rather than silently fixed.
#pragma once

#include <string>

#include "core/bytes.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace pb {

struct ApplianceKeys {
  std::string tlsCertPath;
  std::string tlsKeyPath;
  std::string pinPath;
  std::string pin;  // "sha256:<hex>" (public: it is what agents compare against)
  Bytes auditKey;
  Bytes tokenKey;
  bool generated = false;  // true when this start created any of them
};

// tlsCert/tlsKey: paths from the config ("" = defaults under stateDir/keys).
Result<ApplianceKeys> ensureApplianceKeys(const std::string& stateDir, std::string tlsCert,
                                          std::string tlsKey, Logger& log);

}  // namespace pb
