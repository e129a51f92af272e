// SPDX-License-Identifier: Apache-2.0
// The bench's own AMT provisioning certificate (bench.yaml amt_provisioning.certificate, issued by
// the internal CA). AMT does not check revocation or expiry of the certificate that provisions it
// (shared/reference/amt.md §14.2), so the bench must:
//
//   more than 40 days left        ok
//   ≤ 40 days                     warning  PB-2050   (still used)
//   ≤ 15 days                     error    PB-2051   (still used, loudly)
//   expired or not yet valid      unusable PB-2052
//   serial listed in the CRL      unusable PB-2053
//   file or CRL unreadable, CRL from another issuer or out of date
//                                 unusable PB-2054
//
// "Unusable" means never used: provisioning that needs it stops with that code (requireUsable).
// Judging is pure (judgeProvCert) so the windows are tested with an injected time; checkProvCert
// reads the files. Nothing here ever touches a private key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace pb {

inline constexpr std::int64_t kProvCertWarnDays = 40;
inline constexpr std::int64_t kProvCertErrorDays = 15;
inline constexpr std::size_t kMaxProvCertFileBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxCrlFileBytes = std::size_t{8} * 1024 * 1024;

struct ProvCertInfo {
  std::string subject;    // RFC 2253
  std::string issuer;     // RFC 2253
  std::string serialHex;  // upper-case hex, no leading zeros
  std::string sha256;     // lower-case hex fingerprint of the DER
  std::int64_t notBefore = 0;
  std::int64_t notAfter = 0;
};

struct CrlInfo {
  std::string issuer;  // RFC 2253
  std::int64_t lastUpdate = 0;
  std::int64_t nextUpdate = 0;  // 0: the CRL names none
  std::vector<std::string> revokedSerialsHex;
};

enum class ProvCertLevel { NotConfigured, Ok, Warning, Error, Unusable };
std::string_view toString(ProvCertLevel level);

struct ProvCertStatus {
  ProvCertLevel level = ProvCertLevel::NotConfigured;
  bool usable = false;  // fail closed
  std::string code;     // PB-205x, "" when ok or not configured
  std::string message;  // one sentence for status / kiosk header; never key material
  std::optional<ProvCertInfo> cert;
  std::int64_t daysLeft = 0;  // whole days until notAfter (negative once expired)
  std::int64_t checkedAt = 0;
};

// The first certificate of a PEM file.
Result<ProvCertInfo> parseProvCertPem(std::string_view pem);
// A CRL in PEM or DER.
Result<CrlInfo> parseCrl(std::string_view data);

ProvCertStatus judgeProvCert(const ProvCertInfo& cert, const std::optional<CrlInfo>& crl,
                             std::int64_t now);
// Reads and judges; certPath "" = not configured (nothing to watch, provisioning that needs a
// certificate cannot run either: requireUsable fails).
ProvCertStatus checkProvCert(const std::string& certPath, const std::string& crlPath,
                             const Clock& clock);

// Ok for a usable certificate; otherwise the status's code (PB-2054 when not configured).
Status requireUsable(const ProvCertStatus& status);

// {level, usable, code, message, days_left, checked_at, subject, issuer, serial, sha256,
//  not_after}: the `amt_provisioning_certificate` field of `benchctl status` and the kiosk header.
nlohmann::json toJson(const ProvCertStatus& status);

}  // namespace pb
