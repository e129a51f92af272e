// SPDX-License-Identifier: Apache-2.0
#include "attest/offline.hpp"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "attest/event_log.hpp"
#include "attest/quote.hpp"
#include "attest/tool_formats.hpp"
#include "core/reasons.hpp"

namespace pb::attest {

using nlohmann::json;

namespace {

json fail(json report, std::string_view code, const std::string& check, const std::string& detail) {
  report["verdict"] = "fail";
  report["code"] = std::string(code);
  report["message"] = check + ": " + detail;
  report["checks"].push_back(json{{"name", check}, {"outcome", "fail"}, {"detail", detail}});
  return report;
}

}  // namespace

json quoteVerifyJson(const QuoteVerifyFiles& f, bool& allPassed) {
  allPassed = false;
  json report{{"verdict", "fail"}, {"checks", json::array()}};
  auto ak = parseAkFile(f.akPub);
  if (!ak) return fail(report, reason::kAkAttributes, "ak_public", ak.error().message);
  if (ak->fromPem) {
    report["checks"].push_back(
        json{{"name", "ak_attributes"},
             {"outcome", "skipped"},
             {"detail", "PEM key: no TPM public area, attributes not known"}});
  } else if (auto s = checkAk(ak->pub,
                              {"rsa2048", "rsa3072", "rsa4096", "ecc_nist_p256", "ecc_nist_p384"});
             !s) {
    return fail(report, s.error().code, "ak_attributes", s.error().message);
  } else {
    report["checks"].push_back(
        json{{"name", "ak_attributes"}, {"outcome", "pass"}, {"detail", ak->pub.algorithmName()}});
  }
  auto nonce = fromHex(f.nonceHex);
  if (!nonce || nonce->empty() || nonce->size() > 64) {
    return fail(report, reason::kQuoteNonce, "nonce", "--nonce must be 1..64 bytes of hex");
  }
  std::vector<PcrSelection> requested;
  PcrValues values;
  if (!f.pcrList.empty()) {
    auto sel = parsePcrListSpec(f.pcrList);
    if (!sel) return fail(report, reason::kQuotePcrSelection, "pcr_list", sel.error().message);
    requested = sel.value();
  }
  auto parsedValues = parsePcrValuesFile(f.pcrs, requested);
  if (!parsedValues)
    return fail(report, reason::kQuotePcrDigest, "pcr_file", parsedValues.error().message);
  values = parsedValues.value();
  if (requested.empty()) {
    for (const auto& [bank, pcrs] : values) {
      std::vector<std::uint32_t> idx;
      for (const auto& [i, v] : pcrs) idx.push_back(i);
      requested.push_back(makeSelection(bank, idx));
    }
  }
  QuoteInput in;
  in.ak = ak->fromPem ? nullptr : &ak->pub;
  in.akKey = ak->key.get();
  in.attest = f.msg;
  in.signature = f.sig;
  in.expectedNonce = nonce.value();
  in.requested = requested;
  in.pcrValues = values;
  // A PEM key has no pinned scheme: verify with the scheme the signature names.
  TpmPublic pemPub;
  if (ak->fromPem) {
    pemPub.scheme = alg::kNull;
    in.ak = &pemPub;
  }
  QuoteReport r = verifyQuote(in);
  for (const auto& c : r.checks) {
    report["checks"].push_back(
        json{{"name", c.name}, {"outcome", std::string(toString(c.state))}, {"detail", c.detail}});
  }
  report["verdict"] = r.ok() ? "pass" : "fail";
  if (!r.ok()) {
    report["code"] = r.code;
    report["message"] = r.message;
  }
  json pcrs = json::object();
  for (const auto& p : r.verified)
    pcrs[std::string(hashName(p.bank))][std::to_string(p.index)] = toHex(p.value);
  report["verified_pcrs"] = pcrs;
  report["clock"] = json{{"clock", r.attest.clockInfo.clock},
                         {"reset_count", r.attest.clockInfo.resetCount},
                         {"restart_count", r.attest.clockInfo.restartCount},
                         {"safe", r.attest.clockInfo.safe},
                         {"firmware_version", r.attest.firmwareVersion}};
  allPassed = r.ok();
  return report;
}

json eventLogJson(const Bytes& bytes, bool& ok) {
  ok = false;
  auto log = parseEventLog(bytes);
  if (!log)
    return json{{"ok", false}, {"code", log.error().code}, {"message", log.error().message}};
  // Data is checked against the strongest bank the log has (a SHA-1 layout log has only SHA-1).
  const std::uint16_t bank = preferredBank(log.value());
  json events = json::array();
  for (const auto& e : log->events) {
    json digests = json::object();
    for (const auto& [alg, d] : e.digests) {
      std::string name(hashName(alg));
      digests[name.empty() ? "alg_" + std::to_string(alg) : name] = toHex(d);
    }
    events.push_back(json{{"pcr", e.pcr},
                          {"type", eventTypeName(e.type)},
                          {"digests", digests},
                          {"data_size", e.data.size()},
                          {"data_matches_digest", [&] {
                             const Bytes* d = e.digest(bank);
                             return d != nullptr && hashBytes(bank, e.data) == *d;
                           }()}});
  }
  json replay = json::object();
  for (const auto& [alg, size] : log->algorithms) {
    if (hashName(alg).empty()) continue;
    json pcrs = json::object();
    for (const auto& [pcr, v] : replayLog(log.value(), alg)) pcrs[std::to_string(pcr)] = toHex(v);
    replay[std::string(hashName(alg))] = pcrs;
  }
  json report{{"ok", true},
              {"format", std::string(toString(log->format))},
              {"sha1_only", sha1Only(log.value())},
              {"events", events},
              {"event_count", log->events.size()},
              {"startup_locality", log->startupLocality},
              {"replayed_pcrs", replay}};
  // Secure Boot as the log claims it, assuming its own replay: unverified without a quote.
  auto replayed = replayLog(log.value(), bank);
  std::vector<std::uint32_t> claimed;
  for (const auto& [pcr, v] : replayed) claimed.push_back(pcr);
  auto sb = extractSecureBoot(log.value(), bank, claimed);
  report["secure_boot_unverified"] =
      sb ? json{{"enabled", sb->enabled},
                {"variable_empty", sb->variableEmpty},
                {"db_entries", sb->dbEntries},
                {"dbx_entries", sb->dbxEntries},
                {"authority_events", sb->authorityEvents},
                {"shim_quirk_authority_events", sb->shimQuirkAuthorityEvents}}
         : json{{"code", sb.error().code}, {"error", sb.error().message}};
  ok = true;
  return report;
}

std::string eventLogText(const json& report) {
  if (!report.value("ok", false))
    return "event log: " + report.value("message", std::string("invalid")) + "\n";
  std::string out;
  const bool sha1 = report.value("sha1_only", false);
  out += "Format: " + report.value("format", std::string("crypto_agile")) +
         (sha1 ? " (SHA-1 digests only)" : "") + "\n\n";
  const std::string shown = sha1 ? "sha1" : "sha256";
  std::size_t i = 0;
  for (const auto& e : report["events"]) {
    out += std::to_string(i++) + "  PCR " + std::to_string(e["pcr"].get<std::uint32_t>()) + "  " +
           e["type"].get<std::string>() + "  " + std::to_string(e["data_size"].get<std::size_t>()) +
           " bytes";
    if (e["digests"].contains(shown))
      out += "  " + shown + ":" + e["digests"][shown].get<std::string>();
    out += "\n";
  }
  out += "\nReplayed PCRs:\n";
  for (const auto& [bank, pcrs] : report["replayed_pcrs"].items()) {
    // JSON object keys are text ("0", "1", "14", "2"): list the PCRs in numeric order.
    std::vector<std::pair<unsigned long, std::string>> sorted;
    for (const auto& [pcr, v] : pcrs.items()) sorted.emplace_back(std::stoul(pcr), pcr);
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [n, pcr] : sorted)
      out += "  " + bank + ":" + pcr + "  " + pcrs[pcr].get<std::string>() + "\n";
  }
  const auto& sb = report["secure_boot_unverified"];
  out += "\nSecure Boot (claimed by the log, not verified by a quote): ";
  out += sb.contains("enabled") ? (sb["enabled"].get<bool>() ? "on" : "off")
                                : sb["error"].get<std::string>();
  out += "\n";
  return out;
}

}  // namespace pb::attest
