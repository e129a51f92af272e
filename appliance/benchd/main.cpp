// SPDX-License-Identifier: Apache-2.0
// benchd: the appliance service. This file is the composition root: it is the only place that
// knows the concrete backends (SQLite store, TLS listener, Unix admin socket) and wires them.
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <utility>  // must precede boost/asio headers on Boost 1.74

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <getopt.h>
#include <unistd.h>

#include "admin/admin_handler.hpp"
#include "admin/admin_server.hpp"
#include "attest/attest_stage.hpp"
#include "benchd/bench_kiosk.hpp"
#include "benchd/bench_service.hpp"
#include "benchd/policy_manager.hpp"
#include "benchd/readiness.hpp"
#include "benchd/state_dir.hpp"
#include "checks/checks_stage.hpp"
#include "checks/hello_recorder.hpp"
#include "config/bench_config.hpp"
#include "core/log.hpp"
#include "core/parse_number.hpp"
#include "core/reasons.hpp"
#include "keys/appliance_keys.hpp"
#include "net/hello_listener.hpp"
#include "net/tls_context.hpp"
#include "net/tls_listener.hpp"
#include "policy/policy.hpp"
#include "provcert/provcert_monitor.hpp"
#include "session/refusal_frame.hpp"
#include "session/session_manager.hpp"
#include "store/store.hpp"
#include "store/store_worker.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr const char* kUsage = R"(Usage: benchd --config FILE [options]

The provbench appliance service: accepts bench-agent connections (pinned TLS 1.3), runs device
sessions through admission and the enabled stages, keeps the inventory and the audit log, and
serves benchctl on a Unix socket.

Options:
  -c, --config FILE   bench.yaml (required)
  --check-config      validate the configuration and the policy it names (with its
                      signature), then exit
  --ready-fd N        when ready, write one JSON line (ports, socket, pin) to file descriptor N
                      and close it (for supervisors and tests; systemd gets sd_notify READY=1)
  --reinitialise      start an empty inventory deliberately: move inventory.db (with -wal/-shm)
                      and keys/audit.key, keys/token.key into <state_dir>/old-<UTC time>/
                      (nothing is deleted; the agent TLS identity is kept), then start fresh and
                      audit benchd.reinitialised. Use it once, from a shell, never in the unit
  --log-level LEVEL   debug, info, warn or error (overrides bench.yaml)
  -h, --help          this text
  --version           print the version

Signals: SIGTERM/SIGINT stop gracefully; SIGHUP reloads the policy file (same checks as at
start; an invalid policy is refused and the active one stays).

Start-up refuses, changing nothing, when:
  - another benchd holds <state_dir>/benchd.lock (exit 3);
  - the database and the keys disagree (exit 4): inventory.db missing or zero-length next to keys
    from an earlier start; keys/audit.key or keys/token.key missing next to a database; a
    database with no audit records next to existing keys;
  - the newest audit record does not verify (exit 4): edited, forged, not linked to the record
    before it, or MACed with another key. The message names its seq. (Only the newest record
    is checked at start; `benchctl audit verify` checks the whole chain.)
  Restore the files from a backup, or use --reinitialise.

Exit status: 0 clean shutdown, 1 runtime failure, 2 invalid configuration or usage,
3 state directory in use by another benchd, 4 state directory inconsistent (see above).
)";

std::optional<pb::LogLevel> parseLevel(const std::string& s) {
  if (s == "debug") return pb::LogLevel::Debug;
  if (s == "info") return pb::LogLevel::Info;
  if (s == "warn") return pb::LogLevel::Warn;
  if (s == "error") return pb::LogLevel::Error;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  std::string configPath, levelOverride;
  bool checkOnly = false;
  bool reinitialise = false;
  int readyFd = -1;
  static const option kLong[] = {{"config", required_argument, nullptr, 'c'},
                                 {"check-config", no_argument, nullptr, 'k'},
                                 {"ready-fd", required_argument, nullptr, 'r'},
                                 {"log-level", required_argument, nullptr, 'l'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {"version", no_argument, nullptr, 'V'},
                                 {"reinitialise", no_argument, nullptr, 'R'},  // see kUsage
                                 {nullptr, 0, nullptr, 0}};
  int c = 0;
  while ((c = getopt_long(argc, argv, "c:h", kLong, nullptr)) != -1) {
    switch (c) {
      case 'c':
        configPath = optarg;
        break;
      case 'k':
        checkOnly = true;
        break;
      case 'r': {
        // fds 0-2 are stdin/out/err: writing the ready line there and closing it is never meant.
        auto fd = pb::parseIntegerOption<int>("--ready-fd", optarg, 3, 1 << 20);
        if (!fd.ok()) {
          std::cerr << "benchd: " << fd.error().message << "\n";
          return 2;
        }
        readyFd = *fd;
        break;
      }
      case 'R':
        reinitialise = true;
        break;
      case 'l':
        levelOverride = optarg;
        break;
      case 'h':
        std::cout << kUsage;
        return 0;
      case 'V':
        std::cout << "benchd " << kVersion << "\n";
        return 0;
      default:
        std::cerr << kUsage;
        return 2;
    }
  }
  if (optind != argc || configPath.empty()) {
    std::cerr << "benchd: --config FILE is required\n\n" << kUsage;
    return 2;
  }

  auto config = pb::loadBenchConfig(configPath);
  if (!config.ok()) {
    std::cerr << "benchd: invalid configuration:\n" << config.error().message << "\n";
    return 2;
  }
  pb::SystemClock clock;
  // The policy is checked like any later load: every error, then its signature (bench.yaml
  // policy.trusted_signers), unless development mode accepts it unsigned.
  pb::PolicySourceOptions policySource;
  policySource.policyFile = config->policyFile;
  policySource.signatureFile = config->policySignature;
  policySource.trust.allowUnsigned = config->policyAllowUnsigned;
  auto signers = pb::loadTrustedSigners(config->policyTrustedSigners);
  if (!signers.ok()) {
    std::cerr << "benchd: invalid configuration:\n" << signers.error().message << "\n";
    return 2;
  }
  policySource.trust.signers = std::move(*signers);
  auto activePolicy = pb::loadConfiguredPolicy(policySource, clock);
  if (!activePolicy.ok()) {
    std::cerr << "benchd: invalid policy:\n" << activePolicy.error().message << "\n";
    return 2;
  }
  if (checkOnly) {
    std::cout << "benchd: " << configPath << " is valid (bench " << config->benchId << ", policy "
              << (config->policyFile.empty() ? "built-in defaults" : config->policyFile)
              << (activePolicy->isUnsigned       ? ", UNSIGNED (development mode)"
                  : activePolicy->signer.empty() ? ""
                                                 : ", signed by " + activePolicy->signer)
              << ")\n";
    return 0;
  }

  auto level = parseLevel(levelOverride.empty() ? config->logLevel : levelOverride);
  if (!level) {
    std::cerr << "benchd: unknown log level " << levelOverride << "\n";
    return 2;
  }
  pb::Logger log(stderr, *level);

  // The state directory is locked before anything in it is opened, created or written: a second
  // benchd on a directory in use stops here having changed nothing. Held until exit.
  auto stateLock = pb::StateDirLock::acquire(config->stateDir);
  if (!stateLock.ok()) {
    log.error("benchd.state_dir_locked", {{"error", stateLock.error().message}});
    return stateLock.error().code == "state_dir_in_use" ? pb::kExitStateDirInUse : 1;
  }
  std::optional<pb::MovedAside> movedAside;
  pb::StartKind startKind = pb::StartKind::Fresh;
  if (reinitialise) {
    auto moved = pb::moveStateAside(config->stateDir, clock.nowUnix());
    if (!moved.ok()) {
      log.error("benchd.reinitialise_failed", {{"error", moved.error().message}});
      return 1;
    }
    log.warn("benchd.reinitialised", {{"moved_to", moved->dir}, {"files", moved->files}});
    movedAside = std::move(*moved);
  } else {
    auto kind = pb::classifyState(pb::inspectStateDir(config->stateDir));
    if (!kind.ok()) {
      log.error("benchd.state_inconsistent", {{"error", kind.error().message}});
      return pb::kExitStateInconsistent;
    }
    startKind = *kind;
  }

  auto keys = pb::ensureApplianceKeys(config->stateDir, config->tlsCert, config->tlsKey, log,
                                      startKind == pb::StartKind::Existing
                                          ? pb::SecretKeys::MustExist
                                          : pb::SecretKeys::CreateIfMissing);
  if (!keys.ok()) {
    log.error("benchd.keys_failed", {{"error", keys.error().message}});
    return 1;
  }
  // The worker's read-only connection gets its own copy: each store cleanses the key it holds.
  pb::SecretBytes readerAuditKey(keys->auditKey.data(), keys->auditKey.size());
  // The store holds the audit key from here on (and cleanses it when it closes).
  auto store =
      pb::Store::open(config->stateDir + "/inventory.db", std::move(keys->auditKey), clock);
  if (!store.ok()) {
    log.error("benchd.store_failed", {{"error", store.error().message}});
    return 1;
  }
  if (auto st = pb::checkStoreAtStart(**store, startKind); !st.ok()) {
    log.error("benchd.state_inconsistent", {{"error", st.error().message}});
    return st.error().code == "state_inconsistent" ? pb::kExitStateInconsistent : 1;
  }
  auto snapshot = activePolicy->snapshot;
  (*store)->setPolicyHash(snapshot->hash);
  if (config->policyAllowUnsigned) {
    log.warn("policy.development_mode",
             {{"detail", "policy.allow_unsigned is true: unsigned policies are accepted"}});
  }
  const nlohmann::json policyWarnings = pb::warningsJson(*activePolicy);
  for (const auto& w : policyWarnings) log.warn("policy.risk", w);
  auto failed = (*store)->failOpenSessions(std::string(pb::reason::kInterruptedByRestart));
  if (!failed.ok()) {
    log.error("benchd.recovery_failed", {{"error", failed.error().message}});
    return 1;
  }
  if (movedAside) {
    pb::AuditRecord r;
    r.actor = "benchd";
    r.action = "benchd.reinitialised";
    r.details = {{"moved_to", movedAside->dir}, {"files", movedAside->files}};
    if (auto st = (*store)->appendAudit(r); !st.ok()) {
      log.error("benchd.audit_failed", {{"error", st.error().message}});
      return 1;
    }
  }
  pb::AuditRecord started;
  started.actor = "benchd";
  started.action = "benchd.start";
  started.details = {{"version", kVersion},
                     {"bench_id", config->benchId},
                     {"policy", snapshot->policy.name},
                     {"policy_hash", snapshot->hash},
                     {"policy_signer", activePolicy->signer},
                     {"policy_unsigned", activePolicy->isUnsigned},
                     {"policy_development_mode", config->policyAllowUnsigned},
                     {"risk_acknowledgements", snapshot->policy.riskAcknowledgements},
                     {"risk_warnings", policyWarnings},
                     {"sessions_failed_on_restart", *failed},
                     {"keys_generated", keys->generated}};
  if (auto st = (*store)->appendAudit(started); !st.ok()) {
    log.error("benchd.audit_failed", {{"error", st.error().message}});
    return 1;
  }

  // One thread runs everything (network, sessions, store, admin), so the Store needs no locks.
  // A second thread for the store was tried: Boost 1.74's coroutines resumed across threads trip
  // AddressSanitizer (use-after-free in the executor's shared state), so it waits for a newer
  // Boost. The exception is the StoreWorker below: it runs read-only jobs on its own thread and
  // connection and *posts* each result back here, so no coroutine ever resumes on it.
  boost::asio::io_context io(1);

  // Heavy reads (audit verify) run on one worker thread with its own read-only connection; the
  // result is posted back to `io`, so no coroutine resumes on the worker. Declared after `io`:
  // it is joined before the io_context goes away.
  auto readOnlyStore =
      pb::Store::openReadOnly(config->stateDir + "/inventory.db", std::move(readerAuditKey), clock);
  if (!readOnlyStore.ok()) {
    log.error("benchd.store_failed", {{"error", readOnlyStore.error().message}});
    return 1;
  }
  pb::StoreWorker storeWorker(io.get_executor(), std::move(readOnlyStore).value());

  pb::SessionOptions sopt;
  sopt.benchId = config->benchId;
  sopt.ioTimeout = std::chrono::milliseconds(config->ioTimeoutMs);
  sopt.sessionTimeout = std::chrono::milliseconds(config->sessionTimeoutMs);
  sopt.helloTimeout = std::chrono::milliseconds(config->helloTimeoutMs);
  sopt.unregisteredHellosPerMinute = config->unregisteredHellosPerMinute;
  sopt.unregisteredHelloBurst = config->unregisteredHelloBurst;
  std::map<std::string, std::string> slotBySource;  // canonical address -> slot id
  for (const auto& slot : config->slots) slotBySource[slot.source] = slot.id;
  sopt.slotFor = [slotBySource](const std::string& peer) {
    auto it = slotBySource.find(pb::canonicalIpAddress(peer));
    return it == slotBySource.end() ? std::string() : it->second;
  };
  // The stages after admission, in order; each reads the rules from the session's own snapshot.
  std::vector<std::unique_ptr<pb::Stage>> stages;
  for (const auto& name : config->stages) {
    if (name == "checks") stages.push_back(std::make_unique<pb::ChecksStage>(**store));
    if (name == "attest") stages.push_back(std::make_unique<pb::attest::AttestStage>());
  }
  pb::SessionManager sessions(**store, clock, log, sopt, snapshot, std::move(stages));

  // Status, kiosk header, provisioning-certificate audit and signals (bench_service.hpp).
  pb::BenchService service(io, *config, kVersion, clock, log, **store, clock.nowUnix());

  // The bench's AMT provisioning certificate: judged now and daily.
  pb::ProvCertMonitor provCert(
      io.get_executor(), config->amtProvisioningCertificate, config->amtProvisioningCrl, clock, log,
      [&service](const pb::ProvCertStatus& s) { service.onProvCertStatus(s); });
  provCert.start();

  // AMT hello packets: a discovery sensor on the port the policy names (off when 0). A hello means
  // remote configuration is on: registered devices get a finding, nothing is ever provisioned.
  pb::HelloRecorder helloRecorder(**store, clock, log);
  std::optional<pb::HelloListener> helloListener;
  if (const std::uint16_t helloPort = snapshot->policy.amt.helloListenerPort; helloPort != 0) {
    pb::HelloListenerOptions hlo;
    hlo.address = config->listenAddress;
    hlo.port = helloPort;
    helloListener.emplace(io.get_executor(), hlo, log,
                          [&helloRecorder](const pb::AmtHello& h, const std::string& peer) {
                            (void)helloRecorder.onHello(h, peer);
                          });
    if (auto hp = helloListener->start(); !hp.ok()) {
      log.error("benchd.hello_listen_failed", {{"error", hp.error().message}});
      return 1;
    }
  }

  auto serverTls = pb::makeServerContext(keys->tlsCertPath, keys->tlsKeyPath);
  if (!serverTls.ok()) {
    log.error("benchd.tls_failed", {{"error", serverTls.error().message}});
    return 1;
  }
  pb::ListenerOptions lopt;
  lopt.address = config->listenAddress;
  lopt.port = config->listenPort;
  lopt.maxFrameBytes = config->maxFrameBytes;
  lopt.handshakeTimeout = std::chrono::milliseconds(config->handshakeTimeoutMs);
  lopt.maxSessions = config->maxSessions;
  lopt.maxSessionsPerSource = config->maxSessionsPerSource;
  // Handshakes in flight are bounded by the session cap: a burst of a full bench is normal.
  lopt.maxHandshakes = config->maxSessions;
  lopt.firstByteTimeout = std::chrono::milliseconds(config->helloTimeoutMs);
  lopt.refusalFrame = pb::refusalFrame;
  // The slots' own sources keep a share of sessions and handshakes that others cannot take.
  lopt.reserved = config->reservedSlotSessions;
  lopt.isReservedSource = [slotBySource](const std::string& peer) {
    return slotBySource.count(pb::canonicalIpAddress(peer)) > 0;
  };
  pb::TlsListener listener(
      io.get_executor(), lopt, *serverTls,
      [&sessions](std::unique_ptr<pb::FrameTransport> t) { return sessions.handle(std::move(t)); });
  auto port = listener.start();
  if (!port.ok()) {
    log.error("benchd.listen_failed", {{"error", port.error().message}});
    return 1;
  }

  pb::PolicyManager policies(**store, clock, log, policySource, *activePolicy,
                             [&](std::shared_ptr<const pb::PolicySnapshot> next) {
                               sessions.setPolicy(std::move(next));
                               service.refreshKioskHeader();
                             });
  service.attach(sessions, policies, provCert, *port);

  std::unique_ptr<pb::BenchKiosk> kiosk;
  if (config->kiosk.enabled) {
    kiosk = std::make_unique<pb::BenchKiosk>(io.get_executor(), *config, service.kioskHeader(),
                                             snapshot->policy.kiosk, **store, clock, log,
                                             service.startedAt());
    service.attachKiosk(kiosk.get());
    if (auto kp = kiosk->start(sessions); !kp.ok()) {
      log.error("benchd.kiosk_failed", {{"error", kp.error().message}});
      return 1;
    }
  }
  pb::StoreAdminHandlerOptions hopt;
  hopt.defaultApprovalTtlHours = static_cast<int>(snapshot->policy.enrollment.approvalTtlHours);
  hopt.policyCommands = [&policies](const pb::AdminCall& call, const std::string& actor) {
    return call.cmd == "policy.load" ? policies.load(call.args, actor) : policies.show();
  };
  hopt.runOffLoop = [&storeWorker](pb::StoreAdminHandlerOptions::ReadJob job) {
    return storeWorker.run<pb::AuditVerifyReport>(std::move(job), boost::asio::use_awaitable);
  };
  hopt.policyLoadAsync = [&policies, &storeWorker](const pb::AdminCall& call,
                                                   const std::string& actor) {
    return policies.loadAsync(call.args, actor, [&storeWorker](pb::PolicyManager::ReadJob job) {
      return storeWorker.run<nlohmann::json>(std::move(job), boost::asio::use_awaitable);
    });
  };
  hopt.logger = &log;
  pb::StoreAdminHandler handler(
      **store, clock, [&service] { return service.status(); }, hopt);
  auto access = pb::AccessControl::create({config->adminGroup, config->readonlyGroup},
                                          std::make_shared<pb::SystemGroupDirectory>());
  if (!access.ok()) {
    log.error("benchd.admin_groups", {{"error", access.error().message}});
    return 2;
  }
  pb::AdminServerOptions aopt;
  aopt.logger = &log;
  pb::AdminServer admin(io.get_executor(), config->adminSocket, *access, handler, aopt);
  if (auto st = admin.start(); !st.ok()) {
    log.error("benchd.admin_failed", {{"error", st.error().message}});
    return 1;
  }

  // SIGTERM/SIGINT: stop accepting and the monitors, then a grace period (bench_service.cpp).
  service.handleSignals([&]() {
    listener.stop();
    admin.stop();
    provCert.stop();
    if (helloListener) helloListener->stop();
    if (kiosk) kiosk->stop();
    storeWorker.stop();  // interrupts a running verification; its request fails
  });

  nlohmann::json ready = {{"ready", true},
                          {"bench_id", config->benchId},
                          {"agent_port", *port},
                          {"admin_socket", config->adminSocket},
                          {"pin_file", keys->pinPath},
                          {"pin", keys->pin}};
  if (kiosk) ready["kiosk_port"] = kiosk->port();
  pb::signalReady(readyFd, ready.dump());
  log.info("benchd.ready", ready);

  io.run();

  sessions.flushRefusals();  // the last interval's count of refused hellos
  pb::AuditRecord stopped;
  stopped.actor = "benchd";
  stopped.action = "benchd.stop";
  (void)(*store)->appendAudit(stopped);
  log.info("benchd.stopped");
  return 0;
}
