// SPDX-License-Identifier: Apache-2.0
#include "attest/verifier.hpp"

#include <algorithm>

#include "attest/event_log.hpp"
#include "attest/make_credential.hpp"
#include "core/reasons.hpp"

namespace pb::attest {

namespace {

std::string_view remediationFor(std::string_view code) {
  for (const auto& r : allReasons()) {
    if (r.code == code) return r.remediation;
  }
  return {};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string_view toString(AttestOutcome o) {
  switch (o) {
    case AttestOutcome::Pending:
      return "pending";
    case AttestOutcome::Attested:
      return "attested";
    case AttestOutcome::Failed:
      return "failed";
    case AttestOutcome::NotAttestable:
      return "not_attestable";
  }
  return "failed";
}

Verifier::Verifier(const TpmPolicy& policy, const EkTrustStore& trust, const Clock& clock,
                   NonceStore& nonces, std::optional<std::string> registeredEkSha256,
                   std::string model)
    : policy_(policy),
      trust_(trust),
      clock_(clock),
      nonces_(nonces),
      registeredEk_(std::move(registeredEkSha256)),
      model_(std::move(model)),
      bank_(hashFromName(policy.pcrBank)) {
  result_.facts.pcrBank = policy.pcrBank;
}

Verifier::~Verifier() {
  secureZero(secret_.data(), secret_.size());
}

nlohmann::json Verifier::startFrame() const {
  return attestStartJson(policy_.akAlgorithm, bank_, policy_.pcrSelection);
}

void Verifier::check(std::string id, CheckOutcome outcome, std::string_view code,
                     std::string message, std::string_view remediation) {
  CheckResult r;
  r.id = std::move(id);
  r.outcome = outcome;
  if (outcome != CheckOutcome::Pass) {
    r.code = std::string(code);
    r.remediation = std::string(remediation.empty() ? remediationFor(code) : remediation);
  }
  r.message = std::move(message);
  result_.checks.push_back(std::move(r));
}

const AttestResult& Verifier::conclude(AttestOutcome outcome, std::string_view code,
                                       std::string message) {
  result_.outcome = outcome;
  result_.code = std::string(code);
  result_.message = std::move(message);
  step_ = Step::Done;
  secureZero(secret_.data(), secret_.size());
  return result_;
}

const AttestResult& Verifier::fail(std::string_view code, std::string message) {
  if (result_.outcome != AttestOutcome::Pending) return result_;
  return conclude(AttestOutcome::Failed, code, std::move(message));
}

bool Verifier::expect(Step step) {
  if (result_.outcome != AttestOutcome::Pending) return false;
  if (step_ != step) {
    fail(reason::kUnexpectedMessage, "attestation step out of order");
    return false;
  }
  return true;
}

const AttestResult& Verifier::verifyKeys(const AttestKeys& keys) {
  if (!expect(Step::Keys)) return result_;
  result_.tpmMs += keys.tpmMs;
  result_.facts.present = keys.tpm.present;
  result_.facts.readiness = keys.tpm.present ? keys.tpm.readiness : "absent";
  if (!keys.tpm.present || keys.tpm.readiness == "absent") {
    check("tpm.ek_chain", CheckOutcome::MissingData, reason::kTpmAbsent,
          "No TPM is available on the device.");
    return conclude(AttestOutcome::NotAttestable, reason::kTpmAbsent, "no TPM");
  }
  if (keys.tpm.readiness != "ready") {
    check("tpm.ek_chain", CheckOutcome::MissingData, reason::kTpmNotReady,
          "The TPM is " + keys.tpm.readiness + " and cannot be used.");
    return conclude(AttestOutcome::NotAttestable, reason::kTpmNotReady,
                    "TPM " + keys.tpm.readiness);
  }

  auto ek = parseTpm2bPublic(keys.ekPub);
  const auto& allowedEk = policy_.allowedEkAlgorithms;
  if (!ek ||
      std::find(allowedEk.begin(), allowedEk.end(), ek->algorithmName()) == allowedEk.end() ||
      (ek->attributes & attr::kRestricted) == 0 || (ek->attributes & attr::kDecrypt) == 0) {
    std::string why =
        !ek ? ek.error().message : "EK algorithm " + ek->algorithmName() + " is not allowed";
    check("tpm.ek_chain", CheckOutcome::Fail, reason::kEkNotAllowed, why);
    return conclude(AttestOutcome::Failed, reason::kEkNotAllowed, why);
  }
  ek_ = std::move(ek.value());
  result_.facts.ekAlgorithm = ek_.algorithmName();
  result_.facts.ekSha256 = toHex(ek_.nameSha256());

  if (keys.ekCert) {
    auto cert = parseCertificateDer(*keys.ekCert);
    Status s = cert ? trust_.verify(cert->get(), ek_, clock_.nowUnix()) : Status(cert.error());
    if (!s) {
      check("tpm.ek_chain", CheckOutcome::Fail, s.error().code, s.error().message);
      return conclude(AttestOutcome::Failed, s.error().code, s.error().message);
    }
    check("tpm.ek_chain", CheckOutcome::Pass, {},
          "EK certificate chains to a trusted TPM manufacturer root.");
  } else if (registeredEk_ &&
             constantTimeEqual(toBytes(lower(*registeredEk_)), toBytes(result_.facts.ekSha256))) {
    check("tpm.ek_chain", CheckOutcome::Pass, {},
          "No EK certificate; the EK is pre-registered in the asset register.");
  } else {
    check("tpm.ek_chain", CheckOutcome::MissingData, reason::kNoEkCertificate,
          "The TPM has no EK certificate and its EK is not pre-registered.");
    return conclude(AttestOutcome::NotAttestable, reason::kNoEkCertificate, "no EK certificate");
  }

  auto ak = parseTpm2bPublic(keys.akPub);
  if (!ak) {
    check("tpm.ak_attributes", CheckOutcome::Fail, reason::kAkAttributes, ak.error().message);
    return conclude(AttestOutcome::Failed, reason::kAkAttributes, ak.error().message);
  }
  if (auto s = checkAk(ak.value(), policy_.allowedAkAlgorithms); !s) {
    check("tpm.ak_attributes", CheckOutcome::Fail, s.error().code, s.error().message);
    return conclude(AttestOutcome::Failed, s.error().code, s.error().message);
  }
  auto akKey = toEvpKey(ak.value());
  if (!akKey) {
    check("tpm.ak_attributes", CheckOutcome::Fail, reason::kAkAttributes, akKey.error().message);
    return conclude(AttestOutcome::Failed, reason::kAkAttributes, akKey.error().message);
  }
  // The AK is parsed once: its Name (for MakeCredential) and its key (for quotes) come from the
  // same bytes, so they cannot be two different keys (Keylime CVE-2021-3406).
  ak_ = std::move(ak.value());
  akKey_ = std::move(akKey.value());
  result_.facts.akAlgorithm = ak_.algorithmName();
  check("tpm.ak_attributes", CheckOutcome::Pass, {},
        "The AK is a restricted, TPM-bound signing key.");
  step_ = Step::Challenge;
  return result_;
}

Result<Credential> Verifier::makeChallenge() {
  if (!expect(Step::Challenge)) return makeError(result_.code, "no verified keys");
  secret_ = randomBytes(32);
  auto cred = makeCredential(ek_, ak_.name, secret_);
  if (!cred) {
    fail(reason::kInternalError, "MakeCredential failed: " + cred.error().message);
    return cred.error();
  }
  step_ = Step::Activation;
  return cred;
}

const AttestResult& Verifier::checkActivation(const AttestActivated& activated) {
  if (!expect(Step::Activation)) return result_;
  result_.tpmMs += activated.tpmMs;
  bool ok =
      activated.secret.size() == secret_.size() && constantTimeEqual(activated.secret, secret_);
  secureZero(secret_.data(), secret_.size());
  secret_.clear();
  if (!ok) {
    // Never say what was expected (Keylime CVE-2023-38201).
    check("tpm.activation", CheckOutcome::Fail, reason::kActivationFailed,
          "The TPM did not recover the credential made for its EK and AK.");
    return conclude(AttestOutcome::Failed, reason::kActivationFailed,
                    "credential activation failed");
  }
  check("tpm.activation", CheckOutcome::Pass, {},
        "The AK lives in the same TPM as the trusted EK.");
  step_ = Step::QuoteRequest;
  return result_;
}

Result<QuoteRequest> Verifier::makeQuoteRequest() {
  if (!expect(Step::QuoteRequest)) return makeError(result_.code, "activation not done");
  if (bank_ == 0 || policy_.pcrSelection.empty()) {
    fail(reason::kInternalError, "policy has no usable PCR bank or selection");
    return makeError(std::string(reason::kInternalError), "bad policy PCR selection");
  }
  QuoteRequest r;
  nonce_ = nonces_.issue();
  r.nonce = nonce_;
  r.bank = bank_;
  r.pcrs = makeSelection(bank_, policy_.pcrSelection).pcrs;
  // TPM2_Hash refuses a ticket for data starting with TPM_GENERATED_VALUE; avoid that prefix.
  do {
    signChallenge_ = randomBytes(32);
  } while (signChallenge_[0] == 0xFF && signChallenge_[1] == 0x54 && signChallenge_[2] == 0x43 &&
           signChallenge_[3] == 0x47);
  r.signChallenge = signChallenge_;
  step_ = Step::Quote;
  return r;
}

const AttestResult& Verifier::verifyQuote(const QuoteMessage& q) {
  if (!expect(Step::Quote)) return result_;
  result_.tpmMs += q.tpmMs;
  result_.facts.pcrBank = std::string(hashName(bank_));
  const std::size_t checksBefore = result_.checks.size();

  // Freshness first: the issued nonce is burnt whatever happens next.
  auto parsed = parseAttest(q.quoted);
  Status fresh = nonces_.consume(nonce_, parsed ? parsed->extraData : Bytes{});

  QuoteInput in;
  in.ak = &ak_;
  in.akKey = akKey_.get();
  in.attest = q.quoted;
  in.signature = q.signature;
  in.expectedNonce = nonce_;
  in.requested = {makeSelection(bank_, policy_.pcrSelection)};
  in.pcrValues = q.pcrValues;
  QuoteReport report = attest::verifyQuote(in);
  if (report.ok() && !fresh) {
    report.code = fresh.error().code;
    report.message = fresh.error().message;
  }
  if (!report.ok()) {
    check("tpm.quote", CheckOutcome::Fail, report.code, "Quote rejected: " + report.message);
  } else {
    check("tpm.quote", CheckOutcome::Pass, {},
          "Fresh quote signed by the activated AK over the requested PCRs.");
  }
  std::map<std::uint32_t, Bytes> quoted;
  for (const auto& p : report.verified) {
    if (p.bank == bank_) {
      quoted[p.index] = p.value;
      result_.facts.quotedPcrs.emplace_back(p.index, toHex(p.value));
    }
  }

  // Event log: replayed only against PCR values a verified quote proved.
  std::vector<std::uint32_t> verifiedPcrs;
  std::optional<EventLog> log;
  bool sha1Refused = false;
  auto parsedLog = report.ok() ? parseEventLog(q.eventLog) : Result<EventLog>(EventLog{});
  if (!report.ok()) {
    check("tpm.event_log", CheckOutcome::MissingData, reason::kQuotePcrDigest,
          "Not replayed: no verified quote.");
  } else if (!parsedLog) {
    check("tpm.event_log", CheckOutcome::Fail, reason::kEventLogInvalid, parsedLog.error().message);
  } else if (sha1Only(parsedLog.value()) && !policy_.allowSha1EventLog) {
    // A policy decision, not a malformed log: the device is not_attestable under this policy.
    check("tpm.event_log", CheckOutcome::MissingData, reason::kEventLogSha1Only,
          "The firmware measures the boot with SHA-1 only (" +
              std::string(toString(parsedLog->format)) +
              " event log); the policy does not accept SHA-1 boot records.");
    sha1Refused = true;
  } else if (sha1Only(parsedLog.value()) && bank_ != alg::kSha1 && !sha1Requoted_) {
    // The quote covers the policy's bank, which this firmware never extended. The policy accepts
    // SHA-1 boot records, so ask once more for a quote of the SHA-1 bank (PROTOCOL.md step 5b);
    // this quote's checks are dropped, the next one is judged from scratch.
    result_.checks.resize(checksBefore);
    result_.facts.quotedPcrs.clear();
    bank_ = alg::kSha1;
    sha1Requoted_ = true;
    step_ = Step::QuoteRequest;
    return result_;
  } else {
    ReplayOutcome replay = checkReplay(parsedLog.value(), bank_, quoted);
    if (!replay.ok) {
      check("tpm.event_log", CheckOutcome::Fail, reason::kEventLogReplay, replay.detail);
    } else {
      check("tpm.event_log", CheckOutcome::Pass, {},
            replay.detail + (sha1Only(parsedLog.value())
                                 ? " (SHA-1 only: accepted by tpm.allow_sha1_event_log)"
                                 : ""));
      verifiedPcrs = replay.verifiedPcrs;
      log = std::move(parsedLog.value());
    }
  }

  // Secure Boot from the verified log.
  CheckOutcome sbFailure = policy_.requireSecureBoot ? CheckOutcome::Fail : CheckOutcome::Warn;
  if (sha1Refused) {
    check("tpm.secure_boot", CheckOutcome::MissingData, reason::kEventLogSha1Only,
          "Not evaluated: the SHA-1 boot record is not accepted.");
  } else if (!log) {
    check("tpm.secure_boot",
          policy_.requireSecureBoot ? CheckOutcome::MissingData : CheckOutcome::Warn,
          reason::kSecureBootUnknown, "Secure Boot state unknown: no verified event log.");
  } else if (auto sb = extractSecureBoot(*log, bank_, verifiedPcrs); !sb) {
    check("tpm.secure_boot", sbFailure, reason::kSecureBootUnknown, sb.error().message);
  } else {
    result_.facts.secureBootFromLog = sb->enabled;
    if (sb->enabled) {
      check("tpm.secure_boot", CheckOutcome::Pass, {},
            "Secure Boot is on (db " + std::to_string(sb->dbEntries) + ", dbx " +
                std::to_string(sb->dbxEntries) + " entries).");
    } else {
      check("tpm.secure_boot", sbFailure, reason::kSecureBootOff,
            sb->variableEmpty ? "Secure Boot is off (the SecureBoot variable is absent)."
                              : "Secure Boot is off.");
    }
  }

  // Golden PCRs for the device's model.
  auto golden = std::find_if(policy_.goldenPcrs.begin(), policy_.goldenPcrs.end(),
                             [this](const GoldenPcrs& g) { return g.model == model_; });
  if (golden == policy_.goldenPcrs.end()) {
    check("tpm.golden_pcrs", CheckOutcome::Warn, reason::kGoldenPcrMismatch,
          "No golden PCR values are configured for this model.",
          "Add golden PCR values for the model to the policy.");
  } else {
    std::string bad;
    for (const auto& [index, hex] : golden->pcrs) {
      auto it = quoted.find(index);
      if (it == quoted.end() || toHex(it->second) != lower(hex))
        bad += (bad.empty() ? "" : ",") + std::to_string(index);
    }
    if (!report.ok() || !bad.empty()) {
      check("tpm.golden_pcrs", CheckOutcome::Fail, reason::kGoldenPcrMismatch,
            report.ok() ? "PCR " + bad + " differ from the approved values."
                        : "No verified PCR values.");
    } else {
      check("tpm.golden_pcrs", CheckOutcome::Pass, {},
            "Quoted PCRs equal the approved values for the model.");
    }
  }

  // KeySignTest: the AK signed the appliance's challenge through TPM2_Hash + TPM2_Sign.
  auto csig = parseSignature(q.challengeSignature);
  bool backed = csig &&
                (ak_.scheme == alg::kNull ||
                 (csig->sigAlg == ak_.scheme && csig->hashAlg == ak_.schemeHash)) &&
                verifySignature(akKey_.get(), csig.value(), signChallenge_).ok();
  result_.facts.hardwareBacked = backed;
  if (backed) {
    check("tpm.hardware_backed", CheckOutcome::Pass, {},
          "The AK signed the appliance challenge inside the TPM.");
  } else {
    check("tpm.hardware_backed",
          policy_.requireHardwareBackedKeys ? CheckOutcome::Fail : CheckOutcome::Warn,
          reason::kNotHardwareBacked, "The agent did not prove the AK signs inside the TPM.");
  }

  for (const auto& c : result_.checks) {
    if (c.outcome == CheckOutcome::Fail) return conclude(AttestOutcome::Failed, c.code, c.message);
  }
  // Nothing failed; a SHA-1-only boot record the policy refuses makes the device not attestable
  // (its firmware cannot give the evidence the policy asks for), not failed.
  if (sha1Refused) {
    return conclude(AttestOutcome::NotAttestable, reason::kEventLogSha1Only,
                    "firmware measures with SHA-1 only");
  }
  for (const auto& c : result_.checks) {
    if (c.outcome == CheckOutcome::MissingData)
      return conclude(AttestOutcome::Failed, c.code, c.message);
  }
  return conclude(AttestOutcome::Attested, {}, "attested");
}

}  // namespace pb::attest
