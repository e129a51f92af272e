// SPDX-License-Identifier: Apache-2.0
#include "policy/signing.hpp"

#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/bytes.hpp"
#include "core/files.hpp"
#include "core/openssl_ptr.hpp"

namespace pb {

namespace {

constexpr std::size_t kSignatureBytes = 64;

Error sigError(std::string message) {
  return makeError("signature", std::move(message));
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

Result<std::string> fingerprintOf(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return sigError("cannot encode the public key");
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return toHex(sha256(bytes));
}

Result<std::string> publicPemOf(EVP_PKEY* key) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), key) != 1) {
    return sigError("cannot write the public key");
  }
  return bioText(out.get());
}

bool isEd25519(EVP_PKEY* key) {
  return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
}

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Strict: exactly 88 base64 characters ("==" padded) giving 64 bytes.
std::optional<std::string> decodeSignature(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.size() != 88) return std::nullopt;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  if (text.substr(86) != "==") return std::nullopt;
  std::string out(66, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n != 66) return std::nullopt;  // EVP_DecodeBlock counts the padding as zero bytes
  out.resize(kSignatureBytes);
  return out;
}

bool verifyWith(EVP_PKEY* key, std::string_view bytes, const std::string& signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1) return false;
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  ERR_clear_error();
  return rc == 1;
}

Result<PkeyPtr> readPrivateKey(std::string_view pem) {
  BioPtr in = memBio(pem);
  PkeyPtr key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  // Never echo key material: the message says only what is wrong.
  if (!key) return sigError("not a PEM private key");
  if (!isEd25519(key.get())) return sigError("the private key is not an Ed25519 key");
  return key;
}

}  // namespace

Result<SigningKeyPair> generateSigningKey() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return sigError("Ed25519 key generation failed");
  }
  PkeyPtr key(raw);
  SigningKeyPair pair;
  BioPtr priv(BIO_new(BIO_s_mem()));
  if (!priv ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return sigError("cannot write the private key");
  }
  {
    // Copied once, straight from the BIO (which cleanses its own buffer when freed).
    char* data = nullptr;
    const long len = BIO_get_mem_data(priv.get(), &data);
    if (len <= 0) return sigError("cannot write the private key");
    pair.privatePem = SecretBytes(data, static_cast<std::size_t>(len));
  }
  auto pub = publicPemOf(key.get());
  if (!pub) return pub.error();
  pair.publicPem = std::move(*pub);
  auto fp = fingerprintOf(key.get());
  if (!fp) return fp.error();
  pair.fingerprint = std::move(*fp);
  return pair;
}

Result<std::string> signPolicyBytes(std::string_view bytes, std::string_view privateKeyPem) {
  auto key = readPrivateKey(privateKeyPem);
  if (!key) return key.error();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kSignatureBytes, '\0');
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1 ||
      len != kSignatureBytes) {
    ERR_clear_error();
    return sigError("signing failed");
  }
  return base64Encode(sig) + "\n";
}

Result<std::string> privateKeyFingerprint(std::string_view privateKeyPem) {
  auto key = readPrivateKey(privateKeyPem);
  if (!key) return key.error();
  return fingerprintOf(key->get());
}

Result<TrustedSigner> parseTrustedSigner(std::string_view publicPem, const std::string& source) {
  BioPtr in = memBio(publicPem);
  PkeyPtr key(in ? PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!key) return sigError(source + ": not a PEM public key");
  if (!isEd25519(key.get())) return sigError(source + ": not an Ed25519 public key");
  TrustedSigner s;
  s.source = source;
  auto fp = fingerprintOf(key.get());
  if (!fp) return fp.error();
  s.fingerprint = std::move(*fp);
  auto pem = publicPemOf(key.get());
  if (!pem) return pem.error();
  s.publicPem = std::move(*pem);
  return s;
}

Result<TrustedSigner> loadTrustedSigner(const std::string& path) {
  auto text = readFileBounded(path, kMaxKeyFileBytes);
  if (!text) return text.error();
  return parseTrustedSigner(*text, path);
}

Result<TrustedSigner> verifyPolicySignature(std::string_view bytes, std::string_view signatureText,
                                            const std::vector<TrustedSigner>& signers) {
  if (signatureText.size() > kMaxSignatureFileBytes) {
    return sigError("the signature file is larger than " + std::to_string(kMaxSignatureFileBytes) +
                    " bytes");
  }
  auto sig = decodeSignature(signatureText);
  if (!sig) {
    return sigError(
        "malformed signature: expected one line of base64 (88 characters) holding a "
        "64-byte Ed25519 signature");
  }
  if (signers.empty()) return sigError("no trusted policy signers are configured");
  for (const auto& s : signers) {
    BioPtr in = memBio(s.publicPem);
    PkeyPtr key(in ? PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    if (key && verifyWith(key.get(), bytes, *sig)) return s;
  }
  return sigError("the signature does not verify with any of the " +
                  std::to_string(signers.size()) +
                  " trusted signer key(s): wrong key, or the file or signature was changed");
}

Result<AcceptedPolicy> acceptPolicy(std::string_view text, const std::string& fileName,
                                    const std::optional<std::string>& signatureText,
                                    const PolicyTrust& trust) {
  auto policy = parsePolicy(text, fileName);
  if (!policy) return policy.error();
  AcceptedPolicy out;
  out.fileSha256 = toHex(sha256(text));
  if (signatureText) {
    auto signer = verifyPolicySignature(text, *signatureText, trust.signers);
    if (!signer) return signer.error().withContext(fileName);
    out.signer = signer->fingerprint;
  } else if (trust.allowUnsigned) {
    out.isUnsigned = true;
  } else {
    return sigError(fileName +
                    ": the policy is not signed; sign it with `benchctl policy sign` and pass "
                    "the signature (or set policy.allow_unsigned in bench.yaml for development)");
  }
  out.hash = policyHash(*policy);
  out.policy = std::move(*policy);
  return out;
}

}  // namespace pb
