// SPDX-License-Identifier: Apache-2.0
// The active policy and how it changes: load at start, `benchctl policy load/show` and SIGHUP.
//
// A new policy is validated whole (every error), its signature checked against the trusted
// signers, and only then swapped in as a new PolicySnapshot for new sessions; sessions in flight
// keep the snapshot they started with (and record its hash). A policy that fails any check is
// never partly applied: the active one stays, and the refusal is logged and audited.
//
// @par Thread Safety
// Not thread-safe: benchd runs it on its single io_context thread, like the Store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "policy/signing.hpp"
#include "session/policy_snapshot.hpp"
#include "store/store.hpp"

namespace pb {

struct PolicySourceOptions {
  PolicyTrust trust;
  std::string policyFile;     // "" = built-in defaults; SIGHUP re-reads this file
  std::string signatureFile;  // detached signature of policyFile
};

struct ActivePolicy {
  std::shared_ptr<const PolicySnapshot> snapshot;
  std::string source;  // file name, or "built-in"
  std::string signer;  // key fingerprint; "" for built-in or unsigned
  bool isUnsigned = false;
  std::int64_t loadedAt = 0;
};

// Loads the policy bench.yaml names (or the built-in one), with the same checks as a reload.
Result<ActivePolicy> loadConfiguredPolicy(const PolicySourceOptions& options, const Clock& clock);
// Reads bench.yaml's trusted signer keys.
Result<std::vector<TrustedSigner>> loadTrustedSigners(const std::vector<std::string>& paths);

// Readable difference of two policies: every changed key path with old and new values (JSON).
nlohmann::json policyDiff(const Policy& before, const Policy& after);

// Admission verdicts that would change for registered devices, evaluated on each device's
// register record and last seen identity with the old and the new rules.
Result<nlohmann::json> verdictChanges(Store& store, const Clock& clock,
                                      const PolicySnapshot& before, const PolicySnapshot& after);

class PolicyManager {
 public:
  using Apply = std::function<void(std::shared_ptr<const PolicySnapshot>)>;

  // `apply` installs a snapshot for new sessions (SessionManager::setPolicy). The initial
  // policy's snapshot is installed by the caller, not by the constructor.
  PolicyManager(Store& store, const Clock& clock, Logger& log, PolicySourceOptions options,
                ActivePolicy initial, Apply apply);

  [[nodiscard]] const ActivePolicy& active() const { return active_; }
  // For `status` and `policy show`: name, hash, source, signer, development mode, warnings.
  [[nodiscard]] nlohmann::json summary() const;

  // Admin commands (complete responses): "policy.show" and "policy.load".
  nlohmann::json show() const;
  // args: file_name, content, signature (optional), dry_run (optional bool).
  nlohmann::json load(const nlohmann::json& args, const std::string& actor);
  // SIGHUP: re-reads the configured file and signature. Invalid: the active policy stays.
  Status reload(const std::string& actor);

 private:
  Result<nlohmann::json> activate(AcceptedPolicy accepted, const std::string& source,
                                  const std::string& actor, bool dryRun);
  void auditRefused(const std::string& actor, const std::string& source, const Error& e);

  Store& store_;
  const Clock& clock_;
  Logger& log_;
  PolicySourceOptions options_;
  ActivePolicy active_;
  Apply apply_;
};

// One line per warning for logs and the kiosk header; includes the development-mode warning.
nlohmann::json warningsJson(const ActivePolicy& active);

}  // namespace pb
