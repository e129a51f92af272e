// SPDX-License-Identifier: Apache-2.0
#include "net/tls_identity.hpp"

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/files.hpp"
#include "net/openssl_error.hpp"

namespace pb {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr long kValiditySeconds = 10L * 365 * 24 * 60 * 60;
constexpr std::size_t kMaxPinFileBytes = 128;
constexpr std::size_t kMaxCertFileBytes = 64 * 1024;

Error tlsError(const std::string& what) {
  return makeError("tls", what + ": " + opensslError());
}

std::string bioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(n));
}

bool addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Status generateSelfSignedIdentity(const std::string& keyPath, const std::string& certPath,
                                  const std::string& commonName) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return tlsError("cannot generate EC P-256 key");

  X509Ptr cert(X509_new());
  if (!cert) return tlsError("cannot allocate certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return tlsError("cannot set version");

  // 128 random bits; a BIGNUM is non-negative, so the DER INTEGER is positive and at most 17
  // octets (RFC 5280 allows 20).
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return tlsError("cannot set serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr) {
    return tlsError("cannot set validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return tlsError("cannot set subject");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return tlsError("cannot set public key");
  if (!addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !addExtension(cert.get(), NID_subject_key_identifier, "hash")) {
    return tlsError("cannot add extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return tlsError("cannot sign");

  BioPtr keyBio(BIO_new(BIO_s_mem()));
  BioPtr certBio(BIO_new(BIO_s_mem()));
  if (!keyBio || !certBio ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(certBio.get(), cert.get()) != 1) {
    return tlsError("cannot encode PEM");
  }
  std::string keyPem = bioToString(keyBio.get());
  std::string certPem = bioToString(certBio.get());
  // The private key exists in memory only as long as needed; wipe our copy after writing it.
  Status st = writeFileAtomic(keyPath, keyPem, 0600);
  secureZero(keyPem.data(), keyPem.size());
  if (!st) return st.error().withContext("writing TLS key");
  if (auto cst = writeFileAtomic(certPath, certPem, 0644); !cst) {
    return cst.error().withContext("writing TLS certificate");
  }
  return {};
}

Bytes spkiSha256(X509* cert) {
  if (cert == nullptr) return {};
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
  if (spki == nullptr) return {};
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(spki, &der);
  if (n <= 0 || der == nullptr) return {};
  Bytes digest = sha256(der, static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return digest;
}

std::string spkiPin(X509* cert) {
  Bytes d = spkiSha256(cert);
  return d.empty() ? std::string() : toHex(d);
}

Result<std::string> spkiPinForCertFile(const std::string& certPath) {
  auto pem = readFileBounded(certPath, kMaxCertFileBytes);
  if (!pem) return pem.error().withContext("reading certificate");
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  if (!bio) return tlsError("cannot allocate BIO");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return tlsError("cannot parse certificate " + certPath);
  std::string pin = spkiPin(cert.get());
  if (pin.empty()) return tlsError("cannot encode public key of " + certPath);
  return pin;
}

std::string formatPinLine(const std::string& pinHex) {
  return "sha256:" + pinHex + "\n";
}

Result<Bytes> parsePinLine(std::string_view content) {
  constexpr std::string_view kPrefix = "sha256:";
  constexpr std::size_t kHexLen = 64;
  if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
  if (content.size() != kPrefix.size() + kHexLen || content.substr(0, kPrefix.size()) != kPrefix) {
    return makeError("parse", "pin must be one line 'sha256:<64 lower-case hex digits>'");
  }
  std::string_view hex = content.substr(kPrefix.size());
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return makeError("parse", "pin must be lower-case hex");
    }
  }
  auto bytes = fromHex(hex);
  if (!bytes || bytes->size() != 32) return makeError("parse", "pin is not a SHA-256 digest");
  return *bytes;
}

Result<Bytes> readPinFile(const std::string& path) {
  auto content = readFileBounded(path, kMaxPinFileBytes);
  if (!content) return content.error().withContext("reading pin file");
  auto pin = parsePinLine(*content);
  if (!pin) return pin.error().withContext(path);
  return pin;
}

}  // namespace pb
