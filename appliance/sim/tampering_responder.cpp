// SPDX-License-Identifier: Apache-2.0
#include "sim/tampering_responder.hpp"

namespace pb {

namespace {
constexpr std::pair<std::string_view, bool AgentTamper::*> kSwitches[] = {
    {"replay_quote", &AgentTamper::replayQuote},
    {"wrong_nonce", &AgentTamper::wrongNonce},
    {"ak_unrestricted", &AgentTamper::akUnrestricted},
    {"narrow_pcr_selection", &AgentTamper::narrowPcrSelection}};
}  // namespace

Result<AgentTamper> parseAgentTamper(std::string_view list) {
  AgentTamper t;
  if (list.empty()) return t;
  for (;;) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    bool known = false;
    for (const auto& [name, field] : kSwitches) {
      if (item == name) {
        t.*field = true;
        known = true;
      }
    }
    if (!known) return makeError("usage", "unknown tamper switch \"" + std::string(item) + "\"");
    if (comma == std::string_view::npos) return t;
    list = list.substr(comma + 1);  // "a," leaves "" and fails as an unknown switch
  }
}

std::string formatAgentTamper(const AgentTamper& t) {
  std::string out;
  for (const auto& [name, field] : kSwitches) {
    if (t.*field) out += (out.empty() ? "" : ",") + std::string(name);
  }
  return out;
}

AkOptions TamperingResponder::akOptions(KeyAlgorithm requested) {
  return {requested, !tamper_.akUnrestricted};
}

void TamperingResponder::onAkReady(TpmDevice& tpm, const std::vector<unsigned>& pcrs) {
  // The "recorded" quote: genuine, signed by this AK, but for a nonce the appliance never sent.
  stale_.reset();
  if (!tamper_.replayQuote) return;
  auto q = tpm.quote(randomBytes(32), pcrs);
  if (q.ok()) stale_ = std::move(*q);
}

Result<TpmQuote> TamperingResponder::makeQuote(TpmDevice& tpm, const Bytes& nonce,
                                               const std::vector<unsigned>& pcrs) {
  if (tamper_.replayQuote && stale_) return *stale_;
  Bytes n = nonce;
  if (tamper_.wrongNonce && !n.empty()) n[0] ^= 0x01;
  std::vector<unsigned> p = pcrs;
  if (tamper_.narrowPcrSelection && p.size() > 1) p.pop_back();
  return tpm.quote(n, p);
}

}  // namespace pb
