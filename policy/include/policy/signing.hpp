// SPDX-License-Identifier: Apache-2.0
// Signed policy bundles: a policy file plus a detached Ed25519 signature over its exact bytes.
//
// Signature file format: the 64-byte Ed25519 signature in standard base64 (88 characters), on one
// line; a trailing newline and surrounding blanks are ignored. Text, so it survives mail and
// copy-paste, and `cat` shows whether a file is a signature at all.
//
// Keys: PEM (SubjectPublicKeyInfo for public keys, PKCS#8 for private ones), Ed25519 only. A
// key's fingerprint is the lower-case hex SHA-256 of its DER public key: what logs, audit
// records and `benchctl policy show` name the signer by.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"
#include "policy/policy.hpp"

namespace pb {

inline constexpr std::size_t kMaxSignatureFileBytes = 4096;
inline constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

struct SigningKeyPair {
  SecretBytes privatePem;  // PKCS#8 PEM text; secret: write with mode 0600, never log
  std::string publicPem;
  std::string fingerprint;
};

struct TrustedSigner {
  std::string source;  // where the key came from (a path), for messages
  std::string fingerprint;
  std::string publicPem;
};

Result<SigningKeyPair> generateSigningKey();
// The signature file's content (base64 and a newline) for `bytes`.
Result<std::string> signPolicyBytes(std::string_view bytes, std::string_view privateKeyPem);
// Parses an Ed25519 public key (PEM). `source` names it in errors.
Result<TrustedSigner> parseTrustedSigner(std::string_view publicPem, const std::string& source);
// Reads and parses a public key file.
Result<TrustedSigner> loadTrustedSigner(const std::string& path);
// The fingerprint of the public half of a private key (PEM).
Result<std::string> privateKeyFingerprint(std::string_view privateKeyPem);

// The signer whose key verifies `signatureText` over `bytes`. Errors (code "signature"): the
// signature is malformed, or no trusted key verifies it (wrong key, tampered file or signature).
Result<TrustedSigner> verifyPolicySignature(std::string_view bytes, std::string_view signatureText,
                                            const std::vector<TrustedSigner>& signers);

struct PolicyTrust {
  std::vector<TrustedSigner> signers;
  bool allowUnsigned = false;  // development mode: a policy without a signature is accepted
};

struct AcceptedPolicy {
  Policy policy;
  std::string hash;         // policyHash(policy)
  std::string signer;       // fingerprint of the key that signed it; "" if unsigned
  bool isUnsigned = false;  // accepted only because trust.allowUnsigned
  std::string fileSha256;   // of the exact bytes, for the audit record
};

// Validates a policy bundle: parses the text (every error, code "policy"), then checks the
// signature (code "signature"). A signature that is present must verify even in development
// mode; a missing one is accepted only with trust.allowUnsigned.
Result<AcceptedPolicy> acceptPolicy(std::string_view text, const std::string& fileName,
                                    const std::optional<std::string>& signatureText,
                                    const PolicyTrust& trust);

}  // namespace pb
