// SPDX-License-Identifier: Apache-2.0
#include "provcert/provcert.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "core/reasons.hpp"
#include "provcert/provcert_monitor.hpp"

namespace pb {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kNow = 1'790'000'000;  // 2026-09-21

// A small internal CA that issues provisioning certificates and CRLs for the tests.
class TestCa {
 public:
  TestCa() : key_(EVP_EC_gen("P-256"), EVP_PKEY_free), name_(X509_NAME_new(), X509_NAME_free) {
    X509_NAME_add_entry_by_txt(name_.get(), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Corp Root CA"), -1, -1, 0);
  }

  std::string issue(long serial, std::int64_t notBefore, std::int64_t notAfter,
                    const char* issuerCn = nullptr) const {
    std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), serial);
    ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(notBefore));
    ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(notAfter));
    X509_NAME* subject = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("amtprov.corp.example"), -1,
                               -1, 0);
    if (issuerCn != nullptr) {
      std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> other(X509_NAME_new(), X509_NAME_free);
      X509_NAME_add_entry_by_txt(other.get(), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(issuerCn), -1, -1, 0);
      X509_set_issuer_name(x.get(), other.get());
    } else {
      X509_set_issuer_name(x.get(), name_.get());
    }
    X509_set_pubkey(x.get(), key_.get());
    X509_sign(x.get(), key_.get(), EVP_sha256());
    return pem([&](BIO* b) { return PEM_write_bio_X509(b, x.get()); });
  }

  std::string crl(const std::vector<long>& revoked, std::int64_t lastUpdate,
                  std::int64_t nextUpdate, bool der = false) const {
    std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> c(X509_CRL_new(), X509_CRL_free);
    X509_CRL_set_version(c.get(), 1);
    X509_CRL_set_issuer_name(c.get(), name_.get());
    std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> last(
        ASN1_TIME_set(nullptr, static_cast<time_t>(lastUpdate)), ASN1_TIME_free);
    std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(
        ASN1_TIME_set(nullptr, static_cast<time_t>(nextUpdate)), ASN1_TIME_free);
    X509_CRL_set1_lastUpdate(c.get(), last.get());
    X509_CRL_set1_nextUpdate(c.get(), next.get());
    for (long serial : revoked) {
      X509_REVOKED* r = X509_REVOKED_new();
      std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> s(ASN1_INTEGER_new(),
                                                                    ASN1_INTEGER_free);
      ASN1_INTEGER_set(s.get(), serial);
      X509_REVOKED_set_serialNumber(r, s.get());
      X509_REVOKED_set_revocationDate(r, last.get());
      X509_CRL_add0_revoked(c.get(), r);
    }
    X509_CRL_sort(c.get());
    X509_CRL_sign(c.get(), key_.get(), EVP_sha256());
    if (der) {
      unsigned char* out = nullptr;
      int n = i2d_X509_CRL(c.get(), &out);
      std::string s(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
      OPENSSL_free(out);
      return s;
    }
    return pem([&](BIO* b) { return PEM_write_bio_X509_CRL(b, c.get()); });
  }

 private:
  template <class F>
  static std::string pem(F write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    std::string s(p, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
  }

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)> name_;
};

const TestCa& ca() {
  static const TestCa kCa;
  return kCa;
}

ProvCertStatus judgeWithDaysLeft(std::int64_t days) {
  auto cert = parseProvCertPem(ca().issue(1001, kNow - 300 * kDay, kNow + days * kDay));
  EXPECT_TRUE(cert.ok());
  return judgeProvCert(*cert, std::nullopt, kNow);
}

TEST(ProvCert, ParsesTheCertificate) {
  auto cert = parseProvCertPem(ca().issue(0x1A2B, kNow - kDay, kNow + 100 * kDay));
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_EQ(cert->subject, "CN=amtprov.corp.example");
  EXPECT_EQ(cert->issuer, "CN=Corp Root CA");
  EXPECT_EQ(cert->serialHex, "1A2B");
  EXPECT_EQ(cert->notAfter, kNow + 100 * kDay);
  EXPECT_EQ(cert->sha256.size(), 64U);
  EXPECT_FALSE(parseProvCertPem("not a certificate").ok());
  EXPECT_FALSE(parseProvCertPem(std::string(kMaxProvCertFileBytes + 1, 'A')).ok());
}

TEST(ProvCert, ExpiryWindowsAt41_40_16_15_0Days) {
  auto d41 = judgeWithDaysLeft(41);
  EXPECT_EQ(d41.level, ProvCertLevel::Ok);
  EXPECT_TRUE(d41.usable);
  EXPECT_TRUE(d41.code.empty());
  EXPECT_EQ(d41.daysLeft, 41);

  auto d40 = judgeWithDaysLeft(40);
  EXPECT_EQ(d40.level, ProvCertLevel::Warning);
  EXPECT_EQ(d40.code, reason::kProvCertExpiring);
  EXPECT_TRUE(d40.usable);
  EXPECT_NE(d40.message.find("expires in 40 days"), std::string::npos) << d40.message;

  auto d16 = judgeWithDaysLeft(16);
  EXPECT_EQ(d16.level, ProvCertLevel::Warning);

  auto d15 = judgeWithDaysLeft(15);
  EXPECT_EQ(d15.level, ProvCertLevel::Error);
  EXPECT_EQ(d15.code, reason::kProvCertExpiringSoon);
  EXPECT_TRUE(d15.usable) << "still used, but loudly";

  auto d0 = judgeWithDaysLeft(0);
  EXPECT_EQ(d0.level, ProvCertLevel::Unusable);
  EXPECT_EQ(d0.code, reason::kProvCertExpired);
  EXPECT_FALSE(d0.usable);
  auto required = requireUsable(d0);
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.error().code, reason::kProvCertExpired);
}

TEST(ProvCert, ExpiredAndNotYetValidAreNeverUsed) {
  auto past = judgeWithDaysLeft(-3);
  EXPECT_FALSE(past.usable);
  EXPECT_EQ(past.daysLeft, -3);
  EXPECT_NE(past.message.find("expired on"), std::string::npos);
  auto cert = parseProvCertPem(ca().issue(7, kNow + kDay, kNow + 400 * kDay));
  ASSERT_TRUE(cert.ok());
  auto future = judgeProvCert(*cert, std::nullopt, kNow);
  EXPECT_FALSE(future.usable);
  EXPECT_EQ(future.code, reason::kProvCertExpired);
  // One second before expiry: 0 whole days left, still usable (error level).
  auto edge = parseProvCertPem(ca().issue(8, kNow - kDay, kNow + 1));
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(judgeProvCert(*edge, std::nullopt, kNow).level, ProvCertLevel::Error);
}

TEST(ProvCert, ListedInTheCrlIsNeverUsedEvenWithYearsLeft) {
  auto cert = parseProvCertPem(ca().issue(1001, kNow - kDay, kNow + 700 * kDay));
  ASSERT_TRUE(cert.ok());
  for (bool der : {false, true}) {
    auto crl = parseCrl(ca().crl({55, 1001}, kNow - kDay, kNow + 7 * kDay, der));
    ASSERT_TRUE(crl.ok()) << crl.error().message;
    EXPECT_EQ(crl->revokedSerialsHex.size(), 2U);
    auto s = judgeProvCert(*cert, crl.value(), kNow);
    EXPECT_EQ(s.level, ProvCertLevel::Unusable);
    EXPECT_EQ(s.code, reason::kProvCertRevoked);
    EXPECT_FALSE(s.usable);
  }
  auto clean = parseCrl(ca().crl({55}, kNow - kDay, kNow + 7 * kDay));
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(judgeProvCert(*cert, clean.value(), kNow).level, ProvCertLevel::Ok);
}

TEST(ProvCert, StaleOrForeignCrlIsNoProofOfNotRevoked) {
  auto cert = parseProvCertPem(ca().issue(1001, kNow - kDay, kNow + 700 * kDay));
  ASSERT_TRUE(cert.ok());
  auto stale = parseCrl(ca().crl({}, kNow - 30 * kDay, kNow - kDay));
  ASSERT_TRUE(stale.ok());
  auto s = judgeProvCert(*cert, stale.value(), kNow);
  EXPECT_EQ(s.code, reason::kProvCertUnavailable);
  EXPECT_FALSE(s.usable);
  auto foreign = parseProvCertPem(ca().issue(1001, kNow - kDay, kNow + 700 * kDay, "Other CA"));
  auto crl = parseCrl(ca().crl({}, kNow - kDay, kNow + 7 * kDay));
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE(crl.ok());
  EXPECT_EQ(judgeProvCert(*foreign, crl.value(), kNow).code, reason::kProvCertUnavailable);
  EXPECT_FALSE(parseCrl("garbage").ok());
}

class ProvCertFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-provcert-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  std::string dir_;
};

TEST_F(ProvCertFilesTest, ChecksFilesAndFailsClosedOnMissingOnes) {
  FixedClock clock(kNow);
  auto certPath = write("prov.pem", ca().issue(1001, kNow - kDay, kNow + 30 * kDay));
  auto crlPath = write("ca.crl", ca().crl({}, kNow - kDay, kNow + 7 * kDay));
  auto s = checkProvCert(certPath, crlPath, clock);
  EXPECT_EQ(s.level, ProvCertLevel::Warning);
  auto j = toJson(s);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["days_left"], 30);
  EXPECT_EQ(j["serial"], "03E9");

  EXPECT_EQ(checkProvCert(dir_ + "/absent.pem", "", clock).code, reason::kProvCertUnavailable);
  EXPECT_EQ(checkProvCert(certPath, dir_ + "/absent.crl", clock).code,
            reason::kProvCertUnavailable);
  auto none = checkProvCert("", "", clock);
  EXPECT_EQ(none.level, ProvCertLevel::NotConfigured);
  EXPECT_FALSE(requireUsable(none).ok());
}

TEST_F(ProvCertFilesTest, MonitorEvaluatesAtStartAndOnEveryTick) {
  FixedClock clock(kNow);
  auto certPath = write("prov.pem", ca().issue(1001, kNow - kDay, kNow + 41 * kDay));
  std::FILE* devNull = std::fopen("/dev/null", "w");
  Logger log(devNull);
  boost::asio::io_context io;
  std::vector<ProvCertLevel> seen;
  ProvCertMonitor* self = nullptr;
  // A zero interval stands in for "a day later": the injected clock moves a day per tick.
  ProvCertMonitor monitor(
      io.get_executor(), certPath, "", clock, log,
      [&](const ProvCertStatus& s) {
        seen.push_back(s.level);
        clock.advance(kDay);
        if (seen.size() == 27 && self != nullptr) self->stop();
      },
      std::chrono::seconds(0));
  self = &monitor;
  monitor.start();
  EXPECT_EQ(monitor.status().level, ProvCertLevel::Ok) << "judged synchronously at start";
  io.run();
  ASSERT_EQ(seen.size(), 27U);
  EXPECT_EQ(seen[0], ProvCertLevel::Ok);        // 41 days
  EXPECT_EQ(seen[1], ProvCertLevel::Warning);   // 40
  EXPECT_EQ(seen[25], ProvCertLevel::Warning);  // 16
  EXPECT_EQ(seen[26], ProvCertLevel::Error);    // 15
  EXPECT_EQ(monitor.evaluations(), 27);
  std::fclose(devNull);
}

}  // namespace
}  // namespace pb
