// SPDX-License-Identifier: Apache-2.0
// The parser against real OEM platform certificates (tests/fixtures/platform_certs, from
// go-attestation's testdata; the expected values are those its parser reports in the *.cer.json
// next to each certificate) and against truncated and mutated input.
#include "platcert/platform_cert.hpp"

#include <gtest/gtest.h>

#include "core/files.hpp"
#include "core/reasons.hpp"
#include "platcert/der_reader.hpp"
#include "platcert/platform_cert_json.hpp"

namespace pb::platcert {
namespace {

Bytes fixture(const std::string& name) {
  auto text = readFileBounded(std::string(PB_PLATCERT_FIXTURES) + "/" + name, 64 * 1024);
  EXPECT_TRUE(text.ok()) << name;
  return text ? Bytes(text->begin(), text->end()) : Bytes{};
}

TEST(PlatformCertParse, IntelNucProfile11WithFourComponents) {
  auto pc = parsePlatformCertificate(fixture("Intel_nuc1.cer"));
  ASSERT_TRUE(pc.ok()) << pc.error().message;
  EXPECT_EQ(pc->version, 2);
  EXPECT_EQ(pc->platformManufacturer, "Intel Corporation");
  EXPECT_EQ(pc->platformModel, "NUC7i5DNHE");
  EXPECT_EQ(pc->platformSerial, "DW1600420300110_BTDN732000QM");
  EXPECT_EQ(pc->platformVersion, "J71739-401");
  EXPECT_EQ(pc->signatureAlgorithm, "1.2.840.113549.1.1.11");
  EXPECT_EQ(pc->platformConfigurationVersion, 1);
  ASSERT_EQ(pc->components.size(), 4U);
  EXPECT_EQ(pc->components[0].manufacturer, "Intel(R) Corporation");
  EXPECT_EQ(pc->components[0].model, "Core i5");
  EXPECT_EQ(pc->components[1].manufacturer, "Samsung");
  EXPECT_EQ(pc->components[1].model, "M471A5143EB0-CPB");
  EXPECT_FALSE(pc->components[1].serial.empty());
  EXPECT_EQ(pc->components[3].model, "Ethernet Connection I219-LM");
  ASSERT_EQ(pc->components[3].addresses.size(), 1U);
  EXPECT_EQ(pc->components[3].addresses[0].type, "2.23.133.17.1");
  EXPECT_EQ(pc->components[3].addresses[0].value, "8c:0f:6f:72:c6:c5");
  EXPECT_EQ(pc->properties.size(), 3U);
  EXPECT_EQ(pc->credentialType, "2.23.133.8.2");
  EXPECT_TRUE(pc->hasPlatformSpecification);
  EXPECT_EQ(pc->platformSpecification.text(), "2.0.1");
  EXPECT_EQ(pc->credentialSpecification.text(), "1.1.9");
  EXPECT_EQ(pc->notBefore, 1538860173);  // 2018-10-06T21:09:33Z
  EXPECT_EQ(pc->notAfter, 1969611782);   // 2032-05-31T10:23:02Z
  EXPECT_EQ(pc->issuer.text().find("CN=www.intel.com"), 0U);
}

TEST(PlatformCertParse, LenovoHolderIsAnStMicroEkCertificate) {
  auto pc = parsePlatformCertificate(fixture("lenovo.cer"));
  ASSERT_TRUE(pc.ok()) << pc.error().message;
  EXPECT_EQ(pc->platformManufacturer, "LENOVO");
  EXPECT_EQ(pc->platformModel, "20L7002BUS");
  EXPECT_EQ(pc->platformVersion, "ThinkPad T480s");
  EXPECT_EQ(pc->platformSerial, "PF0ZAQSW_L1HF7CS001A");
  EXPECT_EQ(pc->holderIssuer.text(),
            "CN=STM TPM EK Intermediate CA 05, O=STMicroelectronics NV, C=CH");
  // 169799846553430907340671867860357675971057306636 (go-attestation's Holder.Serial)
  EXPECT_EQ(toHex(pc->holderSerial), "1dbe16a4fc3109710ad21f2b350ffd17ba604c0c");
  EXPECT_TRUE(pc->components.empty());
}

TEST(PlatformCertParse, IntelServerBoardV1ConfigurationAndPropertiesUri) {
  auto pc = parsePlatformCertificate(fixture("plat_cert1.cer"));
  ASSERT_TRUE(pc.ok()) << pc.error().message;
  EXPECT_EQ(pc->platformManufacturer, "Intel");
  EXPECT_EQ(pc->platformModel, "S2600KP");
  EXPECT_EQ(pc->platformSerial, "BQKP52840678");
  EXPECT_EQ(pc->platformVersion, "H76962-350");
  EXPECT_EQ(pc->platformManufacturerId, "1.3.6.1.4.1.343");
  ASSERT_EQ(pc->components.size(), 1U);
  EXPECT_EQ(pc->components[0].model, "platform2018");
  EXPECT_TRUE(pc->components[0].fieldReplaceable);
  EXPECT_EQ(pc->platformConfigUri, "https://www.intel.com/PCRs.xml");
  EXPECT_TRUE(pc->hasTbbSecurityAssertions);
}

TEST(PlatformCertParse, LegacySha1IntelCertificatesParse) {
  for (const char* name : {"Intel_pc2.cer", "Intel_pc4.cer"}) {
    auto pc = parsePlatformCertificate(fixture(name));
    ASSERT_TRUE(pc.ok()) << name << ": " << pc.error().message;
    EXPECT_EQ(pc->signatureAlgorithm, "1.2.840.113549.1.1.5") << name;
    EXPECT_FALSE(pc->platformModel.empty()) << name;
  }
}

TEST(PlatformCertParse, JsonAndTextNameTheIdentity) {
  auto pc = parsePlatformCertificate(fixture("Intel_nuc1.cer"));
  ASSERT_TRUE(pc.ok());
  auto j = toJson(*pc);
  EXPECT_EQ(j["platform"]["serial"], "DW1600420300110_BTDN732000QM");
  EXPECT_EQ(j["components"].size(), 4U);
  EXPECT_EQ(j["not_before"], "2018-10-06T21:09:33Z");
  auto t = toText(*pc);
  EXPECT_NE(t.find("platform model: NUC7i5DNHE"), std::string::npos);
  EXPECT_NE(t.find("Samsung | M471A5143EB0-CPB | serial "), std::string::npos);
}

TEST(PlatformCertParse, EveryTruncationIsMalformedNotACrash) {
  const Bytes der = fixture("Intel_nuc1.cer");
  for (std::size_t n = 0; n < der.size(); ++n) {
    auto pc = parsePlatformCertificate(std::span<const std::uint8_t>(der.data(), n));
    ASSERT_FALSE(pc.ok()) << n;
    EXPECT_EQ(pc.error().code, reason::kPlatformCertMalformed);
  }
}

TEST(PlatformCertParse, TrailingBytesAndOversizeRefused) {
  Bytes der = fixture("lenovo.cer");
  der.push_back(0);
  EXPECT_FALSE(parsePlatformCertificate(der).ok());
  EXPECT_FALSE(parsePlatformCertificate(Bytes(kMaxPlatformCertBytes + 1, 0x30)).ok());
  EXPECT_FALSE(parsePlatformCertificate(Bytes{}).ok());
}

TEST(PlatformCertParse, SingleByteMutationsNeverCrash) {
  const Bytes der = fixture("plat_cert1.cer");
  for (std::size_t i = 0; i < der.size(); ++i) {
    for (std::uint8_t x : {0x01, 0x80, 0xff}) {
      Bytes m = der;
      m[i] ^= x;
      auto pc = parsePlatformCertificate(m);
      if (!pc.ok()) {
        EXPECT_EQ(pc.error().code, reason::kPlatformCertMalformed) << i;
      }
    }
  }
}

TEST(DerReader, RefusesIndefiniteNonMinimalAndDeepNesting) {
  const Bytes indefinite{0x30, 0x80, 0x00, 0x00};
  EXPECT_FALSE(DerReader(indefinite).next().ok());
  const Bytes nonMinimal{0x04, 0x81, 0x01, 0x00};
  EXPECT_FALSE(DerReader(nonMinimal).next().ok());
  const Bytes longer{0x04, 0x05, 0x00};
  EXPECT_FALSE(DerReader(longer).next().ok());
  const Bytes highTag{0x1f, 0x81, 0x00};
  EXPECT_FALSE(DerReader(highTag).next().ok());
  // kMaxDepth + 2 nested empty SEQUENCEs: entering them all must stop at the limit.
  Bytes deep{0x30, 0x00};
  for (int i = 0; i < kMaxDepth + 1; ++i) {
    Bytes w{0x30, static_cast<std::uint8_t>(deep.size())};
    w.insert(w.end(), deep.begin(), deep.end());
    deep = w;
  }
  DerReader r(deep);
  Status s;
  for (int i = 0; i <= kMaxDepth + 1 && s.ok(); ++i) {
    auto t = r.next();
    if (!t) break;
    auto in = r.enter(*t, "x");
    if (!in) {
      s = in.error();
      break;
    }
    r = *in;
  }
  EXPECT_FALSE(s.ok());
}

TEST(DerReader, DecodesOidsAndTimes) {
  const Bytes o{0x67, 0x81, 0x05, 0x05, 0x01, 0x07, 0x02};
  EXPECT_EQ(*decodeOid(o), "2.23.133.5.1.7.2");
  EXPECT_FALSE(decodeOid(Bytes{0x67, 0x81}).ok());        // truncated arc
  EXPECT_FALSE(decodeOid(Bytes{0x67, 0x80, 0x01}).ok());  // non-minimal arc
  const std::string gt = "20320531102302Z";
  Tlv t;
  t.tag = tag::kGeneralizedTime;
  t.value =
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(gt.data()), gt.size());
  EXPECT_EQ(*decodeTime(t), 1969611782);
  const std::string bad = "20321331102302Z";
  t.value =
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size());
  EXPECT_FALSE(decodeTime(t).ok());
}

}  // namespace
}  // namespace pb::platcert
