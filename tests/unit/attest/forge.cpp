// SPDX-License-Identifier: Apache-2.0
#include "forge.hpp"

#include <cstring>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

namespace pb::attest::testing {

namespace {

Bytes bnParam(EVP_PKEY* key, const char* name, int len) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("bn param");
  Bytes out(static_cast<std::size_t>(len > 0 ? len : BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

}  // namespace

SoftKey makeSoftKey(std::uint32_t attributes, bool rsa, bool pss) {
  SoftKey k;
  TPMT_PUBLIC pub{};
  pub.nameAlg = alg::kSha256;
  pub.objectAttributes = attributes;
  if (rsa) {
    k.priv.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
    pub.type = alg::kRsa;
    pub.parameters.rsaDetail.symmetric.algorithm = alg::kNull;
    pub.parameters.rsaDetail.scheme.scheme = pss ? alg::kRsapss : alg::kRsassa;
    pub.parameters.rsaDetail.scheme.details.rsassa.hashAlg = alg::kSha256;
    pub.parameters.rsaDetail.keyBits = 2048;
    Bytes n = bnParam(k.priv.get(), OSSL_PKEY_PARAM_RSA_N, 256);
    pub.unique.rsa.size = static_cast<UINT16>(n.size());
    std::memcpy(pub.unique.rsa.buffer, n.data(), n.size());
  } else {
    k.priv.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"));
    pub.type = alg::kEcc;
    pub.parameters.eccDetail.symmetric.algorithm = alg::kNull;
    pub.parameters.eccDetail.scheme.scheme = alg::kEcdsa;
    pub.parameters.eccDetail.scheme.details.ecdsa.hashAlg = alg::kSha256;
    pub.parameters.eccDetail.curveID = ecc::kNistP256;
    pub.parameters.eccDetail.kdf.scheme = alg::kNull;
    Bytes x = bnParam(k.priv.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
    Bytes y = bnParam(k.priv.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    pub.unique.ecc.x.size = 32;
    std::memcpy(pub.unique.ecc.x.buffer, x.data(), 32);
    pub.unique.ecc.y.size = 32;
    std::memcpy(pub.unique.ecc.y.buffer, y.data(), 32);
  }
  Bytes buf(1024);
  size_t off = 0;
  if (Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("marshal public");
  }
  buf.resize(off);
  auto parsed = parseTpmtPublic(buf);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  k.pub = parsed.value();
  return k;
}

Bytes marshalAttest(const AttestFields& f) {
  TPMS_ATTEST a{};
  a.magic = f.magic;
  a.type = f.type;
  a.qualifiedSigner.size = static_cast<UINT16>(f.qualifiedSigner.size());
  std::memcpy(a.qualifiedSigner.name, f.qualifiedSigner.data(), f.qualifiedSigner.size());
  a.extraData.size = static_cast<UINT16>(f.extraData.size());
  std::memcpy(a.extraData.buffer, f.extraData.data(), f.extraData.size());
  a.clockInfo.clock = f.clock;
  a.clockInfo.resetCount = f.resetCount;
  a.clockInfo.restartCount = f.restartCount;
  a.clockInfo.safe = f.safe ? 1 : 0;
  a.firmwareVersion = f.firmwareVersion;
  if (f.type == kStAttestQuote) {
    a.attested.quote.pcrSelect.count = static_cast<UINT32>(f.selection.size());
    for (std::size_t i = 0; i < f.selection.size(); ++i) {
      auto& s = a.attested.quote.pcrSelect.pcrSelections[i];
      s.hash = f.selection[i].hashAlg;
      s.sizeofSelect = 3;
      for (std::uint32_t p : f.selection[i].pcrs)
        s.pcrSelect[p / 8] |= static_cast<BYTE>(1U << (p % 8));
    }
    a.attested.quote.pcrDigest.size = static_cast<UINT16>(f.pcrDigest.size());
    std::memcpy(a.attested.quote.pcrDigest.buffer, f.pcrDigest.data(), f.pcrDigest.size());
  } else if (f.type == kStAttestNv) {
    a.attested.nv.indexName.size = 2;
    a.attested.nv.offset = 0;
    a.attested.nv.nvContents.size = static_cast<UINT16>(f.pcrDigest.size());
    std::memcpy(a.attested.nv.nvContents.buffer, f.pcrDigest.data(), f.pcrDigest.size());
  }
  Bytes buf(4096);
  size_t off = 0;
  if (Tss2_MU_TPMS_ATTEST_Marshal(&a, buf.data(), buf.size(), &off) != TSS2_RC_SUCCESS) {
    throw std::runtime_error("marshal attest");
  }
  buf.resize(off);
  return buf;
}

Bytes signTpm(const SoftKey& key, const Bytes& message, std::uint16_t hashAlg, bool pss) {
  Bytes digest = hashBytes(hashAlg, message);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key.priv.get(), nullptr);
  EVP_PKEY_sign_init(ctx);
  EVP_PKEY_CTX_set_signature_md(ctx, evpHash(hashAlg));
  bool rsa = EVP_PKEY_get_base_id(key.priv.get()) == EVP_PKEY_RSA;
  if (rsa) {
    EVP_PKEY_CTX_set_rsa_padding(ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
    if (pss) EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_MAX);
  }
  size_t len = 0;
  EVP_PKEY_sign(ctx, nullptr, &len, digest.data(), digest.size());
  Bytes sig(len);
  EVP_PKEY_sign(ctx, sig.data(), &len, digest.data(), digest.size());
  sig.resize(len);
  EVP_PKEY_CTX_free(ctx);
  TPMT_SIGNATURE t{};
  if (rsa) {
    t.sigAlg = pss ? alg::kRsapss : alg::kRsassa;
    t.signature.rsassa.hash = hashAlg;
    t.signature.rsassa.sig.size = static_cast<UINT16>(sig.size());
    std::memcpy(t.signature.rsassa.sig.buffer, sig.data(), sig.size());
  } else {
    const unsigned char* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    t.sigAlg = alg::kEcdsa;
    t.signature.ecdsa.hash = hashAlg;
    t.signature.ecdsa.signatureR.size =
        static_cast<UINT16>(BN_bn2bin(ECDSA_SIG_get0_r(es), t.signature.ecdsa.signatureR.buffer));
    t.signature.ecdsa.signatureS.size =
        static_cast<UINT16>(BN_bn2bin(ECDSA_SIG_get0_s(es), t.signature.ecdsa.signatureS.buffer));
    ECDSA_SIG_free(es);
  }
  Bytes buf(1024);
  size_t off = 0;
  Tss2_MU_TPMT_SIGNATURE_Marshal(&t, buf.data(), buf.size(), &off);
  buf.resize(off);
  return buf;
}

Bytes pcrDigestOf(const std::vector<Bytes>& values, std::uint16_t hashAlg) {
  Bytes concat;
  for (const auto& v : values) concat.insert(concat.end(), v.begin(), v.end());
  return hashBytes(hashAlg, concat);
}

}  // namespace pb::attest::testing
