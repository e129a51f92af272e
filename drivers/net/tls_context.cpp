// SPDX-License-Identifier: Apache-2.0
#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "net/openssl_error.hpp"
#include "net/tls_identity.hpp"

namespace pb {

namespace ssl = boost::asio::ssl;

namespace {

static_assert(kPinMismatchVerifyError == X509_V_ERR_APPLICATION_VERIFICATION);

Status restrictToTls13(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return makeError("tls", "cannot restrict context to TLS 1.3: " + opensslError());
  }
  return {};
}

// The pin lives in the SSL_CTX's ex_data, owned by the context and freed with it.
int pinIndex() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<Bytes*>(ptr); });
  return index;
}

// Replaces OpenSSL's whole chain verification: the only question is whether the leaf key is the
// pinned one. Returning 0 aborts the handshake with a bad_certificate alert.
int verifyPin(X509_STORE_CTX* store, void* arg) {
  const auto* pin = static_cast<const Bytes*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  Bytes actual = spkiSha256(leaf);
  if (pin == nullptr || actual.empty() || !constantTimeEqual(actual, *pin)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> makeServerContext(const std::string& certPath,
                                                        const std::string& keyPath) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (auto st = restrictToTls13(native); !st) return st.error();
  if (SSL_CTX_use_certificate_chain_file(native, certPath.c_str()) != 1) {
    return makeError("tls", "cannot load certificate " + certPath + ": " + opensslError());
  }
  if (SSL_CTX_use_PrivateKey_file(native, keyPath.c_str(), SSL_FILETYPE_PEM) != 1) {
    // The key path is not secret; the key content never reaches this message.
    return makeError("tls", "cannot load private key " + keyPath + ": " + opensslError());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return makeError("tls", "private key does not match certificate " + certPath);
  }
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  return ctx;
}

Result<std::shared_ptr<ssl::context>> makeClientContext(Bytes pin) {
  if (pin.size() != 32) return makeError("tls", "pin must be a 32-byte SHA-256 digest");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  if (auto st = restrictToTls13(native); !st) return st.error();
  auto* owned = new Bytes(std::move(pin));
  if (SSL_CTX_set_ex_data(native, pinIndex(), owned) != 1) {
    delete owned;
    return makeError("tls", "cannot attach pin to context");
  }
  SSL_CTX_set_cert_verify_callback(native, verifyPin, owned);
  // VERIFY_PEER makes a server without a certificate fail the handshake instead of passing.
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  return ctx;
}

}  // namespace pb
