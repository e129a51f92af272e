// SPDX-License-Identifier: Apache-2.0
#include "platcert/platform_cert_builder.hpp"

#include <ctime>
#include <initializer_list>

#include <openssl/err.h>
#include <openssl/objects.h>

namespace pb::platcert {

namespace {

Bytes tlv(std::uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<std::uint8_t>(n)});
  } else if (n < 0x10000) {
    out.insert(out.end(), {0x82, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x83, static_cast<std::uint8_t>(n >> 16),
                           static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes seq(std::initializer_list<Bytes> parts) {
  return tlv(0x30, cat(parts));
}

Bytes oid(const char* dotted) {
  ASN1_OBJECT* o = OBJ_txt2obj(dotted, 1);
  unsigned char* der = nullptr;
  const int len = o != nullptr ? i2d_ASN1_OBJECT(o, &der) : 0;
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  ASN1_OBJECT_free(o);
  return out;
}

Bytes utf8(const std::string& s) {
  return tlv(0x0c, Bytes(s.begin(), s.end()));
}
Bytes ctxPrim(int n, const std::string& s) {
  return tlv(static_cast<std::uint8_t>(0x80 | n), Bytes(s.begin(), s.end()));
}
Bytes ctxCons(int n, const Bytes& content) {
  return tlv(static_cast<std::uint8_t>(0xa0 | n), content);
}

Bytes integer(std::uint64_t v) {
  Bytes c;
  for (int i = 7; i >= 0; --i) c.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  while (c.size() > 1 && c[0] == 0 && (c[1] & 0x80) == 0) c.erase(c.begin());
  if (c[0] & 0x80) c.insert(c.begin(), 0);
  return tlv(0x02, c);
}

Bytes i2dName(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_NAME(name, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

Bytes i2dInteger(const ASN1_INTEGER* v) {
  unsigned char* der = nullptr;
  const int len = i2d_ASN1_INTEGER(v, &der);
  Bytes out(der, der + (len > 0 ? len : 0));
  OPENSSL_free(der);
  return out;
}

Bytes generalizedTime(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
  std::string s(buf);
  return tlv(0x18, Bytes(s.begin(), s.end()));
}

Bytes attribute(const char* type, const Bytes& value) {
  return seq({oid(type), tlv(0x31, value)});
}

Bytes identityRdn(const char* type, const std::string& value) {
  return tlv(0x31, seq({oid(type), utf8(value)}));
}

}  // namespace

Result<Bytes> issuePlatformCertificate(const PlatformCertSpec& spec) {
  if (spec.holderEk == nullptr || spec.issuerCert == nullptr || spec.issuerKey == nullptr)
    return makeError("config", "platform certificate: holder, issuer and key are required");
  const bool rsa = EVP_PKEY_get_base_id(spec.issuerKey) == EVP_PKEY_RSA;
  const Bytes alg = rsa ? seq({oid("1.2.840.113549.1.1.11"), Bytes{0x05, 0x00}})
                        : seq({oid("1.2.840.10045.4.3.2")});
  const Bytes holder =
      seq({ctxCons(0, cat({seq({ctxCons(4, i2dName(X509_get_issuer_name(spec.holderEk)))}),
                           i2dInteger(X509_get0_serialNumber(spec.holderEk))}))});
  const Bytes issuer =
      ctxCons(0, seq({ctxCons(4, i2dName(X509_get_subject_name(spec.issuerCert)))}));
  Bytes components;
  for (const auto& c : spec.components) {
    Bytes fields = cat({seq({oid("2.23.133.18.3.1"),
                             tlv(0x04, c.classValue.empty() ? Bytes{0, 0, 0, 0} : c.classValue)}),
                        utf8(c.manufacturer), utf8(c.model)});
    if (!c.serial.empty()) fields = cat({fields, ctxPrim(0, c.serial)});
    if (!c.revision.empty()) fields = cat({fields, ctxPrim(1, c.revision)});
    components = cat({components, tlv(0x30, fields)});
  }
  const Bytes attributes = seq({
      attribute("2.23.133.2.17",
                seq({seq({integer(2), integer(0), integer(1)}), tlv(0x04, Bytes{0, 0, 0, 1})})),
      attribute("2.23.133.2.25", seq({oid("2.23.133.8.2")})),
      attribute("2.23.133.2.23", seq({integer(1), integer(1), integer(11)})),
      attribute("2.23.133.5.1.7.2", seq({ctxCons(0, components)})),
  });
  Bytes rdns = cat({identityRdn("2.23.133.5.1.1", spec.manufacturer),
                    identityRdn("2.23.133.5.1.4", spec.model)});
  if (!spec.version.empty()) rdns = cat({rdns, identityRdn("2.23.133.5.1.5", spec.version)});
  if (!spec.serial.empty()) rdns = cat({rdns, identityRdn("2.23.133.5.1.6", spec.serial)});
  const Bytes san = seq({ctxCons(4, tlv(0x30, rdns))});
  const Bytes extensions = seq({seq({oid("2.5.29.17"), tlv(0x04, san)})});
  const Bytes tbs = seq({integer(1), holder, issuer, alg, integer(spec.serialNumber),
                         seq({generalizedTime(spec.notBefore), generalizedTime(spec.notAfter)}),
                         attributes, extensions});
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t sigLen = 0;
  Bytes sig;
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, spec.issuerKey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &sigLen, tbs.data(), tbs.size()) == 1;
  if (ok) {
    sig.resize(sigLen);
    ok = EVP_DigestSign(ctx, sig.data(), &sigLen, tbs.data(), tbs.size()) == 1;
    sig.resize(sigLen);
  }
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) return makeError("crypto", "platform certificate: signing failed");
  Bytes bits{0};
  bits.insert(bits.end(), sig.begin(), sig.end());
  return seq({tbs, alg, tlv(0x03, bits)});
}

}  // namespace pb::platcert
