// SPDX-License-Identifier: Apache-2.0
// Figure 1: verifier cost per device — EK chain validation, MakeCredential (RSA-2048 EK), quote
// verification (ECDSA P-256 AK) and replay + Secure Boot extraction of a 100-event log — against
// the sum, measured in the same run, of the raw OpenSSL primitives that work needs: two
// certificate signature checks, one RSA-OAEP encryption, one ECDSA verification and the SHA-256
// hashes (100 PCR extends, the attest and the PCR composite). Target: ratio <= 1.5.
// Usage: attest_bench [iterations]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "attest/ek_cert.hpp"
#include "attest/event_log.hpp"
#include "attest/make_credential.hpp"
#include "attest/quote.hpp"
#include "forge.hpp"
#include "test_pki.hpp"

namespace {

using namespace pb;          // NOLINT(google-build-using-namespace): bench brevity
using namespace pb::attest;  // NOLINT(google-build-using-namespace)
using Clock = std::chrono::steady_clock;

volatile int sink = 0;
// Keeps results observable so the optimiser cannot drop the work.
template <class T>
void consume(T v) {
  sink = sink + static_cast<int>(v);
}

double perCallMicros(int iterations, const std::function<void()>& fn) {
  for (int i = 0; i < iterations / 10 + 1; ++i) fn();  // warm up
  auto t0 = Clock::now();
  for (int i = 0; i < iterations; ++i) fn();
  auto t1 = Clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 500;
  if (iterations <= 0) iterations = 500;

  // Fixtures: a manufacturer chain (root -> intermediate -> EK cert), an RSA-2048 EK, an ECC AK,
  // a signed quote over PCR 0-7 and the 100-event log those PCRs replay from.
  auto root = testing::makeRootCa("Bench Root");
  auto inter = testing::makeIntermediateCa(root, "Bench EK CA");
  auto ek = testing::makeSoftKey(attr::kFixedTpm | attr::kFixedParent | attr::kSensitiveDataOrigin |
                                     attr::kRestricted | attr::kDecrypt,
                                 true);
  // An EK template is a storage parent: AES-128-CFB, no signing scheme.
  ek.pub.symAlg = alg::kAes;
  ek.pub.symKeyBits = 128;
  ek.pub.symMode = alg::kCfb;
  auto ekCert = testing::issueEkCert(inter, ek.priv.get());
  EkTrustStore store;
  store.addRoot(root.cert.get());
  store.addIntermediate(inter.cert.get());
  auto ak = testing::makeSoftKey();
  auto akKey = toEvpKey(ak.pub).value();

  // 19 fixed events (StartupLocality, CRTM, Secure Boot variables, separators, …) + 81 images.
  auto builder = EventLogBuilder::typicalBoot(true, 100 - 19);
  Bytes logBytes = builder.build();
  auto expected = builder.expectedPcrs(alg::kSha256);
  std::vector<Bytes> values;
  QuoteInput in;
  for (std::uint32_t i = 0; i < 8; ++i) {
    values.push_back(expected.at(i));
    in.pcrValues[alg::kSha256][i] = expected.at(i);
  }
  Bytes nonce = randomBytes(32);
  testing::AttestFields f;
  f.extraData = nonce;
  f.selection = {makeSelection(alg::kSha256, {0, 1, 2, 3, 4, 5, 6, 7})};
  f.pcrDigest = testing::pcrDigestOf(values);
  in.ak = &ak.pub;
  in.akKey = akKey.get();
  in.attest = testing::marshalAttest(f);
  in.signature = testing::signTpm(ak, in.attest);
  in.expectedNonce = nonce;
  in.requested = f.selection;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  auto parsedLog = parseEventLog(logBytes);
  if (!parsedLog || parsedLog->events.size() != 100 || !verifyQuote(in).ok() ||
      !store.verify(ekCert.get(), ek.pub, now).ok()) {
    std::fprintf(stderr, "attest_bench: fixtures do not verify\n");
    return 1;
  }

  // --- the verifier, as benchd runs it per device ---
  double tChain =
      perCallMicros(iterations, [&] { consume(store.verify(ekCert.get(), ek.pub, now).ok()); });
  double tCred = perCallMicros(
      iterations, [&] { consume(makeCredential(ek.pub, ak.pub.name, randomBytes(32)).ok()); });
  double tQuote = perCallMicros(iterations, [&] { consume(verifyQuote(in).ok()); });
  double tLog = perCallMicros(iterations, [&] {
    auto log = parseEventLog(logBytes);
    auto r = checkReplay(log.value(), alg::kSha256, expected);
    consume(extractSecureBoot(log.value(), alg::kSha256, r.verifiedPcrs).ok());
  });
  double verifier = tChain + tCred + tQuote + tLog;

  // --- raw OpenSSL primitives the same work needs ---
  EVP_PKEY* interKey = X509_get0_pubkey(inter.cert.get());
  EVP_PKEY* rootKey = X509_get0_pubkey(root.cert.get());
  double pChain = perCallMicros(iterations, [&] {
    consume(X509_verify(ekCert.get(), interKey) + X509_verify(inter.cert.get(), rootKey));
  });
  double pOaep = perCallMicros(iterations, [&] {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, ek.priv.get(), nullptr);
    EVP_PKEY_encrypt_init(ctx);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256());
    Bytes seed = randomBytes(32);
    unsigned char out[512];
    std::size_t outLen = sizeof out;
    consume(EVP_PKEY_encrypt(ctx, out, &outLen, seed.data(), seed.size()));
    EVP_PKEY_CTX_free(ctx);
  });
  auto sig = parseSignature(in.signature).value();
  Bytes attestDigest = hashBytes(alg::kSha256, in.attest);
  double pVerify = perCallMicros(
      iterations, [&] { consume(verifySignatureDigest(akKey.get(), sig, attestDigest).ok()); });
  Bytes concat;
  for (const auto& v : values) concat.insert(concat.end(), v.begin(), v.end());
  double pHashes = perCallMicros(iterations, [&] {
    Bytes pcr(32, 0);
    Bytes buf(64);
    for (int i = 0; i < 100; ++i) {
      std::copy(pcr.begin(), pcr.end(), buf.begin());
      std::copy(expected.at(7).begin(), expected.at(7).end(), buf.begin() + 32);
      pcr = hashBytes(alg::kSha256, buf);
    }
    consume(hashBytes(alg::kSha256, in.attest).size() + hashBytes(alg::kSha256, concat).size());
  });
  double primitives = pChain + pOaep + pVerify + pHashes;

  std::printf("attest_bench: %d iterations per step (microseconds per device)\n", iterations);
  std::printf(
      "  verifier  EK chain %.1f | MakeCredential %.1f | quote verify %.1f | 100-event log %.1f | "
      "total %.1f\n",
      tChain, tCred, tQuote, tLog, verifier);
  std::printf(
      "  OpenSSL   2 cert sigs %.1f | RSA-OAEP %.1f | ECDSA verify %.1f | hashes %.1f | total "
      "%.1f\n",
      pChain, pOaep, pVerify, pHashes, primitives);
  std::printf("  ratio verifier/primitives = %.2f (target <= 1.5)\n", verifier / primitives);
  return 0;
}
