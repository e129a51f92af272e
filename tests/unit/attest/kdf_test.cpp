// SPDX-License-Identifier: Apache-2.0
// KDFa / KDFe against published vectors: google/go-tpm tpm2/test/testvectors/kdfa.json and
// kdfe.json (the vector names are kept so they can be found there).
#include "attest/kdf.hpp"

#include <gtest/gtest.h>

#include "attest/tpm_types.hpp"

namespace pb::attest {
namespace {

struct Vector {
  const char* name;
  std::uint16_t hash;
  const char* key;
  const char* label;
  const char* u;
  const char* v;
  std::uint32_t bits;
  const char* result;
};

Bytes hex(const char* s) {
  auto b = fromHex(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

TEST(Kdfa, GoTpmVectors) {
  const Vector vectors[] = {
      {"00_SHA1_140", alg::kSha1, "ff", "CFB", "86ed23c15d086e70a8eae700680e75d20cff",
       "51122c5879b277ff", 140, "0d0be71c885d10eb61f2219000885c2d7658"},
      {"28_SHA256_17", alg::kSha256, "ff5625623188b99180b53e96108e3e01d19c18db598631d56c",
       "STORAGE", "ef12916d91f3ed8355f100ef7d3553ff69eb63edd59a0048eeda77", "800bce408c34f800", 17,
       "0051bb"},
      {"30_SHA256_200", alg::kSha256, "", "SECRET", "fbf51f160255018bbc8efea4c36ac4fb4cbba34e9eff",
       "3cea0fdc2600", 200, "a26c73dca13a265e09eec4b0abc4ecb2bf8d26db04e8823ee6"},
      {"38_SHA256_552", alg::kSha256,
       "e38573d849a5cfc9973f58b4535e42b7c08ef28b1b3e775375b5c66b9644be", "STORAGE",
       "00586dccbebc998087e4", "", 552,
       "968f349b066ed26be3bd4e78333eb5c5b51c26ea376efe5dfaf061a2cf7f5eb82e4fcc2a30736e30f12b48ab17e"
       "fd1"
       "0576a4cf33450324b3f20011628df7a07c411f8c0f6c"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(toHex(kdfa(v.hash, hex(v.key), v.label, hex(v.u), hex(v.v), v.bits)), v.result)
        << v.name;
  }
}

TEST(Kdfa, RejectsUnknownHashAndZeroBits) {
  EXPECT_TRUE(kdfa(0x0099, Bytes{1}, "STORAGE", {}, {}, 128).empty());
  EXPECT_TRUE(kdfa(alg::kSha256, Bytes{1}, "STORAGE", {}, {}, 0).empty());
}

TEST(Kdfe, GoTpmVectors) {
  const Vector vectors[] = {
      {"04_SHA1_320", alg::kSha1, "fffaefd2dcf59ac10ffee96d388ecc7fa0274b25", "INTEGRITY",
       "ff7876ca3325140c1739", "ffdaea80b8", 320,
       "39bde917d4529cfb171ebb49c8aa83777481f50cf0df162c3f12b9c8ab21ddcbed2e8a8b688c8b66"},
      {"25_SHA256_241", alg::kSha256,
       "abfeed98891b58d2f881537fba2c215653f8b91b8a131b61f0b72de7ccd07a", "IDENTITY",
       "71a10284e793bd38f61e6aef1cbfa131c3ad546e72421fe4a3ff",
       "64cc0fac59f45b9b2ace75856f409ac830ccc64f2fff", 241,
       "00f17279fc5b8f842d30fbe5a7afc109468671e6da33fec996d6a7c170e37f"},
      {"33_SHA256_6", alg::kSha256, "00", "IDENTITY", "9829e2f54b5aeb6e73a154b17de184876400", "00",
       6, "31"},
      {"37_SHA256_728", alg::kSha256, "6cbfdee9e66367b676", "STORAGE", "c303fe79ff",
       "79e34519a8a32f13d400", 728,
       "e59560660988b3d66e3a76bcc96110cc199bfa0418dca315f7070619e04fa0b6cdb2912db3786aaa34f2cad7dce"
       "e560e"
       "ed2b4c3f7566e533e4a3bba9c9364397dd2ce45a0b85dde5c83fea27b4fb20bb0125346d24e5d9321f81b2"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(toHex(kdfe(v.hash, hex(v.key), v.label, hex(v.u), hex(v.v), v.bits)), v.result)
        << v.name;
  }
}

TEST(Kdfe, DifferentLabelGivesDifferentKey) {
  Bytes z = hex("00112233");
  EXPECT_NE(kdfe(alg::kSha256, z, "IDENTITY", {}, {}, 256),
            kdfe(alg::kSha256, z, "STORAGE", {}, {}, 256));
}

}  // namespace
}  // namespace pb::attest
