// SPDX-License-Identifier: Apache-2.0
#include "test_pki.hpp"

#include <stdexcept>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace pb::attest::testing {

namespace {

long serial = 1;

X509Ptr newCert(X509_NAME* subject, X509_NAME* issuer, EVP_PKEY* pub, long nbOff, long naOff) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), nbOff);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), naOff);
  X509_set_subject_name(c.get(), subject);
  X509_set_issuer_name(c.get(), issuer);
  X509_set_pubkey(c.get(), pub);
  return c;
}

void addConf(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509_NAME* cnName(const std::string& cn) {
  X509_NAME* n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Test TPM Maker"), -1, -1, 0);
  return n;
}

TestCa makeCa(const TestCa* issuer, const std::string& cn) {
  TestCa ca;
  ca.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"));
  X509_NAME* name = cnName(cn);
  X509_NAME* issuerName = issuer ? X509_get_subject_name(issuer->cert.get()) : name;
  ca.cert = newCert(name, issuerName, ca.key.get(), -3600, 20L * 365 * 24 * 3600);
  X509_NAME_free(name);
  addConf(ca.cert.get(), issuer ? issuer->cert.get() : ca.cert.get(), NID_basic_constraints,
          "critical,CA:TRUE");
  addConf(ca.cert.get(), issuer ? issuer->cert.get() : ca.cert.get(), NID_key_usage,
          "critical,keyCertSign,cRLSign");
  X509_sign(ca.cert.get(), issuer ? issuer->key.get() : ca.key.get(), EVP_sha256());
  return ca;
}

}  // namespace

TestCa makeRootCa(const std::string& cn) {
  return makeCa(nullptr, cn);
}

TestCa makeIntermediateCa(const TestCa& issuer, const std::string& cn) {
  return makeCa(&issuer, cn);
}

X509Ptr issueEkCert(const TestCa& issuer, EVP_PKEY* ekKey, const CertOptions& o) {
  X509_NAME* subject = o.tcgQuirks ? X509_NAME_new() : cnName("EK");
  X509Ptr c = newCert(subject, X509_get_subject_name(issuer.cert.get()), ekKey, o.notBeforeOffset,
                      o.notAfterOffset);
  X509_NAME_free(subject);
  addConf(c.get(), issuer.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  if (o.tcgQuirks) {
    // SAN: directoryName with tcg-at-tpmManufacturer / tpmModel / tpmVersion, critical because
    // the subject is empty.
    X509_NAME* dir = X509_NAME_new();
    X509_NAME_add_entry_by_txt(dir, "2.23.133.2.1", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("id:54455354"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(dir, "2.23.133.2.2", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("swtpm"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(dir, "2.23.133.2.3", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("id:20191023"), -1, -1, 0);
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dir);
    GENERAL_NAMES* gens = sk_GENERAL_NAME_new_null();
    sk_GENERAL_NAME_push(gens, gn);
    X509_add1_ext_i2d(c.get(), NID_subject_alt_name, gens, 1, X509V3_ADD_DEFAULT);
    GENERAL_NAMES_free(gens);
    EXTENDED_KEY_USAGE* eku = sk_ASN1_OBJECT_new_null();
    sk_ASN1_OBJECT_push(eku, OBJ_txt2obj("2.23.133.8.1", 1));
    X509_add1_ext_i2d(c.get(), NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    addConf(c.get(), issuer.cert.get(), NID_key_usage, "critical,keyEncipherment");
  }
  auto addRaw = [&](const char* oid) {
    ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING* val = ASN1_OCTET_STRING_new();
    const unsigned char seq[] = {0x30, 0x00};
    ASN1_OCTET_STRING_set(val, seq, sizeof seq);
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 1, val);
    X509_add_ext(c.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(val);
    ASN1_OBJECT_free(obj);
  };
  if (o.unknownCriticalExtension) addRaw("1.3.6.1.4.1.99999.1");
  if (o.criticalSubjectDirectoryAttributes) addRaw("2.5.29.9");
  X509_sign(c.get(), issuer.key.get(), EVP_sha256());
  return c;
}

Bytes toDer(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
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

}  // namespace pb::attest::testing
