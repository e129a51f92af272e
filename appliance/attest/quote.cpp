// SPDX-License-Identifier: Apache-2.0
#include "attest/quote.hpp"

#include <algorithm>
#include <set>

#include "core/reasons.hpp"

namespace pb::attest {

Bytes NonceStore::issue() {
  std::int64_t now = clock_.nowUnix();
  // Drop expired entries so the store stays small; then bound it.
  std::erase_if(issued_, [now](const Entry& e) { return e.expires <= now; });
  if (issued_.size() >= kMaxOutstanding) issued_.erase(issued_.begin());
  Bytes nonce = randomBytes(kNonceBytes);
  issued_.push_back(Entry{nonce, now + lifetime_});
  return nonce;
}

Status NonceStore::consume(const Bytes& issued, const Bytes& presented) {
  std::int64_t now = clock_.nowUnix();
  auto it = std::find_if(issued_.begin(), issued_.end(),
                         [&](const Entry& e) { return constantTimeEqual(e.nonce, issued); });
  if (it == issued_.end()) {
    return makeError(std::string(reason::kQuoteNonce),
                     "the challenge was already used or never issued");
  }
  bool expired = it->expires <= now;
  issued_.erase(it);
  if (expired) return makeError(std::string(reason::kQuoteNonce), "the challenge expired");
  if (presented.size() != issued.size() || !constantTimeEqual(presented, issued)) {
    return makeError(std::string(reason::kQuoteNonce),
                     "the quote does not carry the issued challenge");
  }
  return {};
}

Status checkAk(const TpmPublic& ak, const std::vector<std::string>& allowedAlgorithms) {
  struct Need {
    std::uint32_t bit;
    bool set;
    const char* what;
  };
  const Need needs[] = {
      {attr::kRestricted, true, "restricted"},
      {attr::kSign, true, "sign"},
      {attr::kDecrypt, false, "not decrypt"},
      {attr::kFixedTpm, true, "fixedTPM"},
      {attr::kFixedParent, true, "fixedParent"},
      {attr::kSensitiveDataOrigin, true, "sensitiveDataOrigin"},
  };
  for (const auto& n : needs) {
    if (((ak.attributes & n.bit) != 0) != n.set) {
      return makeError(std::string(reason::kAkAttributes),
                       std::string("AK attribute required: ") + n.what);
    }
  }
  std::string name = ak.algorithmName();
  bool strong =
      (ak.type == alg::kRsa && ak.rsaBits >= 2048) ||
      (ak.type == alg::kEcc && (ak.curve == ecc::kNistP256 || ak.curve == ecc::kNistP384));
  if (!strong || std::find(allowedAlgorithms.begin(), allowedAlgorithms.end(), name) ==
                     allowedAlgorithms.end()) {
    return makeError(std::string(reason::kAkNotAllowed),
                     "AK algorithm " + (name.empty() ? "unknown" : name) + " is not allowed");
  }
  if (ak.scheme != alg::kNull) {
    bool schemeOk = ak.type == alg::kRsa ? (ak.scheme == alg::kRsassa || ak.scheme == alg::kRsapss)
                                         : ak.scheme == alg::kEcdsa;
    if (!schemeOk || (ak.schemeHash != alg::kSha256 && ak.schemeHash != alg::kSha384 &&
                      ak.schemeHash != alg::kSha512)) {
      return makeError(std::string(reason::kAkNotAllowed), "AK signing scheme is not allowed");
    }
  }
  if (ak.nameAlg != alg::kSha256 && ak.nameAlg != alg::kSha384 && ak.nameAlg != alg::kSha512) {
    return makeError(std::string(reason::kAkNotAllowed), "AK nameAlg is not allowed");
  }
  return {};
}

PcrSelection makeSelection(std::uint16_t bank, std::vector<std::uint32_t> pcrs) {
  std::sort(pcrs.begin(), pcrs.end());
  pcrs.erase(std::unique(pcrs.begin(), pcrs.end()), pcrs.end());
  return PcrSelection{bank, std::move(pcrs)};
}

std::string_view toString(CheckState s) {
  switch (s) {
    case CheckState::Pass:
      return "pass";
    case CheckState::Fail:
      return "fail";
    case CheckState::Skipped:
      return "skipped";
  }
  return "fail";
}

namespace {

class Recorder {
 public:
  explicit Recorder(QuoteReport& r) : r_(r) {}
  void pass(std::string name, std::string detail = {}) {
    r_.checks.push_back(NamedCheck{std::move(name), CheckState::Pass, std::move(detail)});
  }
  void fail(std::string name, std::string_view code, std::string detail) {
    if (r_.code.empty()) {
      r_.code = std::string(code);
      r_.message = name + ": " + detail;
    }
    r_.checks.push_back(NamedCheck{std::move(name), CheckState::Fail, std::move(detail)});
  }
  void skip(std::string name, std::string detail) {
    r_.checks.push_back(NamedCheck{std::move(name), CheckState::Skipped, std::move(detail)});
  }

 private:
  QuoteReport& r_;
};

std::string describe(const std::vector<PcrSelection>& sel) {
  std::string out;
  for (const auto& s : sel) {
    if (!out.empty()) out += " ";
    out += std::string(hashName(s.hashAlg).empty() ? "alg" + std::to_string(s.hashAlg)
                                                   : hashName(s.hashAlg)) +
           ":";
    for (std::size_t i = 0; i < s.pcrs.size(); ++i)
      out += (i ? "," : "") + std::to_string(s.pcrs[i]);
  }
  return out.empty() ? "(empty)" : out;
}

}  // namespace

QuoteReport verifyQuote(const QuoteInput& in) {
  QuoteReport report;
  Recorder rec(report);
  std::string_view kStructure = reason::kQuoteStructure;

  auto attest = parseAttest(in.attest);
  if (!attest) {
    rec.fail("structure", kStructure, attest.error().message);
    return report;
  }
  report.attest = attest.value();
  const TpmsAttest& a = report.attest;
  rec.pass("structure", "TPMS_ATTEST parsed, no trailing bytes");

  // 1-2: signature by the accepted AK with its own scheme.
  auto sig = parseSignature(in.signature);
  if (in.ak == nullptr || in.akKey == nullptr) {
    rec.fail("signature", reason::kQuoteSignature, "no accepted attestation key");
  } else if (!sig) {
    rec.fail("signature", reason::kQuoteSignature, sig.error().message);
  } else if (in.ak->scheme != alg::kNull &&
             (sig->sigAlg != in.ak->scheme || sig->hashAlg != in.ak->schemeHash)) {
    rec.fail("signature", reason::kQuoteSignature,
             "signature scheme differs from the AK's pinned scheme");
  } else if (auto v = verifySignature(in.akKey, sig.value(), a.bytes); !v) {
    rec.fail("signature", reason::kQuoteSignature, v.error().message);
  } else {
    rec.pass("signature", std::string(hashName(sig->hashAlg)));
  }

  // 3-4: a TPM-generated quote, not another attestation type.
  if (a.magic != kTpmGeneratedValue) {
    rec.fail("magic", kStructure, "magic is not TPM_GENERATED_VALUE");
  } else {
    rec.pass("magic");
  }
  if (a.type != kStAttestQuote) {
    rec.fail("type", kStructure, "attestation type " + std::to_string(a.type) + " is not a quote");
  } else {
    rec.pass("type");
  }

  // 5: freshness.
  if (in.expectedNonce.empty() || a.extraData.size() != in.expectedNonce.size() ||
      !constantTimeEqual(a.extraData, in.expectedNonce)) {
    rec.fail("nonce", reason::kQuoteNonce, "extraData does not equal the issued challenge");
  } else {
    rec.pass("nonce");
  }

  if (a.type != kStAttestQuote) {
    rec.fail("pcr_selection", reason::kQuotePcrSelection, "not a quote");
    rec.fail("pcr_digest", reason::kQuotePcrDigest, "not a quote");
    return report;
  }

  // 6: signed selection == requested; no duplicate banks; indices from the signed selection.
  std::set<std::uint16_t> banks;
  bool dup = false;
  bool emptySel = a.pcrSelect.empty();
  for (const auto& s : a.pcrSelect) {
    dup = dup || !banks.insert(s.hashAlg).second;
    emptySel = emptySel || s.pcrs.empty();
  }
  auto normalise = [](std::vector<PcrSelection> v) {
    for (auto& s : v) s = makeSelection(s.hashAlg, s.pcrs);
    std::sort(v.begin(), v.end(),
              [](const PcrSelection& x, const PcrSelection& y) { return x.hashAlg < y.hashAlg; });
    return v;
  };
  bool selectionOk = false;
  if (dup) {
    rec.fail("pcr_selection", reason::kQuotePcrSelection,
             "duplicate PCR bank in the signed selection");
  } else if (emptySel) {
    rec.fail("pcr_selection", reason::kQuotePcrSelection, "the signed selection is empty");
  } else if (normalise(a.pcrSelect) != normalise(in.requested)) {
    rec.fail(
        "pcr_selection", reason::kQuotePcrSelection,
        "signed " + describe(a.pcrSelect) + " differs from requested " + describe(in.requested));
  } else {
    selectionOk = true;
    rec.pass("pcr_selection", describe(a.pcrSelect));
  }

  // 7: pcrDigest = H_sigHash(values in signed order); every claimed value must be signed.
  if (!sig || !selectionOk) {
    rec.fail("pcr_digest", reason::kQuotePcrDigest,
             "cannot be checked without a valid signature and selection");
    return report;
  }
  std::size_t claimed = 0;
  for (const auto& [bank, values] : in.pcrValues) claimed += values.size();
  std::size_t signedCount = 0;
  Bytes concat;
  std::vector<QuoteReport::Pcr> values;
  std::string missing;
  for (const auto& s : a.pcrSelect) {
    auto bank = in.pcrValues.find(s.hashAlg);
    for (std::uint32_t idx : s.pcrs) {
      ++signedCount;
      const Bytes* v = nullptr;
      if (bank != in.pcrValues.end()) {
        auto it = bank->second.find(idx);
        if (it != bank->second.end()) v = &it->second;
      }
      if (v == nullptr || v->size() != digestSize(s.hashAlg)) {
        missing = std::string(hashName(s.hashAlg)) + ":" + std::to_string(idx);
        break;
      }
      concat.insert(concat.end(), v->begin(), v->end());
      values.push_back(QuoteReport::Pcr{s.hashAlg, idx, *v});
    }
    if (!missing.empty()) break;
  }
  if (!missing.empty()) {
    rec.fail("pcr_digest", reason::kQuotePcrDigest, "no valid value reported for " + missing);
  } else if (claimed != signedCount) {
    rec.fail("pcr_digest", reason::kQuotePcrDigest,
             "reported PCR values that the quote does not cover");
  } else if (Bytes digest = hashBytes(sig->hashAlg, concat);
             digest.size() != a.pcrDigest.size() || !constantTimeEqual(digest, a.pcrDigest)) {
    rec.fail("pcr_digest", reason::kQuotePcrDigest,
             "reported PCR values do not hash to the signed pcrDigest");
  } else {
    rec.pass("pcr_digest");
    if (report.code.empty()) report.verified = std::move(values);
  }

  // 9: clock info recorded; safe = 0 is noted, not fatal (devices are power-cycled on a bench).
  rec.pass("clock", "clock=" + std::to_string(a.clockInfo.clock) +
                        " resetCount=" + std::to_string(a.clockInfo.resetCount) +
                        " restartCount=" + std::to_string(a.clockInfo.restartCount) +
                        " safe=" + (a.clockInfo.safe ? "1" : "0"));
  return report;
}

}  // namespace pb::attest
