// SPDX-License-Identifier: Apache-2.0
// The device's TPM through tpm2-tss ESAPI: readiness, EK certificate and EK (recreated from the
// TCG template so it matches the certificate), an AK under the EK, credential activation, PCR
// quotes and the KeySignTest signature. The same code drives /dev/tpmrm0 and swtpm; only the TCTI
// string differs, and it is always explicit (never tpm2-tss's NULL/default TCTI).
//
// Every operation leaves the TPM as it found it: transient objects are kept as saved contexts on
// the host and flushed after each call, sessions are flushed, so a resource-manager-less TPM
// never fills up. `handleCounts()` lets tests prove it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

inline constexpr const char* kDefaultTcti = "device:/dev/tpmrm0";

// device:/dev/…, swtpm:… or mssim:… with a configuration; everything else is refused.
bool isAllowedTcti(std::string_view tcti);

enum class TpmReadiness { Ready, Disabled, NotReady, Lockout, Absent };
// "ready", "disabled", "not_ready", "lockout", "absent" (the attest_keys contract).
std::string_view readinessName(TpmReadiness r);

struct TpmInfo {
  TpmReadiness readiness = TpmReadiness::Absent;
  std::string detail;        // one human sentence; never secret
  std::string manufacturer;  // TPM_PT_MANUFACTURER as text, e.g. "IBM"
  std::uint32_t manufacturerId = 0;
  std::string vendorString;  // TPM_PT_VENDOR_STRING_1..4, e.g. "SW   TPM"
  std::string firmware;      // TPM_PT_FIRMWARE_VERSION_1/2 as "a.b.c.d"
  std::uint32_t nvBufferMax = 0;
};

enum class KeyAlgorithm { EccP256, Rsa2048 };
std::string_view keyAlgorithmName(KeyAlgorithm a);  // "ecc_nist_p256" / "rsa2048"
std::optional<KeyAlgorithm> keyAlgorithmFromName(std::string_view name);

// NV indices of the TCG EK Credential Profile (low range) and the high range of certificates.
namespace ek_nv {
inline constexpr std::uint32_t kRsaCert = 0x01C00002;
inline constexpr std::uint32_t kRsaNonce = 0x01C00003;
inline constexpr std::uint32_t kRsaTemplate = 0x01C00004;
inline constexpr std::uint32_t kEccCert = 0x01C0000A;
inline constexpr std::uint32_t kEccNonce = 0x01C0000B;
inline constexpr std::uint32_t kEccTemplate = 0x01C0000C;
inline constexpr std::uint32_t kHighRangeFirst = 0x01C00012;
inline constexpr std::uint32_t kHighRangeLast = 0x01C0001E;
}  // namespace ek_nv

struct EkCertificate {
  std::uint32_t index = 0;
  Bytes der;
};

struct Ek {
  KeyAlgorithm algorithm = KeyAlgorithm::EccP256;
  Bytes publicArea;  // TPM2B_PUBLIC, marshalled
  std::optional<EkCertificate> certificate;
  bool templateFromNv = false;  // 0x01C00004 / 0x01C0000C was used
  bool nonceFromNv = false;     // 0x01C00003 / 0x01C0000B was used
  // Certificates found in the high range (0x01C00012..0x01C0001E). Reported for the operator;
  // their EKs use the high-range templates, which this agent does not recreate (yet).
  std::vector<std::uint32_t> highRangeIndices;
};

struct AkOptions {
  KeyAlgorithm algorithm = KeyAlgorithm::EccP256;
  // Always true in bench-agent. false exists so tests and the simulator can show the verifier
  // rejecting an unrestricted key; no bench-agent option reaches it.
  bool restricted = true;
};

struct Ak {
  KeyAlgorithm algorithm = KeyAlgorithm::EccP256;
  Bytes publicArea;  // TPM2B_PUBLIC, marshalled
  Bytes name;        // nameAlg (2 bytes) || SHA-256(TPMT_PUBLIC)
};

struct PcrExtend {
  unsigned pcr = 0;
  Bytes sha256;  // 32-byte digest extended into the SHA-256 bank
};

// PCR bank read and quoted. SHA-1 only for firmware that measures with SHA-1 only (the appliance
// asks for it when its policy accepts such a device; appliance/attest/PROTOCOL.md step 5b).
enum class TpmBank { Sha256, Sha1 };

struct TpmQuote {
  Bytes attest;                         // TPM2B_ATTEST, marshalled
  Bytes signature;                      // TPMT_SIGNATURE, marshalled
  std::map<unsigned, Bytes> pcrValues;  // the quoted bank, as read right before the quote
  int attempts = 0;                     // quotes made until PCR read and quote agreed
};

struct HandleCounts {
  std::size_t transient = 0;
  std::size_t sessions = 0;  // loaded + saved sessions
};

class TpmDevice {
 public:
  // tcti: "device:/dev/tpmrm0", "device:/dev/tpm0", "swtpm:host=H,port=P" or "mssim:…". Anything
  // else (including "" and tpm2-tss's implicit default) is refused. Failure to open means the
  // device has no usable TPM: the caller reports readiness "absent".
  static Result<std::unique_ptr<TpmDevice>> open(const std::string& tcti);
  ~TpmDevice();
  TpmDevice(const TpmDevice&) = delete;
  TpmDevice& operator=(const TpmDevice&) = delete;

  // Readiness from TPM_PT_PERMANENT / TPM_PT_STARTUP_CLEAR and the error codes met on the way.
  TpmInfo info();

  // The NV indices present in [first, first+count).
  Result<std::vector<std::uint32_t>> nvIndices(std::uint32_t first, std::uint32_t count);
  // Whole content of an NV index (auth read, owner read or platform read, whichever the index
  // allows with an empty authorisation); nullopt when the index does not exist.
  Result<std::optional<Bytes>> readNv(std::uint32_t index, std::size_t maxSize = 4096);

  // Recreates the EK (CreatePrimary in the endorsement hierarchy) from the default TCG template,
  // or from the template / nonce NV indices when present, so it matches its certificate. The
  // algorithm follows the certificate that exists (preferring `preferred`); without any, it is
  // `preferred`.
  Result<Ek> loadEk(KeyAlgorithm preferred);
  // Restricted signing key under the EK (ECDSA-P256/SHA-256 or RSASSA-2048/SHA-256).
  Result<Ak> createAk(const AkOptions& options);
  // TPM2_ActivateCredential(AK, EK) with the PolicySecret(TPM_RH_ENDORSEMENT) session the EK
  // needs. Inputs are TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET as marshalled.
  Result<Bytes> activateCredential(const Bytes& credentialBlob, const Bytes& encryptedSecret);

  Result<std::map<unsigned, Bytes>> readPcrs(const std::vector<unsigned>& pcrs,
                                             TpmBank bank = TpmBank::Sha256);
  // Quote of the SHA-256 (or `bank`) bank over `pcrs` with `nonce` as qualifying data, retried (up
  // to maxAttempts) until the PCR values read alongside hash to the quote's pcrDigest. `afterRead`
  // runs between the PCR read and the quote of each attempt: a test seam to change a PCR at exactly
  // the wrong moment (the race the retry exists for).
  Result<TpmQuote> quote(const Bytes& nonce, const std::vector<unsigned>& pcrs, int maxAttempts = 4,
                         const std::function<void(int attempt)>& afterRead = {},
                         TpmBank bank = TpmBank::Sha256);
  // KeySignTest: TPM2_Hash(challenge) in the owner hierarchy, then TPM2_Sign by the AK with the
  // hash ticket. A restricted key only signs digests the TPM itself computed this way, so a
  // valid signature shows the AK lives in this TPM. Returns TPMT_SIGNATURE, marshalled.
  Result<Bytes> signChallenge(const Bytes& challenge);

  // Provisioning used by the simulator (platform authorisation, which firmware owns on real
  // machines; it fails there once the OS runs, as it should).
  Status extendPcr(const PcrExtend& e);
  Status writePlatformNv(std::uint32_t index, const Bytes& data, bool writeLock);

  Result<HandleCounts> handleCounts();

  // Wall time spent waiting on the TPM since open() or the last reset.
  [[nodiscard]] std::chrono::microseconds tpmTime() const { return tpmTime_; }
  void resetTpmTime() { tpmTime_ = {}; }

 private:
  struct Impl;
  explicit TpmDevice(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::chrono::microseconds tpmTime_{0};
};

}  // namespace pb
