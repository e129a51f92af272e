// SPDX-License-Identifier: Apache-2.0
// The chain logic on its own, without SQLite.
#include "store/audit_chain.hpp"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace pb {
namespace {

const Bytes kKey(32, 0x5a);

std::vector<AuditRecord> makeChain(int n, const Bytes& key = kKey) {
  std::vector<AuditRecord> out;
  for (int i = 1; i <= n; ++i) {
    AuditRecord r;
    r.seq = i;
    r.time = 1000 + i;
    r.actor = "uid:0";
    r.action = "test.step";
    r.deviceId = "dev-000001";
    r.reason = "PB-100" + std::to_string(i % 10);
    r.details = {{"i", i}, {"text", "caf\xC3\xA9"}};
    EXPECT_TRUE(sealAuditRecord(r, out.empty() ? nullptr : &out.back(), key).ok());
    out.push_back(std::move(r));
  }
  return out;
}

TEST(AuditChain, CanonicalFormIsUnambiguous) {
  AuditRecord a;
  a.actor = "ab";
  a.action = "c";
  AuditRecord b;
  b.actor = "a";
  b.action = "bc";
  EXPECT_NE(canonicalAuditFields(a), canonicalAuditFields(b));
  EXPECT_NE(computeAuditHash(a), computeAuditHash(b));
  AuditRecord c = a;
  c.details = {{"k", "v"}};
  EXPECT_NE(computeAuditHash(a), computeAuditHash(c));
}

TEST(AuditChain, CanonicalDetailsAreStableAndNeverThrow) {
  nlohmann::json j = {{"z", 1}, {"a", {{"y", 2.5}, {"b", nullptr}}}, {"bad", "\xff\xfe"}};
  std::string once = canonicalAuditDetails(j);
  EXPECT_EQ(once.find(' '), std::string::npos);
  EXPECT_LT(once.find("\"a\""), once.find("\"z\""));  // keys sorted
  EXPECT_EQ(canonicalAuditDetails(nlohmann::json::parse(once)), once);
}

TEST(AuditChain, FirstRecordChainsFromGenesis) {
  auto chain = makeChain(2);
  EXPECT_EQ(chain[0].prevHash, kAuditGenesisHash);
  EXPECT_EQ(chain[1].prevHash, chain[0].hash);
  EXPECT_EQ(chain[0].hash.size(), 64u);
  EXPECT_EQ(chain[0].mac, *computeAuditMac(kKey, chain[0].hash));
  AuditRecord emptyPrev = chain[0];
  emptyPrev.prevHash.clear();  // "" means genesis
  EXPECT_EQ(computeAuditHash(emptyPrev), chain[0].hash);
}

TEST(AuditChain, VerifiesAnIntactChain) {
  auto chain = makeChain(5);
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.records, 5);
  EXPECT_EQ(report.firstBadSeq, 0);
  EXPECT_EQ(report.headHash, chain.back().hash);
  auto empty = verifyAuditChain({}, kKey);
  EXPECT_TRUE(empty.ok);
  EXPECT_EQ(empty.records, 0);
}

TEST(AuditChain, DetectsAnEditedRecord) {
  auto chain = makeChain(5);
  chain[2].details["i"] = 99;
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 3);
  EXPECT_NE(report.problem.find("edited"), std::string::npos) << report.problem;
}

TEST(AuditChain, DetectsAMissingRecord) {
  auto chain = makeChain(5);
  chain.erase(chain.begin() + 1);
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_EQ(report.firstBadSeq, 2);
  EXPECT_NE(report.problem.find("missing"), std::string::npos) << report.problem;
  auto noFirst = makeChain(3);
  noFirst.erase(noFirst.begin());
  EXPECT_EQ(verifyAuditChain(noFirst, kKey).firstBadSeq, 1);
}

TEST(AuditChain, DetectsARecordSealedWithAnotherKey) {
  auto chain = makeChain(4);
  // A forger who recomputes hashes from record 3 on, without the key.
  const Bytes wrong(32, 0x01);
  for (std::size_t i = 2; i < chain.size(); ++i) {
    ASSERT_TRUE(sealAuditRecord(chain[i], &chain[i - 1], wrong).ok());
  }
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_EQ(report.firstBadSeq, 3);
  EXPECT_NE(report.problem.find("invalid MAC"), std::string::npos) << report.problem;
  EXPECT_EQ(verifyAuditChain(makeChain(4), wrong).firstBadSeq, 1);
  auto badHex = makeChain(2);
  badHex[1].mac = "not hex";
  EXPECT_EQ(verifyAuditChain(badHex, kKey).firstBadSeq, 2);
}

TEST(AuditChain, DetectsABrokenLink) {
  auto chain = makeChain(4);
  std::swap(chain[1], chain[2]);
  std::swap(chain[1].seq, chain[2].seq);  // contents swapped, positions kept
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_EQ(report.firstBadSeq, 2);
  EXPECT_NE(report.problem.find("does not link"), std::string::npos) << report.problem;
  auto first = makeChain(2);
  first[0].prevHash = std::string(64, '1');
  EXPECT_NE(verifyAuditChain(first, kKey).problem.find("does not start the chain"),
            std::string::npos);
}

TEST(AuditChain, TailTruncationIsNotDetectableFromTheChainAlone) {
  // Documented limitation: only a head hash kept elsewhere shows that records were cut off.
  auto chain = makeChain(5);
  const std::string head = chain.back().hash;
  chain.pop_back();
  auto report = verifyAuditChain(chain, kKey);
  EXPECT_TRUE(report.ok);
  EXPECT_NE(report.headHash, head);
}

// Sealing fails closed: a record whose MAC cannot be computed (here: no key) is not sealed with an
// empty MAC, and the verifiers report the record instead of accepting it.
TEST(AuditChain, SealingWithoutAKeyFailsInsteadOfWritingAnEmptyMac) {
  AuditRecord r;
  r.seq = 1;
  r.action = "test.step";
  Status st = sealAuditRecord(r, nullptr, Bytes{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "crypto");
  EXPECT_TRUE(r.mac.empty());
  auto chain = makeChain(2);
  auto report = verifyAuditChain(chain, Bytes{});
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.firstBadSeq, 1);
  EXPECT_FALSE(verifyAuditHead(&chain[0], chain[1], Bytes{}).ok);
}

TEST(AuditHead, AcceptsTheNewestRecordAndItsLink) {
  auto chain = makeChain(3);
  auto head = verifyAuditHead(&chain[1], chain[2], kKey);
  EXPECT_TRUE(head.ok) << head.problem;
  EXPECT_EQ(head.records, 1);
  EXPECT_EQ(head.headHash, chain[2].hash);
  EXPECT_TRUE(verifyAuditHead(nullptr, chain[0], kKey).ok);
}

TEST(AuditHead, NamesTheSeqOfAnEditedForgedOrUnlinkedHead) {
  auto chain = makeChain(3);
  AuditRecord edited = chain[2];
  edited.reason = "PB-0000";
  auto r = verifyAuditHead(&chain[1], edited, kKey);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.firstBadSeq, 3);
  EXPECT_NE(r.problem.find("record 3 was edited"), std::string::npos) << r.problem;

  AuditRecord resealed = chain[2];
  ASSERT_TRUE(sealAuditRecord(resealed, &chain[1], Bytes(32, 0x01)).ok());
  r = verifyAuditHead(&chain[1], resealed, kKey);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("invalid MAC"), std::string::npos) << r.problem;

  r = verifyAuditHead(&chain[0], chain[2], kKey);  // record 2 deleted
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("does not follow record 1"), std::string::npos) << r.problem;
  EXPECT_FALSE(verifyAuditHead(nullptr, chain[2], kKey).ok);  // not record 1

  AuditRecord other = chain[0];
  other.hash = std::string(64, 'a');
  other.seq = 2;
  r = verifyAuditHead(&other, chain[2], kKey);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("does not link to record 2"), std::string::npos) << r.problem;
}

}  // namespace
}  // namespace pb
