// SPDX-License-Identifier: Apache-2.0
// Hello parser on the reference's worked example (amt.md §11.3: the MeshCentral sample, 25-byte
// header + 24 SHA-256 entries = 841 bytes, entries = §9.3 rows 1-24 in order) and on garbage.
#include "amt/hello_packet.hpp"

#include <gtest/gtest.h>

#include "amt/amt_sim_config.hpp"

namespace pb {
namespace {

Bytes meshCentralSample() {
  Bytes b = *fromHex(
      "0100"                               // AdminCredentialsSet = 1
      "0300"                               // InterfaceVersion = 3
      "00000000"                           // RetryCount = 0
      "4b529b93d413181de4871c697a6b7a2b"   // DeviceUUID
      "18");                               // HashCount = 24
  for (const auto& h : factoryHashes()) {  // §9.3 rows 1-24, same order
    b.push_back(0x02);
    b.push_back(0x20);
    b.insert(b.end(), h.hash.begin(), h.hash.end());
  }
  return b;
}

TEST(HelloPacket, MeshCentralSample) {
  const Bytes b = meshCentralSample();
  ASSERT_EQ(b.size(), 841u);
  auto h = parseHello(b);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_TRUE(h->adminCredentialsSet);
  EXPECT_EQ(h->interfaceVersion, 3);
  EXPECT_EQ(h->retryCount, 0u);
  EXPECT_EQ(amthi::formatUuid(h->uuid), "939b524b-13d4-1d18-e487-1c697a6b7a2b");
  ASSERT_EQ(h->hashes.size(), 24u);
  EXPECT_EQ(toHex(h->hashes.front().hash),
            "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4");
  EXPECT_EQ(toHex(h->hashes.back().hash),
            "2cabeafe37d06ca22aba7391c0033d25982952c453647349763a3ab5ad6ccf69");
  EXPECT_EQ(helloHashTypeName(h->hashes[1].type), "sha256");
  EXPECT_EQ(buildHello(*h), b);  // the builder reproduces the packet byte for byte
}

TEST(HelloPacket, MixedAlgorithmsRoundTrip) {
  AmtHello h;
  h.retryCount = 14;
  h.uuid[0] = 0x42;
  h.hashes = {{1, Bytes(20, 1)}, {2, Bytes(32, 2)}, {3, Bytes(48, 3)}};
  auto back = parseHello(buildHello(h));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->retryCount, 14u);
  EXPECT_EQ(back->hashes.size(), 3u);
  EXPECT_EQ(back->hashes[2].hash, Bytes(48, 3));
}

TEST(HelloPacket, Garbage) {
  const Bytes good = meshCentralSample();
  EXPECT_EQ(parseHello(Bytes{}).error().code, hello_error::kShort);
  EXPECT_EQ(parseHello(Bytes(good.begin(), good.begin() + 24)).error().code, hello_error::kShort);
  EXPECT_EQ(parseHello(Bytes(kHelloMaxSize + 1, 0)).error().code, hello_error::kTooLarge);
  EXPECT_EQ(parseHello(Bytes(good.begin(), good.end() - 1)).error().code, hello_error::kTruncated);
  EXPECT_EQ(parseHello(Bytes(good.begin(), good.begin() + 26)).error().code,
            hello_error::kTruncated);
  Bytes extra = good;
  extra.push_back(0);
  EXPECT_EQ(parseHello(extra).error().code, hello_error::kTrailing);
  Bytes psk = good;
  psk[2] = 2;  // PSK hellos (v2) are gone since AMT 11
  EXPECT_EQ(parseHello(psk).error().code, hello_error::kVersion);
  Bytes admin = good;
  admin[0] = 7;
  EXPECT_EQ(parseHello(admin).error().code, hello_error::kBadField);
  Bytes type = good;
  type[25] = 9;
  EXPECT_EQ(parseHello(type).error().code, hello_error::kBadField);
  Bytes size = good;
  size[26] = 20;  // SHA-256 entry claiming 20 bytes
  EXPECT_EQ(parseHello(size).error().code, hello_error::kBadField);
  Bytes count = good;
  count[24] = 200;
  EXPECT_EQ(parseHello(count).error().code, hello_error::kBadField);
  Bytes zeroCount(good.begin(), good.begin() + 25);
  zeroCount[24] = 0;
  EXPECT_TRUE(parseHello(zeroCount).ok());
}

}  // namespace
}  // namespace pb
