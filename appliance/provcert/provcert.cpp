// SPDX-License-Identifier: Apache-2.0
#include "provcert/provcert.hpp"

#include <algorithm>
#include <ctime>
#include <memory>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/bytes.hpp"
#include "core/files.hpp"
#include "core/openssl_ptr.hpp"
#include "core/reasons.hpp"

namespace pb {

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::size_t kMaxRevoked = 1'000'000;

std::string nameText(const X509_NAME* name) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* p = nullptr;
  long n = BIO_get_mem_data(out.get(), &p);
  return n > 0 ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}

std::optional<std::int64_t> unixTime(const ASN1_TIME* t) {
  if (t == nullptr) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string serialHex(const ASN1_INTEGER* serial) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(serial, nullptr), BN_free);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return {};
  std::string s(hex);
  OPENSSL_free(hex);
  return s;
}

// Whole days until notAfter, rounded towards "less time left" (floor), negative once expired.
std::int64_t wholeDaysLeft(std::int64_t notAfter, std::int64_t now) {
  const std::int64_t left = notAfter - now;
  return left >= 0 ? left / kDay : -((-left + kDay - 1) / kDay);
}

ProvCertStatus make(ProvCertLevel level, std::string_view code, std::string message) {
  ProvCertStatus s;
  s.level = level;
  s.usable = level == ProvCertLevel::Ok || level == ProvCertLevel::Warning ||
             level == ProvCertLevel::Error;
  s.code = std::string(code);
  s.message = std::move(message);
  return s;
}

}  // namespace

std::string_view toString(ProvCertLevel level) {
  switch (level) {
    case ProvCertLevel::NotConfigured:
      return "not_configured";
    case ProvCertLevel::Ok:
      return "ok";
    case ProvCertLevel::Warning:
      return "warning";
    case ProvCertLevel::Error:
      return "error";
    case ProvCertLevel::Unusable:
      return "unusable";
  }
  return "unusable";
}

Result<ProvCertInfo> parseProvCertPem(std::string_view pem) {
  if (pem.size() > kMaxProvCertFileBytes)
    return makeError("provcert", "certificate file too large");
  BioPtr in = memBio(pem);
  if (!in) return makeError("provcert", "out of memory");
  X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return makeError("provcert", "no PEM certificate found");
  ProvCertInfo info;
  info.subject = nameText(X509_get_subject_name(cert.get()));
  info.issuer = nameText(X509_get_issuer_name(cert.get()));
  info.serialHex = serialHex(X509_get0_serialNumber(cert.get()));
  auto nb = unixTime(X509_get0_notBefore(cert.get()));
  auto na = unixTime(X509_get0_notAfter(cert.get()));
  if (!nb || !na) return makeError("provcert", "certificate validity dates cannot be read");
  info.notBefore = *nb;
  info.notAfter = *na;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1) {
    return makeError("provcert", "cannot hash the certificate");
  }
  info.sha256 = toHex(md, len);
  return info;
}

Result<CrlInfo> parseCrl(std::string_view data) {
  if (data.size() > kMaxCrlFileBytes) return makeError("provcert", "CRL file too large");
  X509CrlPtr crl;
  if (data.find("-----BEGIN X509 CRL-----") != std::string_view::npos) {
    BioPtr in = memBio(data);
    if (in) crl.reset(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  }
  if (!crl) return makeError("provcert", "not a CRL (PEM or DER)");
  CrlInfo info;
  info.issuer = nameText(X509_CRL_get_issuer(crl.get()));
  auto last = unixTime(X509_CRL_get0_lastUpdate(crl.get()));
  if (!last) return makeError("provcert", "CRL lastUpdate cannot be read");
  info.lastUpdate = *last;
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
    auto n = unixTime(next);
    if (!n) return makeError("provcert", "CRL nextUpdate cannot be read");
    info.nextUpdate = *n;
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  const int count = revoked != nullptr ? sk_X509_REVOKED_num(revoked) : 0;
  if (count < 0 || static_cast<std::size_t>(count) > kMaxRevoked) {
    return makeError("provcert", "CRL lists too many certificates");
  }
  info.revokedSerialsHex.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    info.revokedSerialsHex.push_back(serialHex(X509_REVOKED_get0_serialNumber(r)));
  }
  return info;
}

ProvCertStatus judgeProvCert(const ProvCertInfo& cert, const std::optional<CrlInfo>& crl,
                             std::int64_t now) {
  ProvCertStatus s;
  if (crl) {
    // Without the CA certificate on the bench the CRL's signature is not verified here; a CRL
    // for another issuer or past its nextUpdate says nothing about this certificate, so it is not
    // proof of "not revoked".
    if (crl->issuer != cert.issuer) {
      s = make(ProvCertLevel::Unusable, reason::kProvCertUnavailable,
               "The configured CRL is from another issuer than the provisioning certificate");
    } else if (crl->nextUpdate != 0 && crl->nextUpdate < now) {
      s = make(
          ProvCertLevel::Unusable, reason::kProvCertUnavailable,
          "The configured CRL is out of date (next update was " + formatUtc(crl->nextUpdate) + ")");
    } else if (std::find(crl->revokedSerialsHex.begin(), crl->revokedSerialsHex.end(),
                         cert.serialHex) != crl->revokedSerialsHex.end()) {
      s = make(
          ProvCertLevel::Unusable, reason::kProvCertRevoked,
          "The AMT provisioning certificate (serial " + cert.serialHex + ") is revoked by the CRL");
    }
  }
  if (s.level == ProvCertLevel::NotConfigured) {
    const std::int64_t days = wholeDaysLeft(cert.notAfter, now);
    if (now < cert.notBefore) {
      s = make(ProvCertLevel::Unusable, reason::kProvCertExpired,
               "The AMT provisioning certificate is not valid before " + formatUtc(cert.notBefore));
    } else if (now >= cert.notAfter) {
      s = make(ProvCertLevel::Unusable, reason::kProvCertExpired,
               "The AMT provisioning certificate expired on " + formatUtc(cert.notAfter));
    } else if (days <= kProvCertErrorDays) {
      s = make(ProvCertLevel::Error, reason::kProvCertExpiringSoon,
               "The AMT provisioning certificate expires in " + std::to_string(days) + " days (" +
                   formatUtc(cert.notAfter) + ")");
    } else if (days <= kProvCertWarnDays) {
      s = make(ProvCertLevel::Warning, reason::kProvCertExpiring,
               "The AMT provisioning certificate expires in " + std::to_string(days) + " days (" +
                   formatUtc(cert.notAfter) + ")");
    } else {
      s = make(ProvCertLevel::Ok, "",
               "The AMT provisioning certificate is valid until " + formatUtc(cert.notAfter));
    }
  }
  s.daysLeft = wholeDaysLeft(cert.notAfter, now);
  s.cert = cert;
  s.checkedAt = now;
  return s;
}

ProvCertStatus checkProvCert(const std::string& certPath, const std::string& crlPath,
                             const Clock& clock) {
  const std::int64_t now = clock.nowUnix();
  if (certPath.empty()) {
    ProvCertStatus s =
        make(ProvCertLevel::NotConfigured, "", "No AMT provisioning certificate is configured");
    s.checkedAt = now;
    return s;
  }
  auto unavailable = [&](const std::string& what) {
    ProvCertStatus s = make(ProvCertLevel::Unusable, reason::kProvCertUnavailable, what);
    s.checkedAt = now;
    return s;
  };
  auto pem = readFileBounded(certPath, kMaxProvCertFileBytes);
  if (!pem)
    return unavailable("The AMT provisioning certificate cannot be read: " + pem.error().message);
  auto cert = parseProvCertPem(*pem);
  if (!cert)
    return unavailable("The AMT provisioning certificate cannot be parsed: " +
                       cert.error().message);
  std::optional<CrlInfo> crl;
  if (!crlPath.empty()) {
    auto data = readFileBounded(crlPath, kMaxCrlFileBytes);
    if (!data) return unavailable("The CRL cannot be read: " + data.error().message);
    auto parsed = parseCrl(*data);
    if (!parsed) return unavailable("The CRL cannot be parsed: " + parsed.error().message);
    crl = std::move(*parsed);
  }
  return judgeProvCert(*cert, crl, now);
}

Status requireUsable(const ProvCertStatus& status) {
  if (status.usable) return {};
  if (status.level == ProvCertLevel::NotConfigured) {
    return makeError(std::string(reason::kProvCertUnavailable),
                     "no AMT provisioning certificate is configured");
  }
  return makeError(status.code, status.message);
}

nlohmann::json toJson(const ProvCertStatus& s) {
  nlohmann::json j{{"level", toString(s.level)},
                   {"usable", s.usable},
                   {"code", s.code},
                   {"message", s.message},
                   {"checked_at", s.checkedAt != 0 ? formatUtc(s.checkedAt) : ""}};
  if (s.cert) {
    j["days_left"] = s.daysLeft;
    j["subject"] = s.cert->subject;
    j["issuer"] = s.cert->issuer;
    j["serial"] = s.cert->serialHex;
    j["sha256"] = s.cert->sha256;
    j["not_after"] = formatUtc(s.cert->notAfter);
  }
  return j;
}

}  // namespace pb
