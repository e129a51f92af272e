// SPDX-License-Identifier: Apache-2.0
#include "attest/make_credential.hpp"

#include <cstring>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "attest/kdf.hpp"
#include "core/secret_bytes.hpp"

namespace pb::attest {

namespace {

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

constexpr std::string_view kIdentityLabel = "IDENTITY";

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

Bytes padLeft(const Bytes& v, std::size_t len) {
  Bytes out(len > v.size() ? len - v.size() : 0, 0);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// RSA: seed encrypted with OAEP (hash and MGF1 = EK nameAlg, label "IDENTITY\0").
Result<Bytes> rsaSecret(EVP_PKEY* ek, std::uint16_t nameAlg, const Bytes& seed) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ek, nullptr));
  const EVP_MD* md = evpHash(nameAlg);
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
    return makeError("crypto", "cannot set up RSA-OAEP");
  }
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kIdentityLabel.size() + 1));
  if (label == nullptr) return makeError("crypto", "out of memory");
  std::memcpy(label, kIdentityLabel.data(), kIdentityLabel.size());
  label[kIdentityLabel.size()] = 0;
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label,
                                       static_cast<int>(kIdentityLabel.size() + 1)) != 1) {
    OPENSSL_free(label);
    return makeError("crypto", "cannot set OAEP label");
  }
  std::size_t outLen = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &outLen, seed.data(), seed.size()) != 1) {
    return makeError("crypto", "RSA-OAEP failed");
  }
  Bytes out(outLen);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &outLen, seed.data(), seed.size()) != 1) {
    return makeError("crypto", "RSA-OAEP failed");
  }
  out.resize(outLen);
  Bytes wrapped;
  putTpm2b(wrapped, out);
  return wrapped;
}

Bytes bnParam(EVP_PKEY* key, const char* name, std::size_t len) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return {};
  std::unique_ptr<BIGNUM, BnFree> bn(raw);
  Bytes out(len);
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(len)) < 0) return {};
  return out;
}

// ECC: ephemeral ECDH on the EK curve, seed = KDFe(nameAlg, Z, "IDENTITY", Qe.x, Qek.x).
Result<Bytes> eccSecret(EVP_PKEY* ek, const TpmPublic& ekPub, SecretBytes& seed) {
  const char* group = ekPub.curve == ecc::kNistP256   ? "prime256v1"
                      : ekPub.curve == ecc::kNistP384 ? "secp384r1"
                      : ekPub.curve == ecc::kNistP521 ? "secp521r1"
                                                      : nullptr;
  std::size_t len = curveBytes(ekPub.curve);
  if (group == nullptr) return makeError("key", "unsupported EK curve");
  EvpPkeyPtr eph(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group));
  if (!eph) return makeError("crypto", "cannot generate an ephemeral key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
  std::size_t zLen = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), ek) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &zLen) != 1) {
    return makeError("crypto", "ECDH with the EK failed");
  }
  // OpenSSL's ECDH output is the x coordinate padded to the field size, which is exactly what
  // KDFe takes; derived straight into a SecretBytes so no other buffer holds Z.
  if (zLen != len) return makeError("crypto", "unexpected ECDH secret length");
  SecretBytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &zLen) != 1 || zLen != len) {
    return makeError("crypto", "ECDH failed");
  }
  Bytes ex = bnParam(eph.get(), OSSL_PKEY_PARAM_EC_PUB_X, len);
  Bytes ey = bnParam(eph.get(), OSSL_PKEY_PARAM_EC_PUB_Y, len);
  if (ex.empty() || ey.empty()) return makeError("crypto", "cannot read the ephemeral point");
  std::size_t bits = digestSize(ekPub.nameAlg) * 8;
  seed = SecretBytes(kdfe(ekPub.nameAlg, z.bytes(), kIdentityLabel, ex, padLeft(ekPub.eccX, len),
                          static_cast<std::uint32_t>(bits)));
  if (seed.size() != bits / 8) return makeError("crypto", "KDFe failed");
  Bytes point;
  putTpm2b(point, ex);
  putTpm2b(point, ey);
  Bytes wrapped;
  putTpm2b(wrapped, point);
  return wrapped;
}

}  // namespace

Bytes Credential::toTpm2ToolsFile() const {
  Bytes out;
  putU32(out, 0xBADCC0DE);
  putU32(out, 1);
  out.insert(out.end(), idObject.begin(), idObject.end());
  out.insert(out.end(), encryptedSecret.begin(), encryptedSecret.end());
  return out;
}

Result<Credential> makeCredential(const TpmPublic& ek, const Bytes& objectName,
                                  const Bytes& credential) {
  std::size_t dsize = digestSize(ek.nameAlg);
  if (dsize == 0) return makeError("key", "EK nameAlg unsupported");
  if (credential.empty() || credential.size() > dsize) {
    return makeError("credential", "credential must be 1..digest size bytes");
  }
  if ((ek.attributes & attr::kRestricted) == 0 || (ek.attributes & attr::kDecrypt) == 0) {
    return makeError("key", "EK is not a restricted decryption key");
  }
  if (ek.symAlg != alg::kAes || ek.symMode != alg::kCfb ||
      (ek.symKeyBits != 128 && ek.symKeyBits != 192 && ek.symKeyBits != 256)) {
    return makeError("key", "EK symmetric definition is not AES-CFB");
  }
  if (objectName.size() < 2) return makeError("credential", "object Name is empty");
  auto key = toEvpKey(ek);
  if (!key) return key.error().withContext("EK");

  // Every secret below is a SecretBytes: each early return cleanses what exists so far.
  SecretBytes seed;
  Result<Bytes> secret = makeError("key", "unsupported EK type");
  if (ek.type == alg::kRsa) {
    seed = SecretBytes::random(dsize);
    secret = rsaSecret(key->get(), ek.nameAlg, seed.bytes());
  } else if (ek.type == alg::kEcc) {
    secret = eccSecret(key->get(), ek, seed);
  }
  if (!secret) return secret.error();

  SecretBytes symKey(kdfa(ek.nameAlg, seed.bytes(), "STORAGE", objectName, {}, ek.symKeyBits));
  if (symKey.size() != ek.symKeyBits / 8u) return makeError("crypto", "KDFa failed");
  Bytes plainBuf;
  plainBuf.reserve(credential.size() + 2);  // no reallocation may leave a copy behind
  putTpm2b(plainBuf, credential);           // the size prefix is inside the ciphertext
  const SecretBytes plain(std::move(plainBuf));
  Bytes encIdentity(plain.size());
  const EVP_CIPHER* cipher = ek.symKeyBits == 128   ? EVP_aes_128_cfb128()
                             : ek.symKeyBits == 192 ? EVP_aes_192_cfb128()
                                                    : EVP_aes_256_cfb128();
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> cctx(EVP_CIPHER_CTX_new());
  std::uint8_t iv[16] = {};
  int outl = 0;
  int finl = 0;
  if (!cctx || EVP_EncryptInit_ex(cctx.get(), cipher, nullptr, symKey.data(), iv) != 1 ||
      EVP_EncryptUpdate(cctx.get(), encIdentity.data(), &outl, plain.data(),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(cctx.get(), encIdentity.data() + outl, &finl) != 1) {
    return makeError("crypto", "AES-CFB failed");
  }
  symKey.clear();

  SecretBytes hmacKey(
      kdfa(ek.nameAlg, seed.bytes(), "INTEGRITY", {}, {}, static_cast<std::uint32_t>(dsize * 8)));
  seed.clear();
  if (hmacKey.size() != dsize) return makeError("crypto", "KDFa failed");
  Bytes macInput = encIdentity;
  macInput.insert(macInput.end(), objectName.begin(), objectName.end());
  Bytes mac(EVP_MAX_MD_SIZE);
  unsigned int macLen = 0;
  if (HMAC(evpHash(ek.nameAlg), hmacKey.data(), static_cast<int>(hmacKey.size()), macInput.data(),
           macInput.size(), mac.data(), &macLen) == nullptr) {
    return makeError("crypto", "HMAC failed");
  }
  mac.resize(macLen);
  hmacKey.clear();

  Bytes body;
  putTpm2b(body, mac);
  body.insert(body.end(), encIdentity.begin(), encIdentity.end());
  Credential out;
  putTpm2b(out.idObject, body);
  out.encryptedSecret = std::move(secret.value());
  return out;
}

}  // namespace pb::attest
