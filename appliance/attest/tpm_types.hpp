// SPDX-License-Identifier: Apache-2.0
// Bounded parsing of the TPM structures the verifier receives from an agent (tss2-mu as the
// bounds-checked decoder; every semantic check lives in provbench code) and conversion of TPM
// public areas to OpenSSL keys. No asio here: fuzz targets link this with clang.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb::attest {

// TPM algorithm identifiers we handle (TPM 2.0 Part 2, table 9).
namespace alg {
inline constexpr std::uint16_t kRsa = 0x0001;
inline constexpr std::uint16_t kSha1 = 0x0004;
inline constexpr std::uint16_t kAes = 0x0006;
inline constexpr std::uint16_t kSha256 = 0x000B;
inline constexpr std::uint16_t kSha384 = 0x000C;
inline constexpr std::uint16_t kSha512 = 0x000D;
inline constexpr std::uint16_t kNull = 0x0010;
inline constexpr std::uint16_t kRsassa = 0x0014;
inline constexpr std::uint16_t kRsapss = 0x0016;
inline constexpr std::uint16_t kEcdsa = 0x0018;
inline constexpr std::uint16_t kEcc = 0x0023;
inline constexpr std::uint16_t kCfb = 0x0043;
}  // namespace alg

namespace ecc {
inline constexpr std::uint16_t kNistP256 = 0x0003;
inline constexpr std::uint16_t kNistP384 = 0x0004;
inline constexpr std::uint16_t kNistP521 = 0x0005;
}  // namespace ecc

// TPMA_OBJECT bits (Part 2, table 31). Spelled out here because the tss2 macros use C casts.
namespace attr {
inline constexpr std::uint32_t kFixedTpm = 0x00000002;
inline constexpr std::uint32_t kFixedParent = 0x00000010;
inline constexpr std::uint32_t kSensitiveDataOrigin = 0x00000020;
inline constexpr std::uint32_t kUserWithAuth = 0x00000040;
inline constexpr std::uint32_t kAdminWithPolicy = 0x00000080;
inline constexpr std::uint32_t kRestricted = 0x00010000;
inline constexpr std::uint32_t kDecrypt = 0x00020000;
inline constexpr std::uint32_t kSign = 0x00040000;
}  // namespace attr

inline constexpr std::uint32_t kTpmGeneratedValue = 0xFF544347;
inline constexpr std::uint16_t kStAttestQuote = 0x8018;
inline constexpr std::uint16_t kStAttestCertify = 0x8017;
inline constexpr std::uint16_t kStAttestCreation = 0x801A;
inline constexpr std::uint16_t kStAttestNv = 0x8014;

// The hash behind a TPM hash algorithm id; nullptr when unknown.
const EVP_MD* evpHash(std::uint16_t hashAlg);
// Digest size in bytes; 0 when unknown.
std::size_t digestSize(std::uint16_t hashAlg);
std::string_view hashName(std::uint16_t hashAlg);   // "sha256", "" when unknown
std::uint16_t hashFromName(std::string_view name);  // 0 when unknown
Bytes hashBytes(std::uint16_t hashAlg, const std::uint8_t* data, std::size_t size);
inline Bytes hashBytes(std::uint16_t hashAlg, const Bytes& b) {
  return hashBytes(hashAlg, b.data(), b.size());
}

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// A TPMT_PUBLIC parsed once from its exact bytes. The Name is computed from those same bytes, so
// the key the verifier trusts and the Name bound by MakeCredential cannot drift apart.
struct TpmPublic {
  Bytes bytes;  // the exact marshalled TPMT_PUBLIC (no TPM2B size prefix)
  Bytes name;   // UINT16_BE(nameAlg) || H_nameAlg(bytes)
  std::uint16_t type = 0;
  std::uint16_t nameAlg = 0;
  std::uint32_t attributes = 0;
  Bytes authPolicy;
  // Symmetric definition of a storage parent (EK): AES-128-CFB on the default templates.
  std::uint16_t symAlg = alg::kNull;
  std::uint16_t symKeyBits = 0;
  std::uint16_t symMode = alg::kNull;
  // Signing scheme pinned in the key (AK); kNull if the key leaves it to the caller.
  std::uint16_t scheme = alg::kNull;
  std::uint16_t schemeHash = alg::kNull;
  // RSA
  std::uint16_t rsaBits = 0;
  std::uint32_t rsaExponent = 0;  // 0 means 65537
  Bytes rsaModulus;
  // ECC
  std::uint16_t curve = 0;
  Bytes eccX;
  Bytes eccY;

  // "rsa2048", "rsa3072", "ecc_nist_p256", "ecc_nist_p384", … ("" when unsupported)
  [[nodiscard]] std::string algorithmName() const;
  [[nodiscard]] Bytes nameSha256() const;  // SHA-256 of bytes: the device identity for an EK
};

// Bounds for untrusted input.
inline constexpr std::size_t kMaxPublicBytes = 1024;
inline constexpr std::size_t kMaxAttestBytes = 2048;
inline constexpr std::size_t kMaxSignatureBytes = 1024;

// TPMT_PUBLIC bytes (no size prefix). Rejects trailing bytes and unsupported types.
Result<TpmPublic> parseTpmtPublic(const Bytes& bytes);
// TPM2B_PUBLIC bytes (UINT16 size prefix, then TPMT_PUBLIC). The size must cover exactly the rest.
Result<TpmPublic> parseTpm2bPublic(const Bytes& bytes);
// Either: a TPM2B_PUBLIC if its size prefix matches, otherwise a bare TPMT_PUBLIC.
Result<TpmPublic> parsePublicAuto(const Bytes& bytes);

// The OpenSSL key of an RSA or ECC (P-256/P-384/P-521) public area.
Result<EvpPkeyPtr> toEvpKey(const TpmPublic& pub);
// True if two OpenSSL public keys are the same key (used for EK cert vs EK public).
bool sameKey(EVP_PKEY* a, EVP_PKEY* b);

struct PcrSelection {
  std::uint16_t hashAlg = 0;
  std::vector<std::uint32_t> pcrs;  // ascending
  bool operator==(const PcrSelection&) const = default;
};

struct ClockInfo {
  std::uint64_t clock = 0;
  std::uint32_t resetCount = 0;
  std::uint32_t restartCount = 0;
  bool safe = false;
};

// TPMS_ATTEST with the quote body decoded when type == QUOTE. magic and type are reported as
// found: the checks belong to the verifier, not the parser.
struct TpmsAttest {
  Bytes bytes;  // the exact signed bytes
  std::uint32_t magic = 0;
  std::uint16_t type = 0;
  Bytes qualifiedSigner;
  Bytes extraData;
  ClockInfo clockInfo;
  std::uint64_t firmwareVersion = 0;
  std::vector<PcrSelection> pcrSelect;  // quote only, in the signed order
  Bytes pcrDigest;                      // quote only
};

// TPMS_ATTEST bytes; a TPM2B_ATTEST (size prefix equal to the remainder) is accepted as well.
// Rejects trailing bytes.
Result<TpmsAttest> parseAttest(const Bytes& bytes);

struct TpmSignature {
  std::uint16_t sigAlg = 0;
  std::uint16_t hashAlg = 0;
  Bytes rsaSig;  // RSASSA / RSAPSS
  Bytes eccR;    // ECDSA
  Bytes eccS;
};

// TPMT_SIGNATURE bytes. Rejects trailing bytes and algorithms other than RSASSA/RSAPSS/ECDSA.
Result<TpmSignature> parseSignature(const Bytes& bytes);

// Verifies `sig` over `message` (hashed with sig.hashAlg) with `key` (RSASSA, RSAPSS with salt
// length auto-detected, ECDSA). Error code "signature".
Status verifySignature(EVP_PKEY* key, const TpmSignature& sig, const Bytes& message);
// Same over an already computed digest.
Status verifySignatureDigest(EVP_PKEY* key, const TpmSignature& sig, const Bytes& digest);

// Big-endian writers (used by MakeCredential and tests that build structures).
void putU16(Bytes& out, std::uint16_t v);
void putU32(Bytes& out, std::uint32_t v);
void putU64(Bytes& out, std::uint64_t v);
void putTpm2b(Bytes& out, const Bytes& v);

}  // namespace pb::attest
