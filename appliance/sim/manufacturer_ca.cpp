// SPDX-License-Identifier: Apache-2.0
#include "sim/manufacturer_ca.hpp"

#include <cstdio>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <tss2/tss2_mu.h>

#include "core/files.hpp"

namespace pb {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using GenNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

void freeObjStack(STACK_OF(ASN1_OBJECT) * s) {
  sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free);
}

Error sslError(const std::string& what) {
  return makeError("crypto", what + " failed");
}

PkeyPtr newEcKey() {
  return PkeyPtr(EVP_EC_gen("P-256"));
}

std::string idString(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "id:%08X", v);
  return buf;
}

bool addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// Common certificate skeleton: v3, random positive 128-bit serial, validity from an hour ago
// (clock skew between bench machines) for `days`.
X509Ptr newCert(EVP_PKEY* subjectKey, long days) {
  X509Ptr cert(X509_new());
  if (!cert) return nullptr;
  X509_set_version(cert.get(), 2);
  Bytes serial = randomBytes(16);
  serial[0] &= 0x7F;
  serial[0] |= 0x01;
  BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return nullptr;
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  if (X509_set_pubkey(cert.get(), subjectKey) != 1) return nullptr;
  return cert;
}

NamePtr cnName(const std::string& cn) {
  NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("provbench simulation"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return name;
}

std::string toPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

Result<PkeyPtr> ekKey(const Bytes& ekPublic) {
  TPM2B_PUBLIC pub{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(ekPublic.data(), ekPublic.size(), &off, &pub) != 0 ||
      off != ekPublic.size()) {
    return makeError("parse", "EK public is not a TPM2B_PUBLIC");
  }
  const TPMT_PUBLIC& p = pub.publicArea;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  const char* type = nullptr;
  BnPtr n, e;
  Bytes point;
  if (p.type == TPM2_ALG_RSA) {
    type = "RSA";
    n.reset(BN_bin2bn(p.unique.rsa.buffer, p.unique.rsa.size, nullptr));
    e.reset(BN_new());
    BN_set_word(e.get(),
                p.parameters.rsaDetail.exponent == 0 ? 65537 : p.parameters.rsaDetail.exponent);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  } else if (p.type == TPM2_ALG_ECC && p.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 &&
             p.unique.ecc.x.size == 32 && p.unique.ecc.y.size == 32) {
    type = "EC";
    point.push_back(0x04);
    point.insert(point.end(), p.unique.ecc.x.buffer, p.unique.ecc.x.buffer + 32);
    point.insert(point.end(), p.unique.ecc.y.buffer, p.unique.ecc.y.buffer + 32);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
  } else {
    return makeError("parse", "EK is neither RSA nor ECC P-256");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return sslError("EK public key import");
  }
  return PkeyPtr(key);
}

}  // namespace

struct ManufacturerCa::Impl {
  PkeyPtr rootKey, intKey;
  X509Ptr root, intermediate;
};

ManufacturerCa::ManufacturerCa(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ManufacturerCa::~ManufacturerCa() = default;

Result<std::unique_ptr<ManufacturerCa>> ManufacturerCa::create(const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->rootKey = newEcKey();
  impl->intKey = newEcKey();
  if (!impl->rootKey || !impl->intKey) return sslError("CA key generation");

  impl->root = newCert(impl->rootKey.get(), 3650);
  if (!impl->root) return sslError("root certificate");
  NamePtr rootName = cnName(name + " root CA");
  X509_set_subject_name(impl->root.get(), rootName.get());
  X509_set_issuer_name(impl->root.get(), rootName.get());
  X509* r = impl->root.get();
  if (!addExt(r, r, NID_basic_constraints, "critical,CA:TRUE") ||
      !addExt(r, r, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !addExt(r, r, NID_subject_key_identifier, "hash") ||
      X509_sign(r, impl->rootKey.get(), EVP_sha256()) <= 0) {
    return sslError("root certificate");
  }

  impl->intermediate = newCert(impl->intKey.get(), 3650);
  if (!impl->intermediate) return sslError("intermediate certificate");
  NamePtr intName = cnName(name + " EK issuing CA");
  X509* i = impl->intermediate.get();
  X509_set_subject_name(i, intName.get());
  X509_set_issuer_name(i, rootName.get());
  if (!addExt(i, r, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !addExt(i, r, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !addExt(i, r, NID_subject_key_identifier, "hash") ||
      !addExt(i, r, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(i, impl->rootKey.get(), EVP_sha256()) <= 0) {
    return sslError("intermediate certificate");
  }
  return std::unique_ptr<ManufacturerCa>(new ManufacturerCa(std::move(impl)));
}

std::string ManufacturerCa::rootPem() const {
  return toPem(impl_->root.get());
}
std::string ManufacturerCa::intermediatePem() const {
  return toPem(impl_->intermediate.get());
}

Status ManufacturerCa::writePems(const std::string& dir, const std::string& prefix) const {
  if (Status st = makeDirs(dir, 0755); !st.ok()) return st;
  if (Status st = writeFileAtomic(dir + "/" + prefix + "root.pem", rootPem(), 0644); !st.ok()) {
    return st;
  }
  return writeFileAtomic(dir + "/" + prefix + "intermediate.pem", intermediatePem(), 0644);
}

Result<Bytes> ManufacturerCa::issueEkCertificate(const Bytes& ekPublic,
                                                 const EkCertificateSubject& subject) const {
  auto key = ekKey(ekPublic);
  if (!key.ok()) return key.error();
  X509Ptr cert = newCert(key->get(), 3650);
  if (!cert) return sslError("EK certificate");
  X509* c = cert.get();
  X509* issuer = impl_->intermediate.get();
  X509_set_issuer_name(c, X509_get_subject_name(issuer));
  // Subject stays empty (TCG EK profile): the identity is in the critical SAN below.
  const bool rsa = EVP_PKEY_get_base_id(key->get()) == EVP_PKEY_RSA;
  if (!addExt(c, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !addExt(c, issuer, NID_key_usage,
              rsa ? "critical,keyEncipherment" : "critical,keyAgreement") ||
      !addExt(c, issuer, NID_authority_key_identifier, "keyid:always")) {
    return sslError("EK certificate extensions");
  }

  // subjectAltName: directoryName { tpmManufacturer, tpmModel, tpmVersion }, critical.
  NamePtr dir(X509_NAME_new());
  const std::pair<const char*, std::string> attrs[] = {
      {"2.23.133.2.1", idString(subject.manufacturerId)},
      {"2.23.133.2.2", subject.model},
      {"2.23.133.2.3", idString(subject.firmwareVersion)}};
  for (const auto& [oid, value] : attrs) {
    ObjPtr obj(OBJ_txt2obj(oid, 1));
    if (!obj || X509_NAME_add_entry_by_OBJ(dir.get(), obj.get(), MBSTRING_UTF8,
                                           reinterpret_cast<const unsigned char*>(value.c_str()),
                                           -1, -1, 0) != 1) {
      return sslError("EK certificate SAN");
    }
  }
  GenNamesPtr names(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  gn->type = GEN_DIRNAME;
  gn->d.directoryName = dir.release();
  sk_GENERAL_NAME_push(names.get(), gn);
  if (X509_add1_ext_i2d(c, NID_subject_alt_name, names.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return sslError("EK certificate SAN");
  }

  // EKU tcg-kp-EKCertificate (2.23.133.8.1).
  std::unique_ptr<STACK_OF(ASN1_OBJECT), decltype(&freeObjStack)> eku(sk_ASN1_OBJECT_new_null(),
                                                                      &freeObjStack);
  sk_ASN1_OBJECT_push(eku.get(), OBJ_txt2obj("2.23.133.8.1", 1));
  if (X509_add1_ext_i2d(c, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return sslError("EK certificate EKU");
  }
  if (X509_sign(c, impl_->intKey.get(), EVP_sha256()) <= 0) return sslError("EK certificate");
  int len = i2d_X509(c, nullptr);
  if (len <= 0) return sslError("EK certificate encoding");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_X509(c, &p);
  return der;
}

Result<Bytes> ekPublicToSpki(const Bytes& ekPublic) {
  auto key = ekKey(ekPublic);
  if (!key.ok()) return key.error();
  int len = i2d_PUBKEY(key->get(), nullptr);
  if (len <= 0) return sslError("SPKI encoding");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  i2d_PUBKEY(key->get(), &p);
  return der;
}

}  // namespace pb
