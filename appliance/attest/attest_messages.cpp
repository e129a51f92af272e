// SPDX-License-Identifier: Apache-2.0
#include "attest/attest_messages.hpp"

#include <algorithm>

#include "core/json_reader.hpp"
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

// The agent's attestation frames through the one untrusted-JSON reader: errors name the path
// ("$.ek_pub: not hex"), strings are short, unknown fields are ignored (a newer agent may add
// some).
JsonObjectReader frameReader(const json& j) {
  return JsonObjectReader(j, "$",
                          JsonReadRules{.errorCode = std::string(reason::kMalformedFrame),
                                        .maxString = kMaxText,
                                        .absentIsError = true,
                                        .allowUnknownKeys = true});
}

// The frame bound (1 MiB) in hex caps every field whatever its own limit.
std::size_t hexCap(std::size_t maxBytes) {
  return std::min(maxBytes, kMaxHexChars / 2);
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
  JsonObjectReader r = frameReader(j);
  const json* tpm = r.objectValue("tpm");
  if (tpm == nullptr) return *r.error();
  JsonObjectReader t = r.child(*tpm, r.path("tpm"));
  k.tpm.present = t.boolean("present");
  k.tpm.readiness = t.string("readiness");
  // Optional texts: absent reads as "", but a present value must be a short string.
  for (auto [field, key] :
       {std::pair{&k.tpm.detail, "detail"}, std::pair{&k.tpm.manufacturer, "manufacturer"},
        std::pair{&k.tpm.firmware, "firmware"}}) {
    if (tpm->contains(key)) *field = t.string(key);
  }
  if (r.failed()) return *r.error();
  k.tpmMs = msField(j);
  if (!k.tpm.present || k.tpm.readiness != "ready") return k;  // keys absent by contract
  if (!j.contains("ek_cert")) r.fail(r.path("ek_cert"), "missing (null when there is none)");
  if (const json* cert = r.find("ek_cert", false); cert != nullptr) {
    k.ekCert = r.hex("ek_cert", hexCap(16 * 1024));
  }
  k.ekPub = r.hex("ek_pub", hexCap(1024));
  k.akPub = r.hex("ak_pub", hexCap(1024));
  if (r.failed()) return *r.error();
  return k;
}

Result<AttestActivated> parseAttestActivated(const json& j) {
  if (auto s = checkType(j, msg::kAttestActivated); !s) return s.error();
  JsonObjectReader r = frameReader(j);
  Bytes secret = r.hex("secret", 64);
  if (r.failed()) return *r.error();
  return AttestActivated{std::move(secret), msField(j)};
}

Result<QuoteMessage> parseQuote(const json& j) {
  if (auto s = checkType(j, msg::kQuote); !s) return s.error();
  QuoteMessage q;
  JsonObjectReader r = frameReader(j);
  q.quoted = r.hex("quoted", hexCap(2048));
  q.signature = r.hex("signature", hexCap(1024));
  q.challengeSignature = r.hex("challenge_signature", hexCap(1024));
  q.eventLog = r.hex("event_log", hexCap(1024 * 1024));
  const json* values = r.objectValue("pcr_values");
  if (values != nullptr && values->size() > 4) r.fail(r.path("pcr_values"), "more than 4 banks");
  if (r.failed()) return *r.error();
  for (const auto& [bankName, pcrs] : values->items()) {
    const std::string bankPath = r.path("pcr_values") + "." + shownJsonText(bankName, 16);
    std::uint16_t bank = hashFromName(bankName);
    if (bank == 0) return bad(bankPath + ": unknown bank");
    if (!pcrs.is_object() || pcrs.size() > 24) return bad(bankPath + ": not 1 to 24 PCRs");
    for (const auto& [index, value] : pcrs.items()) {
      const std::string where = bankPath + "." + shownJsonText(index, 4);
      if (index.empty() || index.size() > 2 ||
          index.find_first_not_of("0123456789") != std::string::npos || std::stoul(index) > 23) {
        return bad(where + ": bad PCR index");
      }
      std::optional<Bytes> v =
          value.is_string() ? fromHex(value.get_ref<const std::string&>()) : std::nullopt;
      if (!v || v->size() != digestSize(bank)) {
        return bad(where + ": not a " + std::string(hashName(bank)) + " digest in hex");
      }
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
