// SPDX-License-Identifier: Apache-2.0
#include "attest/ek_cert.hpp"

#include <filesystem>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/files.hpp"
#include "core/reasons.hpp"

namespace pb::attest {

namespace {

Error chainError(std::string message) {
  return makeError(std::string(reason::kEkUntrusted), std::move(message));
}

// Critical extensions of the TCG EK Credential Profile that OpenSSL does not process itself.
// Subject Directory Attributes carries the TPM spec version; it has no effect on path validation.
bool tolerableCriticalExtension(const X509_EXTENSION* ext) {
  const ASN1_OBJECT* obj = X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext));
  char oid[64];
  OBJ_obj2txt(oid, sizeof oid, obj, 1);
  return std::string(oid) == "2.5.29.9";
}

int verifyCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  if (X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION) return 0;
  // Accept only when every critical extension OpenSSL does not handle is a known TCG one.
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (X509_EXTENSION_get_critical(ext) == 1 && X509_supported_extension(ext) == 0 &&
        !tolerableCriticalExtension(ext)) {
      return 0;
    }
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

Status loadPemFile(const std::filesystem::path& path, std::vector<X509Ptr>& out) {
  auto text = readFileBounded(path.string(), 1024 * 1024);
  if (!text) return text.error();
  BIO* bio = BIO_new_mem_buf(text->data(), static_cast<int>(text->size()));
  if (bio == nullptr) return makeError("io", "out of memory");
  std::size_t before = out.size();
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(c);
  ERR_clear_error();
  BIO_free(bio);
  if (out.size() == before) return makeError("parse", path.string() + ": no PEM certificate");
  return {};
}

Status loadDir(const std::string& dir, std::vector<X509Ptr>& out) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return makeError("io", dir + ": " + ec.message());
  for (const auto& entry : it) {
    auto ext = entry.path().extension().string();
    if (!entry.is_regular_file() || (ext != ".pem" && ext != ".crt" && ext != ".cer")) continue;
    if (auto s = loadPemFile(entry.path(), out); !s) return s;
  }
  return {};
}

}  // namespace

Status loadCertificateDir(const std::string& dir, std::vector<X509Ptr>& out) {
  return loadDir(dir, out);
}

Result<X509Ptr> parseCertificateDer(const Bytes& der) {
  if (der.empty() || der.size() > kMaxCertBytes)
    return chainError("EK certificate size out of bounds");
  const unsigned char* p = der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr) {
    ERR_clear_error();
    return chainError("EK certificate is not DER X.509");
  }
  X509Ptr owned(cert);
  if (p != der.data() + der.size()) return chainError("EK certificate has trailing bytes");
  return owned;
}

EkTrustStore::EkTrustStore() : store_(X509_STORE_new()), intermediates_(sk_X509_new_null()) {}

EkTrustStore::~EkTrustStore() {
  X509_STORE_free(store_);
  sk_X509_pop_free(intermediates_, X509_free);
}

EkTrustStore::EkTrustStore(EkTrustStore&& o) noexcept
    : store_(o.store_), intermediates_(o.intermediates_), roots_(o.roots_) {
  o.store_ = nullptr;
  o.intermediates_ = nullptr;
  o.roots_ = 0;
}

EkTrustStore& EkTrustStore::operator=(EkTrustStore&& o) noexcept {
  if (this != &o) {
    X509_STORE_free(store_);
    sk_X509_pop_free(intermediates_, X509_free);
    store_ = o.store_;
    intermediates_ = o.intermediates_;
    roots_ = o.roots_;
    o.store_ = nullptr;
    o.intermediates_ = nullptr;
    o.roots_ = 0;
  }
  return *this;
}

Result<EkTrustStore> EkTrustStore::load(const std::string& rootsDir,
                                        const std::string& intermediatesDir) {
  EkTrustStore s;
  std::vector<X509Ptr> roots;
  std::vector<X509Ptr> inter;
  if (rootsDir.empty())
    return makeError("config", "no TPM manufacturer roots directory configured");
  if (auto st = loadDir(rootsDir, roots); !st) return st.error().withContext("TPM roots");
  if (roots.empty()) return makeError("config", "TPM roots directory has no certificates");
  if (!intermediatesDir.empty()) {
    if (auto st = loadDir(intermediatesDir, inter); !st)
      return st.error().withContext("TPM intermediates");
  }
  for (auto& c : roots) s.addRoot(c.get());
  for (auto& c : inter) s.addIntermediate(c.get());
  return s;
}

void EkTrustStore::addRoot(X509* cert) {
  if (X509_STORE_add_cert(store_, cert) == 1) ++roots_;
  ERR_clear_error();
}

void EkTrustStore::addIntermediate(X509* cert) {
  X509_up_ref(cert);
  sk_X509_push(intermediates_, cert);
}

Status EkTrustStore::verify(X509* cert, const TpmPublic& ek, std::int64_t now) const {
  if (cert == nullptr) return chainError("no EK certificate");
  if (roots_ == 0) return chainError("no trusted TPM manufacturer roots");
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  if (ctx == nullptr || X509_STORE_CTX_init(ctx, store_, cert, intermediates_) != 1) {
    X509_STORE_CTX_free(ctx);
    return chainError("cannot set up path validation");
  }
  X509_STORE_CTX_set_time(ctx, 0, static_cast<time_t>(now));
  X509_STORE_CTX_set_verify_cb(ctx, verifyCallback);
  int rc = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  if (rc != 1) {
    return chainError(std::string("EK certificate chain: ") + X509_verify_cert_error_string(err));
  }
  auto key = toEvpKey(ek);
  if (!key)
    return makeError(std::string(reason::kEkCertKeyMismatch), "EK public: " + key.error().message);
  if (!sameKey(X509_get0_pubkey(cert), key->get())) {
    return makeError(std::string(reason::kEkCertKeyMismatch),
                     "the EK certificate is for a different key");
  }
  return {};
}

}  // namespace pb::attest
