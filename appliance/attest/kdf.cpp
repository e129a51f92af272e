// SPDX-License-Identifier: Apache-2.0
#include "attest/kdf.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "attest/tpm_types.hpp"

namespace pb::attest {

namespace {

void appendU32(Bytes& out, std::uint32_t v) {
  putU32(out, v);
}

void appendLabel(Bytes& out, std::string_view label) {
  out.insert(out.end(), label.begin(), label.end());
  out.push_back(0);  // label is a NUL-terminated string in both KDFs
}

void finish(Bytes& out, std::uint32_t bits) {
  out.resize((bits + 7) / 8);
  if (bits % 8 != 0 && !out.empty()) {
    out[0] &= static_cast<std::uint8_t>((1U << (bits % 8)) - 1U);
  }
}

}  // namespace

Bytes kdfa(std::uint16_t hashAlg, const Bytes& key, std::string_view label, const Bytes& contextU,
           const Bytes& contextV, std::uint32_t bits) {
  const EVP_MD* md = evpHash(hashAlg);
  if (md == nullptr || bits == 0) return {};
  Bytes out;
  Bytes tail;
  appendLabel(tail, label);
  tail.insert(tail.end(), contextU.begin(), contextU.end());
  tail.insert(tail.end(), contextV.begin(), contextV.end());
  appendU32(tail, bits);
  static const std::uint8_t kEmpty = 0;
  for (std::uint32_t counter = 1; out.size() * 8 < bits; ++counter) {
    Bytes msg;
    appendU32(msg, counter);
    msg.insert(msg.end(), tail.begin(), tail.end());
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLen = 0;
    if (HMAC(md, key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()), msg.data(),
             msg.size(), mac, &macLen) == nullptr) {
      return {};
    }
    out.insert(out.end(), mac, mac + macLen);
  }
  finish(out, bits);
  return out;
}

Bytes kdfe(std::uint16_t hashAlg, const Bytes& z, std::string_view label, const Bytes& partyUInfo,
           const Bytes& partyVInfo, std::uint32_t bits) {
  if (evpHash(hashAlg) == nullptr || bits == 0) return {};
  Bytes out;
  for (std::uint32_t counter = 1; out.size() * 8 < bits; ++counter) {
    Bytes msg;
    appendU32(msg, counter);
    msg.insert(msg.end(), z.begin(), z.end());
    appendLabel(msg, label);
    msg.insert(msg.end(), partyUInfo.begin(), partyUInfo.end());
    msg.insert(msg.end(), partyVInfo.begin(), partyVInfo.end());
    Bytes h = hashBytes(hashAlg, msg);
    out.insert(out.end(), h.begin(), h.end());
  }
  finish(out, bits);
  return out;
}

}  // namespace pb::attest
