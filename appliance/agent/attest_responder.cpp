// SPDX-License-Identifier: Apache-2.0
#include "agent/attest_responder.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/reasons.hpp"
#include "core/secret_bytes.hpp"

namespace pb {

namespace {

using nlohmann::json;

constexpr std::size_t kDigestBytes = 32;
// TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET are a few hundred bytes at most.
constexpr std::size_t kMaxTpm2bBytes = 1024;

Error malformed(std::string_view where, std::string_view what) {
  return makeError(std::string(reason::kMalformedFrame),
                   std::string(where) + ": " + std::string(what));
}

// The appliance's frames through the one untrusted-JSON reader: paths like
// "quote_request.nonce", unknown fields ignored (a newer appliance may add some).
JsonObjectReader frameReader(const json& frame, std::string_view type) {
  return JsonObjectReader(frame, std::string(type),
                          JsonReadRules{.errorCode = std::string(reason::kMalformedFrame),
                                        .maxString = 64,
                                        .absentIsError = true,
                                        .allowUnknownKeys = true});
}

Result<Bytes> hexField(const json& frame, std::string_view type, const char* name,
                       std::size_t minBytes, std::size_t maxBytes) {
  JsonObjectReader r = frameReader(frame, type);
  Bytes b = r.hex(name, maxBytes);
  if (!r.failed() && b.size() < minBytes) r.fail(r.path(name), "too short");
  if (r.failed()) return *r.error();
  return b;
}

Result<std::vector<unsigned>> pcrList(const json& frame, std::string_view type) {
  JsonObjectReader r = frameReader(frame, type);
  // sha1 only in quote_request: the appliance's second quote for a SHA-1-only event log.
  const bool sha1Allowed = type == "quote_request";
  static constexpr std::array<std::string_view, 1> kSha256{"sha256"};
  static constexpr std::array<std::string_view, 2> kSha256OrSha1{"sha256", "sha1"};
  if (sha1Allowed) {
    r.enumerated("pcr_bank", kSha256OrSha1);
  } else {
    r.enumerated("pcr_bank", kSha256);
  }
  if (r.failed()) {
    return malformed(
        std::string(type) + ".pcr_bank",
        sha1Allowed ? "only \"sha256\" or \"sha1\" is supported" : "only \"sha256\" is supported");
  }
  std::set<unsigned> seen;
  if (const json* pcrs = r.array("pcrs", 24)) {
    if (pcrs->empty()) r.fail(r.path("pcrs"), "1 to 24 PCR indices");
    for (std::size_t i = 0; i < pcrs->size() && !r.failed(); ++i) {
      const std::string where = jsonIndexPath(r.path("pcrs"), i);
      auto index = static_cast<unsigned>(r.checkInteger((*pcrs)[i], where, 0, 23));
      if (!r.failed() && !seen.insert(index).second) r.fail(where, "duplicate PCR index");
    }
  }
  if (r.failed()) return *r.error();
  return std::vector<unsigned>(seen.begin(), seen.end());
}

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

TpmReadiness readinessFor(const Error& e) {
  if (e.code == "tpm_disabled") return TpmReadiness::Disabled;
  if (e.code == "tpm_lockout") return TpmReadiness::Lockout;
  if (e.code == "tpm_absent") return TpmReadiness::Absent;
  return TpmReadiness::NotReady;
}

Error tpmFailure(const Error& e) {
  // The appliance's fields were well-formed but the TPM refused them (e.g. bad sizes inside).
  if (e.code == "tpm_input") return makeError(std::string(reason::kMalformedFrame), e.message);
  return makeError(std::string(reason::kInternalError), "bench-agent: " + e.message);
}

}  // namespace

AttestResponder::AttestResponder(AttestResponderOptions options) : options_(std::move(options)) {}

AttestResponder::~AttestResponder() = default;

bool AttestResponder::handles(std::string_view type) const {
  return type == "attest_start" || type == "attest_challenge" || type == "quote_request";
}

std::chrono::microseconds AttestResponder::tpmTime() const {
  return closedTpmTime_ + (tpm_ ? tpm_->tpmTime() : std::chrono::microseconds{0});
}

Result<json> AttestResponder::respond(const json& frame) {
  if (!frame.is_object()) return malformed("frame", "expected an object");
  auto type = frame.find("type");
  if (type == frame.end() || !type->is_string()) return malformed("frame", "missing type");
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "attest_start") return start(frame);
  if (t == "attest_challenge") return challenge(frame);
  if (t == "quote_request") return quote(frame);
  return makeError(std::string(reason::kUnknownMessage), "not an attestation message: " + t);
}

json AttestResponder::notUsable(TpmReadiness readiness, const std::string& detail,
                                std::chrono::microseconds t0) {
  json tpm = {{"present", readiness != TpmReadiness::Absent},
              {"readiness", std::string(readinessName(readiness))},
              {"detail", detail},
              {"manufacturer", info_.manufacturer},
              {"firmware", info_.firmware}};
  json reply = {
      {"type", "attest_keys"}, {"tpm", tpm}, {"ek_cert", nullptr}, {"tpm_ms", ms(tpmTime() - t0)}};
  if (tpm_) {
    closedTpmTime_ += tpm_->tpmTime();
    tpm_.reset();
  }
  step_ = Step::Idle;
  return reply;
}

Result<json> AttestResponder::start(const json& frame) {
  auto alg = frame.find("ak_algorithm");
  if (alg == frame.end() || !alg->is_string()) {
    return malformed("attest_start.ak_algorithm", "missing");
  }
  std::optional<KeyAlgorithm> akAlg = keyAlgorithmFromName(alg->get<std::string>());
  if (!akAlg) return malformed("attest_start.ak_algorithm", "expected ecc_nist_p256 or rsa2048");
  auto pcrs = pcrList(frame, "attest_start");
  if (!pcrs.ok()) return pcrs.error();

  // A new attest_start restarts the exchange from scratch.
  if (tpm_) {
    closedTpmTime_ += tpm_->tpmTime();
    tpm_.reset();
  }
  step_ = Step::Idle;
  info_ = TpmInfo{};
  const auto t0 = tpmTime();
  auto opened = TpmDevice::open(options_.tcti);
  if (!opened.ok()) return notUsable(TpmReadiness::Absent, opened.error().message, t0);
  tpm_ = std::move(*opened);
  info_ = tpm_->info();
  if (info_.readiness != TpmReadiness::Ready) return notUsable(info_.readiness, info_.detail, t0);

  auto ek = tpm_->loadEk(*akAlg);
  if (!ek.ok()) return notUsable(readinessFor(ek.error()), ek.error().message, t0);
  auto ak = tpm_->createAk(akOptions(*akAlg));
  if (!ak.ok()) return notUsable(readinessFor(ak.error()), ak.error().message, t0);
  onAkReady(*tpm_, *pcrs);

  json tpm = {{"present", true},
              {"readiness", "ready"},
              {"detail", info_.detail},
              {"manufacturer", info_.manufacturer},
              {"firmware", info_.firmware}};
  json reply = {{"type", "attest_keys"},
                {"tpm", tpm},
                {"ek_cert", ek->certificate ? json(toHex(ek->certificate->der)) : json(nullptr)},
                {"ek_pub", toHex(ek->publicArea)},
                {"ak_pub", toHex(ak->publicArea)},
                {"tpm_ms", ms(tpmTime() - t0)}};
  step_ = Step::KeysSent;
  return reply;
}

Result<json> AttestResponder::challenge(const json& frame) {
  // Fields first, order second: the checks are the same either way, and this keeps every field
  // parser reachable for the fuzzer without a TPM.
  auto blob = hexField(frame, "attest_challenge", "credential_blob", 2, kMaxTpm2bBytes);
  if (!blob.ok()) return blob.error();
  auto secret = hexField(frame, "attest_challenge", "encrypted_secret", 2, kMaxTpm2bBytes);
  if (!secret.ok()) return secret.error();
  if (step_ != Step::KeysSent || !tpm_) {
    return makeError(std::string(reason::kUnexpectedMessage),
                     "attest_challenge before attest_keys with a ready TPM");
  }
  const auto t0 = tpmTime();
  auto activated = tpm_->activateCredential(*blob, *secret);
  if (!activated.ok()) return tpmFailure(activated.error());
  // The recovered secret lives in a SecretBytes and its hex is moved (not copied) into the reply;
  // AgentSession cleanses the reply's strings once it is sent (wipeJsonStrings).
  const SecretBytes recovered(std::move(*activated));
  SecretBytes hex = toHexSecret(recovered);
  json reply = {{"type", "attest_activated"},
                {"secret", std::string(hex.text())},
                {"tpm_ms", ms(tpmTime() - t0)}};
  step_ = Step::Activated;
  return reply;
}

Result<json> AttestResponder::quote(const json& frame) {
  auto nonce = hexField(frame, "quote_request", "nonce", kDigestBytes, kDigestBytes);
  if (!nonce.ok()) return nonce.error();
  auto pcrs = pcrList(frame, "quote_request");
  if (!pcrs.ok()) return pcrs.error();
  auto challenge = hexField(frame, "quote_request", "sign_challenge", kDigestBytes, kDigestBytes);
  if (!challenge.ok()) return challenge.error();
  if (step_ != Step::Activated || !tpm_) {
    return makeError(std::string(reason::kUnexpectedMessage),
                     "quote_request before the credential was activated");
  }

  const bool sha1 = frame.value("pcr_bank", std::string{}) == "sha1";
  const auto t0 = tpmTime();
  auto q =
      sha1 ? tpm_->quote(*nonce, *pcrs, 4, {}, TpmBank::Sha1) : makeQuote(*tpm_, *nonce, *pcrs);
  if (!q.ok()) return tpmFailure(q.error());
  auto sig = tpm_->signChallenge(*challenge);
  if (!sig.ok()) return tpmFailure(sig.error());
  json values = json::object();
  for (const auto& [idx, v] : q->pcrValues) values[std::to_string(idx)] = toHex(v);
  json pcrValues = {{sha1 ? "sha1" : "sha256", values}};
  json reply = {{"type", "quote"},
                {"quoted", toHex(q->attest)},
                {"signature", toHex(q->signature)},
                {"challenge_signature", toHex(*sig)},
                {"pcr_values", pcrValues},
                {"event_log", readEventLog()},
                {"tpm_ms", ms(tpmTime() - t0)}};
  return reply;
}

std::string AttestResponder::readEventLog() const {
  // No log (no securityfs, firmware without TCG2 log) is sent as empty: the appliance then
  // fails the replay with its own code rather than the agent guessing.
  Result<std::string> log = readFileBounded(options_.eventLogPath, options_.maxEventLogBytes);
  if (!log.ok()) return "";
  return toHex(reinterpret_cast<const std::uint8_t*>(log->data()), log->size());
}

}  // namespace pb
