// SPDX-License-Identifier: Apache-2.0
// Judging a parsed platform certificate: its signature chain against the OEM roots the policy
// names, its validity, that its holder is the EK certificate the TPM just proved, and that the
// platform identity and components it certifies are the ones in front of the bench.
// Each finding carries its own reason code (PB-3100..PB-3108) so the technician sees which check
// failed; the caller decides the device state (a serial mismatch quarantines).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <openssl/x509.h>

#include "attest/ek_cert.hpp"
#include "platcert/platform_cert.hpp"

namespace pb::platcert {

enum class PlatformCertMode { Require, VerifyIfPresent, Ignore };
// "require" | "verify_if_present" | "ignore"; nullopt for anything else.
std::optional<PlatformCertMode> parsePlatformCertMode(std::string_view text);

class OemTrustStore {
 public:
  OemTrustStore();
  ~OemTrustStore();
  OemTrustStore(OemTrustStore&&) noexcept;
  OemTrustStore& operator=(OemTrustStore&&) noexcept;
  OemTrustStore(const OemTrustStore&) = delete;
  OemTrustStore& operator=(const OemTrustStore&) = delete;

  // PEM files in the directories; an empty or unreadable roots directory is an error.
  static Result<OemTrustStore> load(const std::string& rootsDir,
                                    const std::string& intermediatesDir);
  void addRoot(X509* cert);          // takes a reference
  void addIntermediate(X509* cert);  // takes a reference
  [[nodiscard]] std::size_t rootCount() const { return roots_.size(); }

  // The issuer certificate is found by name among the roots and intermediates; the certificate's
  // signature must verify with its key (PB-3103), and the issuer must chain to a root at `now`
  // (PB-3102). Validity of the platform certificate itself is checked by checkPlatformCertificate.
  [[nodiscard]] Status verifySignature(const PlatformCertificate& pc, std::int64_t now) const;

 private:
  X509_STORE* store_ = nullptr;
  std::vector<attest::X509Ptr> roots_;
  std::vector<attest::X509Ptr> intermediates_;
};

// What the bench knows about the device independently of the certificate.
struct DeviceIdentity {
  X509* ekCertificate = nullptr;  // the EK certificate the attestation verified
  std::string registerSerial;     // asset register
  std::string claimedSerial;      // SMBIOS, as the agent reported it
  std::string claimedModel;       // SMBIOS product name
  bool componentsReported = false;
  std::vector<Component> components;  // what the agent found (manufacturer, model, serial)
};

struct Finding {
  std::string code;    // PB-31xx
  std::string detail;  // for the audit log and kiosk detail; no secrets
};

// Every finding, trust findings first; empty when the certificate is good for this device.
// Serial and model comparisons ignore surrounding whitespace; model compares case-insensitively.
std::vector<Finding> checkPlatformCertificate(const PlatformCertificate& pc,
                                              const OemTrustStore& trust,
                                              const DeviceIdentity& device, std::int64_t now);

// The policy entry point: no certificate is PB-3100 under `require` and fine otherwise; a
// certificate that does not parse is PB-3101; `ignore` never looks at the bytes.
std::vector<Finding> judgePlatformCertificate(PlatformCertMode mode, const Bytes& der,
                                              const OemTrustStore& trust,
                                              const DeviceIdentity& device, std::int64_t now);

}  // namespace pb::platcert
