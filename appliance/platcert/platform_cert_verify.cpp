// SPDX-License-Identifier: Apache-2.0
#include "platcert/platform_cert_verify.hpp"

#include <algorithm>
#include <cctype>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/reasons.hpp"

namespace pb::platcert {

namespace {

Error untrusted(std::string m) {
  return makeError(std::string(reason::kPlatformCertUntrusted), std::move(m));
}
Error badSignature(std::string m) {
  return makeError(std::string(reason::kPlatformCertSignature), std::move(m));
}

// Digest for the signature algorithms OEMs use. SHA-1 (Intel's 2016 certificates) is refused:
// a collision-prone signature cannot carry an identity the bench quarantines on. RSA-PSS is not
// supported yet (no OEM certificate seen uses it).
const EVP_MD* digestFor(const std::string& oid) {
  if (oid == "1.2.840.113549.1.1.11" || oid == "1.2.840.10045.4.3.2") return EVP_sha256();
  if (oid == "1.2.840.113549.1.1.12" || oid == "1.2.840.10045.4.3.3") return EVP_sha384();
  if (oid == "1.2.840.113549.1.1.13" || oid == "1.2.840.10045.4.3.4") return EVP_sha512();
  return nullptr;
}

bool isRsaAlgorithm(const std::string& oid) {
  return oid.rfind("1.2.840.113549.1.1.", 0) == 0;
}

struct NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};

bool signatureVerifies(const PlatformCertificate& pc, EVP_PKEY* key, const EVP_MD* md) {
  const bool rsaKey = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
  if (rsaKey != isRsaAlgorithm(pc.signatureAlgorithm)) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, pc.signature.data(), pc.signature.size(), pc.tbs.data(),
                             pc.tbs.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The holder names the EK certificate by issuer and serial (RFC 5755 §4.2.2): both must match.
bool holderIs(const PlatformCertificate& pc, X509* ek) {
  if (ek == nullptr) return false;
  const unsigned char* p = pc.holderIssuer.der.data();
  std::unique_ptr<X509_NAME, NameFree> name(
      d2i_X509_NAME(nullptr, &p, static_cast<long>(pc.holderIssuer.der.size())));
  ERR_clear_error();
  if (!name || X509_NAME_cmp(name.get(), X509_get_issuer_name(ek)) != 0) return false;
  const ASN1_INTEGER* serial = X509_get0_serialNumber(ek);
  // DER INTEGER contents: compare with OpenSSL's re-encoding of the certificate's serial.
  unsigned char* enc = nullptr;
  int len = i2d_ASN1_INTEGER(serial, &enc);
  bool same = false;
  if (len > 2 && enc != nullptr) {
    // Skip tag and length (lengths here are < 128 bytes, or 0x81 form for longer).
    int hdr = (enc[1] & 0x80) ? 2 + (enc[1] & 0x7f) : 2;
    same = len - hdr == static_cast<int>(pc.holderSerial.size()) &&
           std::equal(pc.holderSerial.begin(), pc.holderSerial.end(), enc + hdr);
  }
  OPENSSL_free(enc);
  return same;
}

void checkComponents(const PlatformCertificate& pc, const DeviceIdentity& device,
                     std::vector<Finding>& out) {
  // Without a report from the agent there is nothing to compare with; the certificate's other
  // checks still stand.
  if (!device.componentsReported) return;
  for (const auto& c : pc.components) {
    const std::string serial = trim(c.serial);
    if (serial.empty()) continue;  // only serial-bearing components identify a part
    bool sameKind = false;
    bool found = false;
    for (const auto& r : device.components) {
      if (!equalsIgnoreCase(trim(r.manufacturer), trim(c.manufacturer)) ||
          !equalsIgnoreCase(trim(r.model), trim(c.model)))
        continue;
      sameKind = true;
      if (trim(r.serial) == serial) {
        found = true;
        break;
      }
    }
    if (!found) {
      out.push_back({std::string(reason::kPlatformComponentSwapped),
                     c.manufacturer + " " + c.model + " serial " + serial +
                         (sameKind ? ": the device has this part with another serial"
                                   : ": the device does not report this part")});
    }
  }
}

}  // namespace

std::optional<PlatformCertMode> parsePlatformCertMode(std::string_view text) {
  if (text == "require") return PlatformCertMode::Require;
  if (text == "verify_if_present") return PlatformCertMode::VerifyIfPresent;
  if (text == "ignore") return PlatformCertMode::Ignore;
  return std::nullopt;
}

OemTrustStore::OemTrustStore() : store_(X509_STORE_new()) {}
OemTrustStore::~OemTrustStore() {
  X509_STORE_free(store_);
}
OemTrustStore::OemTrustStore(OemTrustStore&& o) noexcept
    : store_(o.store_), roots_(std::move(o.roots_)), intermediates_(std::move(o.intermediates_)) {
  o.store_ = nullptr;
}
OemTrustStore& OemTrustStore::operator=(OemTrustStore&& o) noexcept {
  if (this != &o) {
    X509_STORE_free(store_);
    store_ = o.store_;
    o.store_ = nullptr;
    roots_ = std::move(o.roots_);
    intermediates_ = std::move(o.intermediates_);
  }
  return *this;
}

Result<OemTrustStore> OemTrustStore::load(const std::string& rootsDir,
                                          const std::string& intermediatesDir) {
  if (rootsDir.empty()) return makeError("config", "no OEM roots directory configured");
  std::vector<attest::X509Ptr> roots;
  std::vector<attest::X509Ptr> inter;
  if (auto s = attest::loadCertificateDir(rootsDir, roots); !s)
    return s.error().withContext("OEM roots");
  if (roots.empty()) return makeError("config", "OEM roots directory has no certificates");
  if (!intermediatesDir.empty()) {
    if (auto s = attest::loadCertificateDir(intermediatesDir, inter); !s)
      return s.error().withContext("OEM intermediates");
  }
  OemTrustStore t;
  for (auto& c : roots) t.addRoot(c.get());
  for (auto& c : inter) t.addIntermediate(c.get());
  return t;
}

void OemTrustStore::addRoot(X509* cert) {
  if (X509_STORE_add_cert(store_, cert) == 1) {
    X509_up_ref(cert);
    roots_.emplace_back(cert);
  }
  ERR_clear_error();
}

void OemTrustStore::addIntermediate(X509* cert) {
  X509_up_ref(cert);
  intermediates_.emplace_back(cert);
}

Status OemTrustStore::verifySignature(const PlatformCertificate& pc, std::int64_t now) const {
  if (roots_.empty()) return untrusted("no trusted OEM roots");
  const EVP_MD* md = digestFor(pc.signatureAlgorithm);
  if (md == nullptr)
    return badSignature("signature algorithm " + pc.signatureAlgorithm + " is not accepted");
  const unsigned char* p = pc.issuer.der.data();
  std::unique_ptr<X509_NAME, NameFree> issuer(
      d2i_X509_NAME(nullptr, &p, static_cast<long>(pc.issuer.der.size())));
  ERR_clear_error();
  if (!issuer) return untrusted("issuer name does not decode");
  STACK_OF(X509)* untrustedStack = sk_X509_new_null();
  for (const auto& c : intermediates_) sk_X509_push(untrustedStack, c.get());
  Status result = untrusted("issuer " + pc.issuer.text() + " is not among the OEM certificates");
  auto tryIssuer = [&](X509* candidate) -> bool {
    if (X509_NAME_cmp(X509_get_subject_name(candidate), issuer.get()) != 0) return false;
    if (!signatureVerifies(pc, X509_get0_pubkey(candidate), md)) {
      result = badSignature("signature does not verify with the key of " + pc.issuer.text());
      return false;
    }
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    if (ctx == nullptr || X509_STORE_CTX_init(ctx, store_, candidate, untrustedStack) != 1) {
      X509_STORE_CTX_free(ctx);
      result = untrusted("cannot set up path validation");
      return false;
    }
    X509_STORE_CTX_set_time(ctx, 0, static_cast<time_t>(now));
    const int rc = X509_verify_cert(ctx);
    const int err = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    if (rc != 1) {
      result = untrusted(std::string("OEM issuer chain: ") + X509_verify_cert_error_string(err));
      return false;
    }
    result = {};
    return true;
  };
  bool done = false;
  for (const auto& c : roots_)
    if (!done) done = tryIssuer(c.get());
  for (const auto& c : intermediates_)
    if (!done) done = tryIssuer(c.get());
  sk_X509_free(untrustedStack);
  return result;
}

std::vector<Finding> checkPlatformCertificate(const PlatformCertificate& pc,
                                              const OemTrustStore& trust,
                                              const DeviceIdentity& device, std::int64_t now) {
  std::vector<Finding> out;
  if (auto s = trust.verifySignature(pc, now); !s) {
    // Nothing else the certificate says can be believed.
    out.push_back({s.error().code, s.error().message});
    return out;
  }
  if (now < pc.notBefore || now > pc.notAfter)
    out.push_back({std::string(reason::kPlatformCertExpired),
                   "valid " + std::to_string(pc.notBefore) + ".." + std::to_string(pc.notAfter) +
                       ", now " + std::to_string(now)});
  if (!holderIs(pc, device.ekCertificate))
    out.push_back({std::string(reason::kPlatformCertHolderMismatch),
                   "holder is " + pc.holderIssuer.text() + " serial of another EK certificate"});
  const std::string serial = trim(pc.platformSerial);
  if (serial.empty()) {
    out.push_back(
        {std::string(reason::kPlatformSerialMismatch), "the certificate names no platform serial"});
  } else {
    if (!device.registerSerial.empty() && trim(device.registerSerial) != serial)
      out.push_back({std::string(reason::kPlatformSerialMismatch),
                     "certified serial " + serial + ", register " + device.registerSerial});
    else if (!device.claimedSerial.empty() && trim(device.claimedSerial) != serial)
      out.push_back({std::string(reason::kPlatformSerialMismatch),
                     "certified serial " + serial + ", device reports " + device.claimedSerial});
  }
  if (!device.claimedModel.empty() &&
      !equalsIgnoreCase(trim(pc.platformModel), trim(device.claimedModel)))
    out.push_back(
        {std::string(reason::kPlatformModelMismatch),
         "certified model " + pc.platformModel + ", device reports " + device.claimedModel});
  checkComponents(pc, device, out);
  return out;
}

std::vector<Finding> judgePlatformCertificate(PlatformCertMode mode, const Bytes& der,
                                              const OemTrustStore& trust,
                                              const DeviceIdentity& device, std::int64_t now) {
  if (mode == PlatformCertMode::Ignore) return {};
  if (der.empty()) {
    if (mode == PlatformCertMode::Require)
      return {
          {std::string(reason::kPlatformCertMissing), "the device sent no platform certificate"}};
    return {};
  }
  auto pc = parsePlatformCertificate(der);
  if (!pc) return {{std::string(reason::kPlatformCertMalformed), pc.error().message}};
  return checkPlatformCertificate(*pc, trust, device, now);
}

}  // namespace pb::platcert
