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
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74

#include <boost/asio/awaitable.hpp>
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
  // Runs a read-only store job off the event loop and resumes on the loop (benchd: StoreWorker).
  using ReadJob = std::function<Result<nlohmann::json>(Store& readOnly)>;
  using RunOffLoop = std::function<boost::asio::awaitable<Result<nlohmann::json>>(ReadJob)>;

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
  // The same, but a dry run evaluates every device on `runOffLoop` (one pass over the register:
  // seconds at 100k devices) instead of on the loop. Everything else is as load().
  boost::asio::awaitable<nlohmann::json> loadAsync(const nlohmann::json& args,
                                                   const std::string& actor, RunOffLoop runOffLoop);
  // SIGHUP: re-reads the configured file and signature. Invalid: the active policy stays.
  Status reload(const std::string& actor);

 private:
  struct Candidate {
    AcceptedPolicy accepted;
    std::string name;
    bool dryRun = false;
  };
  // Checks the arguments and the policy; an error response when it is refused.
  std::optional<nlohmann::json> accept(const nlohmann::json& args, const std::string& actor,
                                       Candidate& out);
  // `changes`: the verdict changes already computed against the active policy (nullopt: compute
  // them here).
  Result<nlohmann::json> activate(AcceptedPolicy accepted, const std::string& source,
                                  const std::string& actor, bool dryRun,
                                  std::shared_ptr<const PolicySnapshot> next = nullptr,
                                  std::optional<nlohmann::json> changes = std::nullopt);
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
