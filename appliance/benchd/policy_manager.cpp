// SPDX-License-Identifier: Apache-2.0
#include "benchd/policy_manager.hpp"

#include <utility>

#include "admin/admin_protocol.hpp"
#include "admission/admission.hpp"
#include "core/files.hpp"
#include "core/reasons.hpp"
#include "policy/evaluate.hpp"
#include "protocol/device_facts_json.hpp"

namespace pb {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxFileNameBytes = 255;
constexpr std::size_t kMaxDiffEntries = 500;

void flatten(const json& j, const std::string& path, std::map<std::string, json>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, path.empty() ? k : path + "." + k, out);
    return;
  }
  out[path] = j;  // scalars, lists and empty mappings compare as one value
}

std::string reasonCodeFor(const Error& e) {
  if (e.code == "signature") return std::string(reason::kPolicySignature);
  if (e.code == "policy") return std::string(reason::kPolicyInvalid);
  return std::string(reason::kAdminBadRequest);
}

json decisionJson(const AdmissionDecision& d) {
  return json{{"state", toString(d.state)}, {"code", d.code}};
}

IdentityFacts lastIdentity(Store& store, const DeviceRecord& d) {
  IdentityFacts f;
  f.serial = d.registry.serial;
  f.smbiosUuid = d.registry.smbiosUuid;
  f.model = d.registry.model;
  // The identity the device last presented is what its next Hello will most likely say.
  auto sessions = store.sessionsForDevice(d.id, 1);
  if (sessions.ok() && !sessions->empty()) {
    const json& id = sessions->front().identity;
    if (id.is_object()) {
      if (auto it = id.find("smbios_uuid"); it != id.end() && it->is_string()) {
        f.smbiosUuid = it->get<std::string>();
      }
      if (auto it = id.find("model"); it != id.end() && it->is_string()) {
        f.model = it->get<std::string>();
      }
    }
  }
  return f;
}

}  // namespace

Result<std::vector<TrustedSigner>> loadTrustedSigners(const std::vector<std::string>& paths) {
  std::vector<TrustedSigner> out;
  for (const auto& p : paths) {
    auto s = loadTrustedSigner(p);
    if (!s) return s.error().withContext("policy.trusted_signers");
    out.push_back(std::move(*s));
  }
  return out;
}

namespace {

// The configured file and its signature, checked. A missing signature file means "unsigned";
// one that exists but is oversized is a bad signature, never "absent".
Result<AcceptedPolicy> readConfigured(const PolicySourceOptions& options) {
  auto text = readFileBounded(options.policyFile, kMaxPolicyBytes);
  if (!text) return text.error();
  std::optional<std::string> sig;
  if (auto s = readFileBounded(options.signatureFile, kMaxSignatureFileBytes); s.ok()) {
    sig = std::move(*s);
  } else if (s.error().code != "io") {
    return makeError("signature", options.signatureFile + ": " + s.error().message);
  }
  return acceptPolicy(*text, options.policyFile, sig, options.trust);
}

}  // namespace

Result<ActivePolicy> loadConfiguredPolicy(const PolicySourceOptions& options, const Clock& clock) {
  ActivePolicy a;
  a.loadedAt = clock.nowUnix();
  if (options.policyFile.empty()) {
    // The built-in policy is part of the binary; it needs no signature.
    a.snapshot = makePolicySnapshot(defaultPolicy());
    a.source = "built-in";
    return a;
  }
  auto accepted = readConfigured(options);
  if (!accepted) return accepted.error();
  a.snapshot = makePolicySnapshot(std::move(accepted->policy));
  a.source = options.policyFile;
  a.signer = accepted->signer;
  a.isUnsigned = accepted->isUnsigned;
  return a;
}

json policyDiff(const Policy& before, const Policy& after) {
  std::map<std::string, json> a;
  std::map<std::string, json> b;
  flatten(policyToJson(before), "", a);
  flatten(policyToJson(after), "", b);
  json changes = json::array();
  for (const auto& [key, oldValue] : a) {
    auto it = b.find(key);
    json newValue = it == b.end() ? json(nullptr) : it->second;
    if (oldValue != newValue)
      changes.push_back({{"key", key}, {"old", oldValue}, {"new", newValue}});
  }
  for (const auto& [key, newValue] : b) {
    if (!a.contains(key)) changes.push_back({{"key", key}, {"old", nullptr}, {"new", newValue}});
  }
  if (changes.size() > kMaxDiffEntries) {
    changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(kMaxDiffEntries), changes.end());
  }
  return changes;
}

namespace {

// The firmware/AMT check verdict of a device's last reported facts under `snapshot`: the first
// failing (or data-missing) check's code, or pass.
json checksVerdict(const CheckResults& results) {
  for (const auto& r : results) {
    if (r.outcome == CheckOutcome::Fail || r.outcome == CheckOutcome::MissingData) {
      return {{"state", "failed"}, {"code", r.code}, {"check", r.id}};
    }
  }
  return {{"state", "checked"}, {"code", ""}};
}

// The checks stage re-run on the facts the device last reported (kept with its check run), under
// both policies; null when the device never reported facts or nothing changes.
json checkChanges(Store& store, const Clock& clock, const DeviceRecord& d,
                  const PolicySnapshot& before, const PolicySnapshot& after) {
  auto run = store.latestCheckRunForDevice(d.id);
  if (!run || !*run || (*run)->factsJson.empty()) return nullptr;
  json wire = json::parse((*run)->factsJson, nullptr, false);
  if (wire.is_discarded()) return nullptr;
  auto facts = deviceFactsFromJson(wire, FactsMode::Wire);
  if (!facts) return nullptr;
  const CheckResults o = evaluate(before.policy, *facts, clock);
  const CheckResults n = evaluate(after.policy, *facts, clock);
  json changed = json::array();
  for (std::size_t i = 0; i < o.size() && i < n.size(); ++i) {
    if (o[i].id == n[i].id && o[i].outcome != n[i].outcome) {
      changed.push_back({{"check", n[i].id},
                         {"old", std::string(toString(o[i].outcome))},
                         {"new", std::string(toString(n[i].outcome))}});
    }
  }
  const json ov = checksVerdict(o);
  const json nv = checksVerdict(n);
  if (ov == nv && changed.empty()) return nullptr;
  return {{"device_id", d.id},
          {"serial", d.registry.serial},
          {"stage", "checks"},
          {"old", ov},
          {"new", nv},
          {"checks", changed},
          {"facts_from_session", (*run)->sessionId}};
}

}  // namespace

Result<json> verdictChanges(Store& store, const Clock& clock, const PolicySnapshot& before,
                            const PolicySnapshot& after) {
  auto devices = store.listDevices(std::nullopt);
  if (!devices) return devices.error();
  json out = json::array();
  for (const auto& d : *devices) {
    AdmissionInput in;
    in.facts = lastIdentity(store, d);
    in.device = d;
    in.now = clock.nowUnix();
    if (auto approval = store.activeApproval(d.id); approval.ok()) in.approval = *approval;
    const AdmissionDecision o = decideAdmission(in, before.admission);
    const AdmissionDecision n = decideAdmission(in, after.admission);
    if (o.state != n.state || o.code != n.code) {
      out.push_back({{"device_id", d.id},
                     {"serial", d.registry.serial},
                     {"stage", "admission"},
                     {"old", decisionJson(o)},
                     {"new", decisionJson(n)},
                     {"detail", n.detail}});
      continue;
    }
    if (json c = checkChanges(store, clock, d, before, after); !c.is_null()) out.push_back(c);
  }
  return out;
}

json warningsJson(const ActivePolicy& active) {
  json out = json::array();
  if (active.isUnsigned) {
    out.push_back({{"setting", "policy.allow_unsigned"},
                   {"attack",
                    "DEVELOPMENT MODE: the active policy is unsigned, so anyone who can write the "
                    "policy file can change what this bench admits."},
                   {"acknowledgement", ""}});
  }
  for (const auto& w : riskWarnings(active.snapshot->policy)) {
    out.push_back(
        {{"setting", w.setting}, {"attack", w.attack}, {"acknowledgement", w.acknowledgement}});
  }
  return out;
}

PolicyManager::PolicyManager(Store& store, const Clock& clock, Logger& log,
                             PolicySourceOptions options, ActivePolicy initial, Apply apply)
    : store_(store),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      active_(std::move(initial)),
      apply_(std::move(apply)) {}

json PolicyManager::summary() const {
  const Policy& p = active_.snapshot->policy;
  return json{{"name", p.name},
              {"tenant", p.tenantId},
              {"hash", active_.snapshot->hash},
              {"source", active_.source},
              {"signer", active_.signer},
              {"unsigned", active_.isUnsigned},
              {"development_mode", options_.trust.allowUnsigned},
              {"loaded_at", formatUtc(active_.loadedAt)},
              {"warnings", warningsJson(active_)}};
}

json PolicyManager::show() const {
  json result = summary();
  result["policy"] = policyToJson(active_.snapshot->policy);
  return okResponse(std::move(result));
}

void PolicyManager::auditRefused(const std::string& actor, const std::string& source,
                                 const Error& e) {
  log_.warn("policy.refused", {{"source", source}, {"actor", actor}, {"error", e.message}});
  AuditRecord r;
  r.actor = actor;
  r.action = "policy.refused";
  r.reason = reasonCodeFor(e);
  // The first lines say what was wrong; the whole list could be long.
  r.details = {{"source", source},
               {"active_hash", active_.snapshot->hash},
               {"error", e.message.substr(0, 4096)}};
  if (auto st = store_.appendAudit(std::move(r)); !st) {
    log_.error("policy.audit_failed", {{"error", st.error().message}});
  }
}

Result<json> PolicyManager::activate(AcceptedPolicy accepted, const std::string& source,
                                     const std::string& actor, bool dryRun,
                                     std::shared_ptr<const PolicySnapshot> next,
                                     std::optional<json> precomputed) {
  if (!next) next = makePolicySnapshot(std::move(accepted.policy));
  Result<json> changes = precomputed ? Result<json>(std::move(*precomputed))
                                     : verdictChanges(store_, clock_, *active_.snapshot, *next);
  if (!changes) return changes.error();
  json result{{"dry_run", dryRun},
              {"name", next->policy.name},
              {"old_hash", active_.snapshot->hash},
              {"new_hash", next->hash},
              {"signer", accepted.signer},
              {"unsigned", accepted.isUnsigned},
              {"diff", policyDiff(active_.snapshot->policy, next->policy)},
              {"verdict_changes", std::move(*changes)}};
  ActivePolicy candidate;
  candidate.snapshot = next;
  candidate.isUnsigned = accepted.isUnsigned;
  result["warnings"] = warningsJson(candidate);
  if (dryRun) return result;

  AuditRecord r;
  r.actor = actor;
  r.action = "policy.loaded";
  r.details = {{"source", source},
               {"name", next->policy.name},
               {"old_hash", active_.snapshot->hash},
               {"new_hash", next->hash},
               {"file_sha256", accepted.fileSha256},
               {"signer", accepted.signer},
               {"unsigned", accepted.isUnsigned},
               {"risk_acknowledgements", next->policy.riskAcknowledgements},
               {"changed_keys", result["diff"].size()}};
  // Audit first: a policy change that cannot be recorded does not happen.
  store_.setPolicyHash(next->hash);
  if (auto st = store_.appendAudit(std::move(r)); !st) {
    store_.setPolicyHash(active_.snapshot->hash);
    return st.error();
  }
  active_.snapshot = next;
  active_.source = source;
  active_.signer = accepted.signer;
  active_.isUnsigned = accepted.isUnsigned;
  active_.loadedAt = clock_.nowUnix();
  if (apply_) apply_(next);
  log_.info("policy.loaded", {{"source", source},
                              {"name", next->policy.name},
                              {"hash", next->hash},
                              {"signer", accepted.signer}});
  for (const auto& w : warningsJson(active_)) log_.warn("policy.risk", w);
  return result;
}

json PolicyManager::load(const json& args, const std::string& actor) {
  Candidate c;
  if (auto refused = accept(args, actor, c)) return std::move(*refused);
  auto result = activate(std::move(c.accepted), c.name, actor, c.dryRun);
  if (!result) {
    return errorResponse(reason::kInternalError, "policy.load: " + result.error().message);
  }
  return okResponse(std::move(*result));
}

boost::asio::awaitable<json> PolicyManager::loadAsync(const json& args, const std::string& actor,
                                                      RunOffLoop runOffLoop) {
  Candidate c;
  if (auto refused = accept(args, actor, c)) co_return std::move(*refused);
  // A real load stays on the loop: the verdicts it reports must match the state it applies to.
  if (!c.dryRun || !runOffLoop) {
    auto result = activate(std::move(c.accepted), c.name, actor, c.dryRun);
    if (!result) {
      co_return errorResponse(reason::kInternalError, "policy.load: " + result.error().message);
    }
    co_return okResponse(std::move(*result));
  }
  std::shared_ptr<const PolicySnapshot> before = active_.snapshot;
  std::shared_ptr<const PolicySnapshot> next = makePolicySnapshot(std::move(c.accepted.policy));
  const Clock* clock = &clock_;  // Clock::nowUnix is safe from any thread
  // A named job, not a lambda inside the co_await expression: GCC 12 corrupts coroutine locals
  // captured by a lambda temporary there.
  ReadJob job = [before, next, clock](Store& readOnly) {
    return verdictChanges(readOnly, *clock, *before, *next);  // immutable snapshots, by value
  };
  Result<json> changes = co_await runOffLoop(std::move(job));
  if (!changes) {
    co_return errorResponse(reason::kInternalError, "policy.load: " + changes.error().message);
  }
  if (active_.snapshot != before) {
    // Another load won the race while the devices were evaluated: the comparison is stale.
    co_return errorResponse(reason::kAdminConflict,
                            "policy.load: the active policy changed during the dry run; run it "
                            "again");
  }
  auto result = activate(std::move(c.accepted), c.name, actor, true, next, std::move(*changes));
  if (!result) {
    co_return errorResponse(reason::kInternalError, "policy.load: " + result.error().message);
  }
  co_return okResponse(std::move(*result));
}

std::optional<json> PolicyManager::accept(const json& args, const std::string& actor,
                                          Candidate& out) {
  const std::string cmd = "policy.load";
  auto bad = [&](const std::string& m) {
    return errorResponse(reason::kAdminBadRequest, cmd + ": " + m);
  };
  auto fileName = args.find("file_name");
  auto content = args.find("content");
  if (fileName == args.end() || !fileName->is_string()) {
    return bad("\"file_name\" must be a string");
  }
  if (content == args.end() || !content->is_string()) return bad("\"content\" must be a string");
  const auto& name = fileName->get_ref<const std::string&>();
  if (name.empty() || name.size() > kMaxFileNameBytes) {
    return bad("\"file_name\" must be a file name");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return bad("\"file_name\" must be a file name");
  }
  std::optional<std::string> signature;
  if (auto s = args.find("signature"); s != args.end() && !s->is_null()) {
    if (!s->is_string()) return bad("\"signature\" must be a string");
    signature = s->get<std::string>();
  }
  bool dryRun = false;
  if (auto d = args.find("dry_run"); d != args.end() && !d->is_null()) {
    if (!d->is_boolean()) return bad("\"dry_run\" must be true or false");
    dryRun = d->get<bool>();
  }
  auto accepted =
      acceptPolicy(content->get_ref<const std::string&>(), name, signature, options_.trust);
  if (!accepted) {
    if (!dryRun) auditRefused(actor, name, accepted.error());
    json response = errorResponse(reasonCodeFor(accepted.error()),
                                  accepted.error().code == "policy"
                                      ? name + ": the policy has errors; nothing was loaded"
                                      : accepted.error().message);
    if (accepted.error().code == "policy") {
      json errors = json::array();
      std::string_view rest = accepted.error().message;
      while (!rest.empty()) {
        auto nl = rest.find('\n');
        errors.push_back(std::string(rest.substr(0, nl)));
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      }
      response["errors"] = std::move(errors);
    }
    return response;
  }
  out.accepted = std::move(*accepted);
  out.name = name;
  out.dryRun = dryRun;
  return std::nullopt;
}

Status PolicyManager::reload(const std::string& actor) {
  const std::string source = options_.policyFile.empty() ? "built-in" : options_.policyFile;
  Result<AcceptedPolicy> accepted = makeError("policy", "");
  if (options_.policyFile.empty()) {
    AcceptedPolicy builtIn;
    builtIn.policy = defaultPolicy();
    builtIn.hash = policyHash(builtIn.policy);
    accepted = std::move(builtIn);
  } else {
    accepted = readConfigured(options_);
  }
  if (!accepted) {
    auditRefused(actor, source, accepted.error());
    return accepted.error();
  }
  if (accepted->hash == active_.snapshot->hash && accepted->signer == active_.signer) {
    log_.info("policy.unchanged", {{"source", source}, {"hash", active_.snapshot->hash}});
    return Status{};
  }
  auto result = activate(std::move(*accepted), source, actor, false);
  if (!result) return result.error();
  return Status{};
}

}  // namespace pb
