// SPDX-License-Identifier: Apache-2.0
#include "attest/tpm_types.hpp"

#include <cstring>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

namespace pb::attest {

namespace {

Error parseError(std::string message) {
  return makeError("parse", std::move(message));
}

Bytes fromBuf(const std::uint8_t* data, std::size_t size) {
  return Bytes(data, data + size);
}

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

const char* curveGroupName(std::uint16_t curve) {
  switch (curve) {
    case ecc::kNistP256:
      return "prime256v1";
    case ecc::kNistP384:
      return "secp384r1";
    case ecc::kNistP521:
      return "secp521r1";
    default:
      return nullptr;
  }
}

std::size_t curveBytes(std::uint16_t curve) {
  switch (curve) {
    case ecc::kNistP256:
      return 32;
    case ecc::kNistP384:
      return 48;
    case ecc::kNistP521:
      return 66;
    default:
      return 0;
  }
}

}  // namespace

const EVP_MD* evpHash(std::uint16_t hashAlg) {
  switch (hashAlg) {
    case alg::kSha1:
      return EVP_sha1();
    case alg::kSha256:
      return EVP_sha256();
    case alg::kSha384:
      return EVP_sha384();
    case alg::kSha512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

std::size_t digestSize(std::uint16_t hashAlg) {
  const EVP_MD* md = evpHash(hashAlg);
  return md == nullptr ? 0 : static_cast<std::size_t>(EVP_MD_get_size(md));
}

std::string_view hashName(std::uint16_t hashAlg) {
  switch (hashAlg) {
    case alg::kSha1:
      return "sha1";
    case alg::kSha256:
      return "sha256";
    case alg::kSha384:
      return "sha384";
    case alg::kSha512:
      return "sha512";
    default:
      return "";
  }
}

std::uint16_t hashFromName(std::string_view name) {
  if (name == "sha1") return alg::kSha1;
  if (name == "sha256") return alg::kSha256;
  if (name == "sha384") return alg::kSha384;
  if (name == "sha512") return alg::kSha512;
  return 0;
}

Bytes hashBytes(std::uint16_t hashAlg, const std::uint8_t* data, std::size_t size) {
  const EVP_MD* md = evpHash(hashAlg);
  if (md == nullptr) return {};
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(data, size, out.data(), &len, md, nullptr) != 1) return {};
  out.resize(len);
  return out;
}

std::string TpmPublic::algorithmName() const {
  if (type == alg::kRsa) return "rsa" + std::to_string(rsaBits);
  if (type == alg::kEcc) {
    switch (curve) {
      case ecc::kNistP256:
        return "ecc_nist_p256";
      case ecc::kNistP384:
        return "ecc_nist_p384";
      case ecc::kNistP521:
        return "ecc_nist_p521";
      default:
        return "";
    }
  }
  return "";
}

Bytes TpmPublic::nameSha256() const {
  return sha256(bytes);
}

Result<TpmPublic> parseTpmtPublic(const Bytes& bytes) {
  if (bytes.empty() || bytes.size() > kMaxPublicBytes) {
    return parseError("TPMT_PUBLIC: size " + std::to_string(bytes.size()) + " out of bounds");
  }
  TPMT_PUBLIC pub{};
  size_t offset = 0;
  if (Tss2_MU_TPMT_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &offset, &pub) != TSS2_RC_SUCCESS) {
    return parseError("TPMT_PUBLIC: malformed");
  }
  if (offset != bytes.size()) return parseError("TPMT_PUBLIC: trailing bytes");
  TpmPublic out;
  out.bytes = bytes;
  out.type = pub.type;
  out.nameAlg = pub.nameAlg;
  out.attributes = pub.objectAttributes;
  out.authPolicy = fromBuf(pub.authPolicy.buffer, pub.authPolicy.size);
  if (evpHash(pub.nameAlg) == nullptr) return parseError("TPMT_PUBLIC: unsupported nameAlg");
  Bytes name;
  putU16(name, pub.nameAlg);
  Bytes h = hashBytes(pub.nameAlg, bytes);
  name.insert(name.end(), h.begin(), h.end());
  out.name = std::move(name);
  if (pub.type == alg::kRsa) {
    const TPMS_RSA_PARMS& p = pub.parameters.rsaDetail;
    out.symAlg = p.symmetric.algorithm;
    if (p.symmetric.algorithm == alg::kAes) {
      out.symKeyBits = p.symmetric.keyBits.aes;
      out.symMode = p.symmetric.mode.aes;
    }
    out.scheme = p.scheme.scheme;
    if (p.scheme.scheme != alg::kNull) out.schemeHash = p.scheme.details.anySig.hashAlg;
    out.rsaBits = p.keyBits;
    out.rsaExponent = p.exponent;
    out.rsaModulus = fromBuf(pub.unique.rsa.buffer, pub.unique.rsa.size);
    if (out.rsaModulus.size() * 8 != p.keyBits) {
      return parseError("TPMT_PUBLIC: RSA modulus size does not match keyBits");
    }
  } else if (pub.type == alg::kEcc) {
    const TPMS_ECC_PARMS& p = pub.parameters.eccDetail;
    out.symAlg = p.symmetric.algorithm;
    if (p.symmetric.algorithm == alg::kAes) {
      out.symKeyBits = p.symmetric.keyBits.aes;
      out.symMode = p.symmetric.mode.aes;
    }
    out.scheme = p.scheme.scheme;
    if (p.scheme.scheme != alg::kNull) out.schemeHash = p.scheme.details.anySig.hashAlg;
    out.curve = p.curveID;
    if (curveBytes(p.curveID) == 0) return parseError("TPMT_PUBLIC: unsupported curve");
    if (p.kdf.scheme != alg::kNull) return parseError("TPMT_PUBLIC: ECC kdf must be NULL");
    out.eccX = fromBuf(pub.unique.ecc.x.buffer, pub.unique.ecc.x.size);
    out.eccY = fromBuf(pub.unique.ecc.y.buffer, pub.unique.ecc.y.size);
    if (out.eccX.size() > curveBytes(p.curveID) || out.eccY.size() > curveBytes(p.curveID)) {
      return parseError("TPMT_PUBLIC: ECC point larger than the curve");
    }
  } else {
    return parseError("TPMT_PUBLIC: unsupported key type");
  }
  return out;
}

Result<TpmPublic> parseTpm2bPublic(const Bytes& bytes) {
  if (bytes.size() < 2) return parseError("TPM2B_PUBLIC: too short");
  std::size_t size = (std::size_t{bytes[0]} << 8) | bytes[1];
  if (size != bytes.size() - 2) return parseError("TPM2B_PUBLIC: size prefix does not match");
  return parseTpmtPublic(Bytes(bytes.begin() + 2, bytes.end()));
}

Result<TpmPublic> parsePublicAuto(const Bytes& bytes) {
  if (bytes.size() >= 2 && ((std::size_t{bytes[0]} << 8) | bytes[1]) == bytes.size() - 2) {
    return parseTpm2bPublic(bytes);
  }
  return parseTpmtPublic(bytes);
}

Result<EvpPkeyPtr> toEvpKey(const TpmPublic& pub) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld) return makeError("crypto", "out of memory");
  const char* keyType = nullptr;
  std::unique_ptr<BIGNUM, BnFree> n;
  std::unique_ptr<BIGNUM, BnFree> e;
  Bytes point;
  if (pub.type == alg::kRsa) {
    if (pub.rsaModulus.empty()) return makeError("key", "RSA public key has no modulus");
    keyType = "RSA";
    n.reset(BN_bin2bn(pub.rsaModulus.data(), static_cast<int>(pub.rsaModulus.size()), nullptr));
    e.reset(BN_new());
    if (!n || !e || BN_set_word(e.get(), pub.rsaExponent == 0 ? 65537 : pub.rsaExponent) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return makeError("crypto", "cannot build RSA key parameters");
    }
  } else if (pub.type == alg::kEcc) {
    const char* group = curveGroupName(pub.curve);
    std::size_t len = curveBytes(pub.curve);
    if (group == nullptr) return makeError("key", "unsupported curve");
    if (pub.eccX.empty() || pub.eccY.empty()) return makeError("key", "ECC point is empty");
    keyType = "EC";
    // Fixed-length coordinates: a TPM may send them with leading zeros stripped.
    point.push_back(0x04);
    point.insert(point.end(), len - pub.eccX.size(), 0);
    point.insert(point.end(), pub.eccX.begin(), pub.eccX.end());
    point.insert(point.end(), len - pub.eccY.size(), 0);
    point.insert(point.end(), pub.eccY.begin(), pub.eccY.end());
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return makeError("crypto", "cannot build EC key parameters");
    }
  } else {
    return makeError("key", "unsupported key type");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, keyType, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return makeError("key", "public key rejected by OpenSSL (point not on curve or bad modulus)");
  }
  EvpPkeyPtr owned(key);
  if (pub.type == alg::kEcc) {
    // EVP_PKEY_fromdata does not always validate the point; do it explicitly.
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
      return makeError("key", "ECC public point is not on the curve");
    }
  }
  return owned;
}

bool sameKey(EVP_PKEY* a, EVP_PKEY* b) {
  return a != nullptr && b != nullptr && EVP_PKEY_eq(a, b) == 1;
}

Result<TpmsAttest> parseAttest(const Bytes& input) {
  Bytes bytes = input;
  if (bytes.size() >= 2 && ((std::size_t{bytes[0]} << 8) | bytes[1]) == bytes.size() - 2) {
    bytes.erase(bytes.begin(), bytes.begin() + 2);  // TPM2B_ATTEST
  }
  if (bytes.empty() || bytes.size() > kMaxAttestBytes) {
    return parseError("TPMS_ATTEST: size " + std::to_string(bytes.size()) + " out of bounds");
  }
  TPMS_ATTEST a{};
  size_t offset = 0;
  if (Tss2_MU_TPMS_ATTEST_Unmarshal(bytes.data(), bytes.size(), &offset, &a) != TSS2_RC_SUCCESS) {
    return parseError("TPMS_ATTEST: malformed");
  }
  if (offset != bytes.size()) return parseError("TPMS_ATTEST: trailing bytes");
  TpmsAttest out;
  out.bytes = bytes;
  out.magic = a.magic;
  out.type = a.type;
  out.qualifiedSigner = fromBuf(a.qualifiedSigner.name, a.qualifiedSigner.size);
  out.extraData = fromBuf(a.extraData.buffer, a.extraData.size);
  out.clockInfo = ClockInfo{a.clockInfo.clock, a.clockInfo.resetCount, a.clockInfo.restartCount,
                            a.clockInfo.safe != 0};
  out.firmwareVersion = a.firmwareVersion;
  if (a.type == kStAttestQuote) {
    const TPMS_QUOTE_INFO& q = a.attested.quote;
    for (std::uint32_t i = 0; i < q.pcrSelect.count; ++i) {
      const TPMS_PCR_SELECTION& s = q.pcrSelect.pcrSelections[i];
      PcrSelection sel;
      sel.hashAlg = s.hash;
      for (std::uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
        for (std::uint32_t bit = 0; bit < 8; ++bit) {
          if ((s.pcrSelect[byte] >> bit) & 1U) sel.pcrs.push_back(byte * 8 + bit);
        }
      }
      out.pcrSelect.push_back(std::move(sel));
    }
    out.pcrDigest = fromBuf(q.pcrDigest.buffer, q.pcrDigest.size);
  }
  return out;
}

Result<TpmSignature> parseSignature(const Bytes& bytes) {
  if (bytes.empty() || bytes.size() > kMaxSignatureBytes) {
    return parseError("TPMT_SIGNATURE: size " + std::to_string(bytes.size()) + " out of bounds");
  }
  TPMT_SIGNATURE s{};
  size_t offset = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(bytes.data(), bytes.size(), &offset, &s) !=
      TSS2_RC_SUCCESS) {
    return parseError("TPMT_SIGNATURE: malformed");
  }
  if (offset != bytes.size()) return parseError("TPMT_SIGNATURE: trailing bytes");
  TpmSignature out;
  out.sigAlg = s.sigAlg;
  switch (s.sigAlg) {
    case alg::kRsassa:
    case alg::kRsapss:
      out.hashAlg = s.signature.rsassa.hash;
      out.rsaSig = fromBuf(s.signature.rsassa.sig.buffer, s.signature.rsassa.sig.size);
      break;
    case alg::kEcdsa:
      out.hashAlg = s.signature.ecdsa.hash;
      out.eccR = fromBuf(s.signature.ecdsa.signatureR.buffer, s.signature.ecdsa.signatureR.size);
      out.eccS = fromBuf(s.signature.ecdsa.signatureS.buffer, s.signature.ecdsa.signatureS.size);
      break;
    default:
      return parseError("TPMT_SIGNATURE: unsupported signature algorithm");
  }
  if (evpHash(out.hashAlg) == nullptr) return parseError("TPMT_SIGNATURE: unsupported hash");
  return out;
}

Status verifySignatureDigest(EVP_PKEY* key, const TpmSignature& sig, const Bytes& digest) {
  const EVP_MD* md = evpHash(sig.hashAlg);
  if (key == nullptr || md == nullptr) return makeError("signature", "no key or unknown hash");
  if (digest.size() != static_cast<std::size_t>(EVP_MD_get_size(md))) {
    return makeError("signature", "digest size does not match the signature hash");
  }
  int keyType = EVP_PKEY_get_base_id(key);
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    return makeError("signature", "cannot set up verification");
  }
  Bytes der;
  const Bytes* sigBytes = &sig.rsaSig;
  if (sig.sigAlg == alg::kRsassa || sig.sigAlg == alg::kRsapss) {
    if (keyType != EVP_PKEY_RSA) return makeError("signature", "RSA signature but not an RSA key");
    if (sig.sigAlg == alg::kRsassa) {
      if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        return makeError("signature", "cannot set padding");
      }
    } else if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
               EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1 ||
               // TPMs differ: maximum salt historically, hash-length salt in FIPS mode.
               EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1) {
      return makeError("signature", "cannot set PSS parameters");
    }
  } else if (sig.sigAlg == alg::kEcdsa) {
    if (keyType != EVP_PKEY_EC) return makeError("signature", "ECDSA signature but not an EC key");
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> es(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig.eccR.data(), static_cast<int>(sig.eccR.size()), nullptr);
    BIGNUM* s = BN_bin2bn(sig.eccS.data(), static_cast<int>(sig.eccS.size()), nullptr);
    if (!es || r == nullptr || s == nullptr || ECDSA_SIG_set0(es.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return makeError("signature", "cannot build ECDSA signature");
    }
    int len = i2d_ECDSA_SIG(es.get(), nullptr);
    if (len <= 0) return makeError("signature", "cannot encode ECDSA signature");
    der.resize(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    i2d_ECDSA_SIG(es.get(), &p);
    sigBytes = &der;
  } else {
    return makeError("signature", "unsupported signature algorithm");
  }
  if (EVP_PKEY_verify(ctx.get(), sigBytes->data(), sigBytes->size(), digest.data(),
                      digest.size()) != 1) {
    return makeError("signature", "signature does not verify");
  }
  return {};
}

Status verifySignature(EVP_PKEY* key, const TpmSignature& sig, const Bytes& message) {
  if (evpHash(sig.hashAlg) == nullptr) return makeError("signature", "unknown hash");
  return verifySignatureDigest(key, sig, hashBytes(sig.hashAlg, message));
}

void putU16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void putU32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void putU64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void putTpm2b(Bytes& out, const Bytes& v) {
  putU16(out, static_cast<std::uint16_t>(v.size()));
  out.insert(out.end(), v.begin(), v.end());
}

}  // namespace pb::attest
