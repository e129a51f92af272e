// SPDX-License-Identifier: Apache-2.0
#include "attest/attest_messages.hpp"

#include "core/reasons.hpp"

namespace pb::attest {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxHexChars = 2 * 1024 * 1024;  // the frame bound (1 MiB) in hex
constexpr std::size_t kMaxText = 256;

Error bad(const std::string& what) {
  return makeError(std::string(reason::kMalformedFrame), what);
}

Status checkType(const json& j, std::string_view type) {
  if (!j.is_object()) return bad("frame is not an object");
  auto it = j.find("type");
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>() != type) {
    return bad("expected a " + std::string(type) + " frame");
  }
  return {};
}

Result<Bytes> hexField(const json& j, const char* key, std::size_t maxBytes) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return bad(std::string(key) + ": missing or not a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxHexChars || s.size() > maxBytes * 2)
    return bad(std::string(key) + ": too long");
  auto b = fromHex(s);
  if (!b) return bad(std::string(key) + ": not hex");
  return std::move(*b);
}

Result<std::string> textField(const json& j, const char* key, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return bad(std::string(key) + ": missing");
    return std::string{};
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxText) {
    return bad(std::string(key) + ": not a short string");
  }
  return it->get<std::string>();
}

// Milliseconds, fractional (a swtpm step often takes less than one). A report for the figures, not
// a control value: anything negative, non-numeric or non-finite counts as 0, and it is clamped.
double msField(const json& j) {
  auto it = j.find("tpm_ms");
  if (it == j.end() || !it->is_number()) return 0;
  const double v = it->get<double>();
  if (!(v >= 0)) return 0;  // also NaN
  return v > 3'600'000.0 ? 3'600'000.0 : v;
}

}  // namespace

Result<AttestKeys> parseAttestKeys(const json& j) {
  if (auto s = checkType(j, msg::kAttestKeys); !s) return s.error();
  AttestKeys k;
  auto tpm = j.find("tpm");
  if (tpm == j.end() || !tpm->is_object()) return bad("tpm: missing");
  auto present = tpm->find("present");
  if (present == tpm->end() || !present->is_boolean()) return bad("tpm.present: missing");
  k.tpm.present = present->get<bool>();
  for (auto [field, key, required] :
       {std::tuple{&k.tpm.readiness, "readiness", true}, std::tuple{&k.tpm.detail, "detail", false},
        std::tuple{&k.tpm.manufacturer, "manufacturer", false},
        std::tuple{&k.tpm.firmware, "firmware", false}}) {
    auto v = textField(*tpm, key, required);
    if (!v) return v.error().withContext("tpm");
    *field = std::move(v.value());
  }
  k.tpmMs = msField(j);
  if (!k.tpm.present || k.tpm.readiness != "ready") return k;  // keys absent by contract
  auto cert = j.find("ek_cert");
  if (cert == j.end()) return bad("ek_cert: missing (null when there is none)");
  if (!cert->is_null()) {
    auto c = hexField(j, "ek_cert", 16 * 1024);
    if (!c) return c.error();
    k.ekCert = std::move(c.value());
  }
  auto ek = hexField(j, "ek_pub", 1024);
  if (!ek) return ek.error();
  auto ak = hexField(j, "ak_pub", 1024);
  if (!ak) return ak.error();
  k.ekPub = std::move(ek.value());
  k.akPub = std::move(ak.value());
  return k;
}

Result<AttestActivated> parseAttestActivated(const json& j) {
  if (auto s = checkType(j, msg::kAttestActivated); !s) return s.error();
  auto secret = hexField(j, "secret", 64);
  if (!secret) return secret.error();
  return AttestActivated{std::move(secret.value()), msField(j)};
}

Result<QuoteMessage> parseQuote(const json& j) {
  if (auto s = checkType(j, msg::kQuote); !s) return s.error();
  QuoteMessage q;
  auto quoted = hexField(j, "quoted", 2048);
  auto sig = hexField(j, "signature", 1024);
  auto csig = hexField(j, "challenge_signature", 1024);
  auto log = hexField(j, "event_log", 1024 * 1024);
  for (const auto* r : {&quoted, &sig, &csig, &log}) {
    if (!*r) return r->error();
  }
  q.quoted = std::move(quoted.value());
  q.signature = std::move(sig.value());
  q.challengeSignature = std::move(csig.value());
  q.eventLog = std::move(log.value());
  auto values = j.find("pcr_values");
  if (values == j.end() || !values->is_object() || values->size() > 4)
    return bad("pcr_values: missing");
  for (const auto& [bankName, pcrs] : values->items()) {
    std::uint16_t bank = hashFromName(bankName);
    if (bank == 0 || !pcrs.is_object() || pcrs.size() > 24) return bad("pcr_values: bad bank");
    for (const auto& [index, value] : pcrs.items()) {
      if (index.empty() || index.size() > 2 ||
          index.find_first_not_of("0123456789") != std::string::npos || std::stoul(index) > 23 ||
          !value.is_string()) {
        return bad("pcr_values: bad PCR index");
      }
      auto v = fromHex(value.get<std::string>());
      if (!v || v->size() != digestSize(bank)) return bad("pcr_values: bad value");
      q.pcrValues[bank][static_cast<std::uint32_t>(std::stoul(index))] = std::move(*v);
    }
  }
  q.tpmMs = msField(j);
  return q;
}

json attestStartJson(const std::string& akAlgorithm, std::uint16_t bank,
                     const std::vector<std::uint32_t>& pcrs) {
  return json{{"type", msg::kAttestStart},
              {"ak_algorithm", akAlgorithm},
              {"pcr_bank", std::string(hashName(bank))},
              {"pcrs", pcrs}};
}

json attestChallengeJson(const Credential& c) {
  return json{{"type", msg::kAttestChallenge},
              {"credential_blob", toHex(c.idObject)},
              {"encrypted_secret", toHex(c.encryptedSecret)}};
}

json quoteRequestJson(const QuoteRequest& r) {
  return json{{"type", msg::kQuoteRequest},
              {"nonce", toHex(r.nonce)},
              {"pcr_bank", std::string(hashName(r.bank))},
              {"pcrs", r.pcrs},
              {"sign_challenge", toHex(r.signChallenge)}};
}

}  // namespace pb::attest
