// SPDX-License-Identifier: Apache-2.0
// Field layout: RFC 5755 §4.1 (AttributeCertificate), TCG Platform Attribute Credential Profile
// v1.1 §3 and Platform Certificate Profile v2.0 §3.1 (attributes, platformConfiguration v1/v2,
// the platform identity in the subjectAltName directoryName). Real OEM certificates deviate in
// small ways (go-attestation's attributecert package handles the same ones); each accepted
// deviation is named where it is handled.
#include "platcert/platform_cert.hpp"

#include "platcert/der_reader.hpp"

namespace pb::platcert {

namespace {

namespace oid {
constexpr const char* kPlatformSpecification = "2.23.133.2.17";
constexpr const char* kTbbSecurityAssertions = "2.23.133.2.19";
constexpr const char* kCredentialSpecification = "2.23.133.2.23";
constexpr const char* kCredentialType = "2.23.133.2.25";
constexpr const char* kPlatformManufacturerStr = "2.23.133.5.1.1";
constexpr const char* kPlatformManufacturerId = "2.23.133.5.1.2";
constexpr const char* kPlatformConfigUri = "2.23.133.5.1.3";
constexpr const char* kPlatformModel = "2.23.133.5.1.4";
constexpr const char* kPlatformVersion = "2.23.133.5.1.5";
constexpr const char* kPlatformSerial = "2.23.133.5.1.6";
constexpr const char* kPlatformConfigurationV1 = "2.23.133.5.1.7.1";
constexpr const char* kPlatformConfigurationV2 = "2.23.133.5.1.7.2";
// Pre-1.0 drafts put the platform identity under the TPM attribute arcs; Intel's early
// certificates still do (go-attestation: oidTcgPlatform*V1).
constexpr const char* kLegacyManufacturer = "2.23.133.2.4";
constexpr const char* kLegacyModel = "2.23.133.2.5";
constexpr const char* kLegacyVersion = "2.23.133.2.6";
constexpr const char* kSubjectAltName = "2.5.29.17";
}  // namespace oid

const char* shortName(const std::string& o) {
  if (o == "2.5.4.3") return "CN";
  if (o == "2.5.4.6") return "C";
  if (o == "2.5.4.7") return "L";
  if (o == "2.5.4.8") return "ST";
  if (o == "2.5.4.10") return "O";
  if (o == "2.5.4.11") return "OU";
  if (o == "2.5.4.5") return "serialNumber";
  return nullptr;
}

Result<SpecVersion> parseSpecVersion(DerReader& r, const char* what) {
  auto seq = r.expect(tag::kSequence, what);
  if (!seq) return seq.error();
  auto in = r.enter(*seq, what);
  if (!in) return in.error();
  SpecVersion v;
  std::int64_t* fields[] = {&v.major, &v.minor, &v.revision};
  for (auto* f : fields) {
    auto t = in->expect(tag::kInteger, what);
    if (!t) return t.error();
    auto n = decodeSmallInt(*t, what);
    if (!n) return n.error();
    *f = *n;
  }
  if (auto s = in->finish(what); !s) return s.error();
  return v;
}

// Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue).
Result<DistinguishedName> parseName(const Tlv& nameSeq, const DerReader& parent) {
  if (nameSeq.tag != tag::kSequence) return malformed("name: not a SEQUENCE");
  DistinguishedName dn;
  dn.der.assign(nameSeq.whole.begin(), nameSeq.whole.end());
  auto rdns = parent.enter(nameSeq, "name");
  if (!rdns) return rdns.error();
  while (!rdns->atEnd()) {
    auto set = rdns->expect(tag::kSet, "name RDN");
    if (!set) return set.error();
    auto atvs = rdns->enter(*set, "name RDN");
    if (!atvs) return atvs.error();
    while (!atvs->atEnd()) {
      if (dn.parts.size() >= 32) return malformed("name: too many attributes");
      auto atv = atvs->expect(tag::kSequence, "name attribute");
      if (!atv) return atv.error();
      auto f = atvs->enter(*atv, "name attribute");
      if (!f) return f.error();
      auto type = f->expect(tag::kOid, "name attribute type");
      if (!type) return type.error();
      auto o = decodeOid(type->value);
      if (!o) return o.error();
      auto val = f->next();
      if (!val) return val.error().withContext("name attribute value");
      std::string text;
      if (val->tag == tag::kSequence || val->tag == tag::kOid) {
        text = "";  // e.g. platformManufacturerId (a PEN OID inside a SEQUENCE): not text
        if (val->tag == tag::kSequence) {
          auto pen = f->enter(*val, "manufacturer id");
          if (!pen) return pen.error();
          if (auto p = pen->optional(tag::kOid); p && *p) {
            auto po = decodeOid((*p)->value);
            if (!po) return po.error();
            text = *po;
          }
        }
      } else {
        auto s = decodeString(*val, kMaxStringBytes, "name attribute value");
        if (!s) return s.error();
        text = std::move(*s);
      }
      if (auto s = f->finish("name attribute"); !s) return s.error();
      dn.parts.emplace_back(std::move(*o), std::move(text));
    }
  }
  return dn;
}

// GeneralNames ::= SEQUENCE OF GeneralName; the profile uses exactly a directoryName [4].
Result<DistinguishedName> parseGeneralNamesDirectory(const Tlv& names, const DerReader& parent,
                                                     const char* what) {
  auto r = parent.enter(names, what);
  if (!r) return r.error();
  while (!r->atEnd()) {
    auto gn = r->next();
    if (!gn) return gn.error().withContext(what);
    if (gn->tag != tag::ctxCons(4)) continue;  // other GeneralName forms are not used
    auto dir = r->enter(*gn, what);
    if (!dir) return dir.error();
    auto name = dir->expect(tag::kSequence, what);
    if (!name) return name.error();
    if (auto s = dir->finish(what); !s) return s.error();
    return parseName(*name, *dir);
  }
  return malformed(std::string(what) + ": no directoryName");
}

// Holder ::= SEQUENCE { baseCertificateID [0] IssuerSerial OPTIONAL, entityName [1] OPTIONAL,
//   objectDigestInfo [2] OPTIONAL }. Platform certificates name the EK certificate by
// baseCertificateID; other holder forms are refused because nothing could be checked.
Status parseHolder(DerReader& tbs, PlatformCertificate& pc) {
  auto holder = tbs.expect(tag::kSequence, "holder");
  if (!holder) return holder.error();
  auto h = tbs.enter(*holder, "holder");
  if (!h) return h.error();
  auto base = h->expect(tag::ctxCons(0), "holder baseCertificateID");
  if (!base) return base.error();
  auto is = h->enter(*base, "holder baseCertificateID");
  if (!is) return is.error();
  auto names = is->expect(tag::kSequence, "holder issuer");
  if (!names) return names.error();
  auto dn = parseGeneralNamesDirectory(*names, *is, "holder issuer");
  if (!dn) return dn.error();
  pc.holderIssuer = std::move(*dn);
  auto serial = is->expect(tag::kInteger, "holder serial");
  if (!serial) return serial.error();
  if (serial->value.empty() || serial->value.size() > 64) return malformed("holder serial size");
  pc.holderSerial.assign(serial->value.begin(), serial->value.end());
  if (auto uid = is->optional(tag::kBitString); !uid) return uid.error();
  return is->finish("holder baseCertificateID");
}

// AttCertIssuer ::= CHOICE { v1Form GeneralNames, v2Form [0] V2Form }, V2Form ::= SEQUENCE {
//   issuerName GeneralNames OPTIONAL, ... }. RFC 5755 requires v2Form with issuerName; v1Form is
// accepted for reading.
Status parseIssuer(DerReader& tbs, PlatformCertificate& pc) {
  auto t = tbs.next();
  if (!t) return t.error().withContext("issuer");
  Tlv names = *t;
  DerReader outer = tbs;
  std::optional<DerReader> v2;
  if (t->tag == tag::ctxCons(0)) {
    auto in = tbs.enter(*t, "issuer");
    if (!in) return in.error();
    v2 = *in;
    auto gn = v2->expect(tag::kSequence, "issuer name");
    if (!gn) return gn.error();
    names = *gn;
    outer = *v2;
  } else if (t->tag != tag::kSequence) {
    return malformed("issuer: unexpected form");
  }
  auto dn = parseGeneralNamesDirectory(names, outer, "issuer");
  if (!dn) return dn.error();
  pc.issuer = std::move(*dn);
  return {};
}

Result<Bytes> algorithmOid(DerReader& r, const char* what, std::string& oidOut) {
  auto alg = r.expect(tag::kSequence, what);
  if (!alg) return alg.error();
  auto a = r.enter(*alg, what);
  if (!a) return a.error();
  auto o = a->expect(tag::kOid, what);
  if (!o) return o.error();
  auto text = decodeOid(o->value);
  if (!text) return text.error();
  oidOut = *text;
  return Bytes(alg->whole.begin(), alg->whole.end());
}

// ComponentIdentifier (v1 §3.1.6 / v2 §3.1.7): the fields after the class are the same.
Result<Component> parseComponent(const Tlv& seq, const DerReader& parent, int configVersion) {
  auto r = parent.enter(seq, "component");
  if (!r) return r.error();
  Component c;
  if (configVersion == 2) {
    auto cls = r->expect(tag::kSequence, "component class");
    if (!cls) return cls.error();
    auto cr = r->enter(*cls, "component class");
    if (!cr) return cr.error();
    auto reg = cr->expect(tag::kOid, "component class registry");
    if (!reg) return reg.error();
    auto ro = decodeOid(reg->value);
    if (!ro) return ro.error();
    c.classRegistry = *ro;
    auto val = cr->expect(tag::kOctetString, "component class value");
    if (!val) return val.error();
    if (val->value.size() > 16) return malformed("component class value too long");
    c.classValue.assign(val->value.begin(), val->value.end());
  } else {
    auto cls = r->optional(tag::kOctetString);
    if (!cls) return cls.error();
    if (*cls) {
      if ((*cls)->value.size() > 16) return malformed("component class value too long");
      c.classValue.assign((*cls)->value.begin(), (*cls)->value.end());
    }
  }
  auto man = r->expect(tag::kUtf8String, "component manufacturer");
  if (!man) return man.error();
  auto ms = decodeString(*man, kMaxStringBytes, "component manufacturer");
  if (!ms) return ms.error();
  c.manufacturer = *ms;
  auto model = r->expect(tag::kUtf8String, "component model");
  if (!model) return model.error();
  auto mo = decodeString(*model, kMaxStringBytes, "component model");
  if (!mo) return mo.error();
  c.model = *mo;
  while (!r->atEnd()) {
    auto f = r->next();
    if (!f) return f.error().withContext("component");
    switch (f->tag) {
      case tag::ctx(0): {
        auto s = decodeString(*f, kMaxStringBytes, "component serial");
        if (!s) return s.error();
        c.serial = *s;
        break;
      }
      case tag::ctx(1): {
        auto s = decodeString(*f, kMaxStringBytes, "component revision");
        if (!s) return s.error();
        c.revision = *s;
        break;
      }
      case tag::ctx(3):
        c.fieldReplaceable = f->value.size() == 1 && f->value[0] != 0;
        break;
      case tag::ctxCons(4): {
        auto addrs = r->enter(*f, "component addresses");
        if (!addrs) return addrs.error();
        while (!addrs->atEnd()) {
          if (c.addresses.size() >= 16) return malformed("component: too many addresses");
          auto a = addrs->expect(tag::kSequence, "component address");
          if (!a) return a.error();
          auto ar = addrs->enter(*a, "component address");
          if (!ar) return ar.error();
          auto t = ar->expect(tag::kOid, "component address type");
          if (!t) return t.error();
          auto to = decodeOid(t->value);
          if (!to) return to.error();
          auto v = ar->next();
          if (!v) return v.error().withContext("component address");
          auto vs = decodeString(*v, kMaxStringBytes, "component address");
          if (!vs) return vs.error();
          c.addresses.push_back({*to, *vs});
        }
        break;
      }
      // [2] manufacturer PEN, [5] platform certificate, [6] its URI, [7] status (v2 deltas):
      // bounded by the reader, not needed for the checks.
      case tag::ctx(2):
      case tag::ctxCons(5):
      case tag::ctxCons(6):
      case tag::ctx(7):
        break;
      default:
        return malformed("component: unexpected field");
    }
  }
  return c;
}

Status parseProperties(const Tlv& seq, const DerReader& parent, PlatformCertificate& pc) {
  auto r = parent.enter(seq, "platform properties");
  if (!r) return r.error();
  // Workaround (Intel, go-attestation PlatformConfigurationV2Workaround): a single Property
  // where a SEQUENCE OF Property belongs; recognised by a string as first element.
  if (r->peekTag() == tag::kUtf8String) {
    DerReader single = *r;
    auto n = single.next();
    auto v = single.next();
    if (!n || !v) return malformed("platform property");
    auto ns = decodeString(*n, kMaxStringBytes, "property name");
    auto vs = decodeString(*v, kMaxStringBytes, "property value");
    if (!ns || !vs) return malformed("platform property strings");
    pc.properties.push_back({*ns, *vs});
    return {};
  }
  while (!r->atEnd()) {
    if (pc.properties.size() >= kMaxProperties) return malformed("too many platform properties");
    auto p = r->expect(tag::kSequence, "platform property");
    if (!p) return p.error();
    auto pr = r->enter(*p, "platform property");
    if (!pr) return pr.error();
    auto n = pr->expect(tag::kUtf8String, "property name");
    if (!n) return n.error();
    auto v = pr->expect(tag::kUtf8String, "property value");
    if (!v) return v.error();
    auto ns = decodeString(*n, kMaxStringBytes, "property name");
    auto vs = decodeString(*v, kMaxStringBytes, "property value");
    if (!ns || !vs) return malformed("platform property strings");
    pc.properties.push_back({*ns, *vs});
  }
  return {};
}

Result<std::string> uriReference(const Tlv& t, const DerReader& parent, const char* what) {
  auto r = parent.enter(t, what);
  if (!r) return r.error();
  auto u = r->expect(tag::kIa5String, what);
  if (!u) return u.error();
  return decodeString(*u, kMaxStringBytes, what);
}

// PlatformConfiguration v1: [0] components, [1] properties, [2] propertiesUri.
// PlatformConfiguration v2: [0] components, [1] componentsUri, [2] properties, [3] propertiesUri.
Status parsePlatformConfiguration(const Tlv& seq, const DerReader& parent, int version,
                                  PlatformCertificate& pc) {
  if (seq.tag != tag::kSequence) return malformed("platformConfiguration: not a SEQUENCE");
  auto r = parent.enter(seq, "platformConfiguration");
  if (!r) return r.error();
  pc.platformConfigurationVersion = version;
  while (!r->atEnd()) {
    auto f = r->next();
    if (!f) return f.error().withContext("platformConfiguration");
    if (f->tag == tag::ctxCons(0)) {
      auto comps = r->enter(*f, "componentIdentifiers");
      if (!comps) return comps.error();
      while (!comps->atEnd()) {
        if (pc.components.size() >= kMaxComponents) return malformed("too many components");
        auto c = comps->expect(tag::kSequence, "componentIdentifier");
        if (!c) return c.error();
        auto comp = parseComponent(*c, *comps, version);
        if (!comp) return comp.error();
        pc.components.push_back(std::move(*comp));
      }
    } else if (f->tag == tag::ctxCons(version == 1 ? 1 : 2)) {
      if (auto s = parseProperties(*f, *r, pc); !s) return s;
    } else if (version == 2 && f->tag == tag::ctxCons(1)) {
      auto u = uriReference(*f, *r, "componentIdentifiersUri");
      if (!u) return u.error();
      pc.componentsUri = *u;
    } else if (f->tag == tag::ctxCons(version == 1 ? 2 : 3)) {
      if (auto u = uriReference(*f, *r, "platformPropertiesUri"); !u) return u.error();
    } else {
      return malformed("platformConfiguration: unexpected field");
    }
  }
  return {};
}

Status setIdentity(PlatformCertificate& pc, const std::string& o, const std::string& value) {
  if (o == oid::kPlatformManufacturerStr || o == oid::kLegacyManufacturer)
    pc.platformManufacturer = value;
  else if (o == oid::kPlatformModel || o == oid::kLegacyModel)
    pc.platformModel = value;
  else if (o == oid::kPlatformVersion || o == oid::kLegacyVersion)
    pc.platformVersion = value;
  // 2.23.133.2.23 (tcg-at-tcgCredentialSpecification) used as the serial in early Intel
  // certificates' directoryName (go-attestation: "This OID appears to be misused").
  else if (o == oid::kPlatformSerial || o == oid::kCredentialSpecification)
    pc.platformSerial = value;
  else if (o == oid::kPlatformManufacturerId)
    pc.platformManufacturerId = value;
  return {};
}

Status parseAttribute(const Tlv& attr, const DerReader& parent, PlatformCertificate& pc) {
  auto r = parent.enter(attr, "attribute");
  if (!r) return r.error();
  auto type = r->expect(tag::kOid, "attribute type");
  if (!type) return type.error();
  auto o = decodeOid(type->value);
  if (!o) return o.error();
  auto set = r->expect(tag::kSet, "attribute values");
  if (!set) return set.error();
  if (auto s = r->finish("attribute"); !s) return s;
  auto values = r->enter(*set, "attribute values");
  if (!values) return values.error();
  if (values->atEnd()) return malformed("attribute " + *o + ": no value");
  auto v = values->next();
  if (!v) return v.error().withContext("attribute " + *o);
  if (auto s = values->finish("attribute values"); !s) return s;  // single-valued in the profile
  DerReader one(v->whole, 0);
  auto ctx = [&o](const Error& e) { return e.withContext("attribute " + *o); };

  if (*o == oid::kPlatformSpecification) {
    auto seq = one.expect(tag::kSequence, "platform specification");
    if (!seq) return ctx(seq.error());
    auto in = one.enter(*seq, "platform specification");
    if (!in) return ctx(in.error());
    auto ver = parseSpecVersion(*in, "platform specification version");
    if (!ver) return ctx(ver.error());
    pc.platformSpecification = *ver;
    auto cls = in->next();
    if (!cls) return ctx(cls.error().withContext("platform class"));
    if (cls->tag == tag::kOctetString && cls->value.size() == 4) {
      pc.platformClass = (std::uint32_t{cls->value[0]} << 24) |
                         (std::uint32_t{cls->value[1]} << 16) |
                         (std::uint32_t{cls->value[2]} << 8) | cls->value[3];
    } else if (cls->tag != tag::kUtf8String) {
      // 2016 Intel certificates carry the class as a UTF8String ("1"); it is not used.
      return malformed("platform class is not a 4-byte OCTET STRING");
    }
    pc.hasPlatformSpecification = true;
  } else if (*o == oid::kCredentialSpecification) {
    // Profile: SEQUENCE {major, minor, revision}; Intel wraps it in one more SEQUENCE
    // (go-attestation tries both forms).
    std::optional<DerReader> wrapped;
    if (auto t = one.next(); t && t->tag == tag::kSequence) {
      auto in = one.enter(*t, "credential specification");
      if (in && in->peekTag() == tag::kSequence) wrapped = *in;
    }
    if (!wrapped) one = DerReader(v->whole, 0);
    DerReader& src = wrapped ? *wrapped : one;
    auto ver = parseSpecVersion(src, "credential specification");
    if (!ver) return ctx(ver.error());
    pc.credentialSpecification = *ver;
    pc.hasCredentialSpecification = true;
  } else if (*o == oid::kCredentialType) {
    auto seq = one.expect(tag::kSequence, "credential type");
    if (!seq) return ctx(seq.error());
    auto in = one.enter(*seq, "credential type");
    if (!in) return ctx(in.error());
    auto t = in->expect(tag::kOid, "credential type");
    if (!t) return ctx(t.error());
    auto to = decodeOid(t->value);
    if (!to) return ctx(to.error());
    pc.credentialType = *to;
  } else if (*o == oid::kTbbSecurityAssertions) {
    pc.hasTbbSecurityAssertions = true;  // bounded by the reader; not judged
  } else if (*o == oid::kPlatformConfigUri) {
    auto u = uriReference(*v, *values, "platformConfigUri");
    if (!u) return ctx(u.error());
    pc.platformConfigUri = *u;
  } else if (*o == oid::kPlatformConfigurationV1 || *o == oid::kPlatformConfigurationV2) {
    if (pc.platformConfigurationVersion != 0)
      return malformed("two platformConfiguration attributes");
    const int version = *o == oid::kPlatformConfigurationV1 ? 1 : 2;
    if (auto s = parsePlatformConfiguration(*v, *values, version, pc); !s) return ctx(s.error());
  } else if (*o == oid::kPlatformManufacturerStr || *o == oid::kPlatformModel ||
             *o == oid::kPlatformVersion || *o == oid::kPlatformSerial) {
    // Profile 2.0 allows the identity as attributes as well as in the subjectAltName.
    auto s = decodeString(*v, kMaxStringBytes, "platform identity");
    if (!s) return ctx(s.error());
    return setIdentity(pc, *o, *s);
  } else {
    pc.unknownAttributes.push_back(*o);
  }
  return {};
}

// subjectAltName: GeneralNames whose directoryName RDNs carry the platform identity. A bare SET
// in place of the directoryName occurs in some early certificates (go-attestation unmarshalSAN).
Status parseSubjectAltName(ByteSpan value, PlatformCertificate& pc) {
  DerReader top(value, 1);
  auto names = top.expect(tag::kSequence, "subjectAltName");
  if (!names) return names.error();
  if (auto s = top.finish("subjectAltName"); !s) return s;
  auto r = top.enter(*names, "subjectAltName");
  if (!r) return r.error();
  while (!r->atEnd()) {
    auto gn = r->next();
    if (!gn) return gn.error().withContext("subjectAltName");
    DistinguishedName dn;
    if (gn->tag == tag::ctxCons(4)) {
      auto dir = r->enter(*gn, "subjectAltName directoryName");
      if (!dir) return dir.error();
      auto seq = dir->expect(tag::kSequence, "subjectAltName directoryName");
      if (!seq) return seq.error();
      auto n = parseName(*seq, *dir);
      if (!n) return n.error().withContext("subjectAltName");
      dn = std::move(*n);
    } else if (gn->tag == tag::kSet) {
      // Wrap the SET as a one-RDN Name by parsing it as the RDN list's only element.
      auto n = parseName(Tlv{tag::kSequence, gn->whole, gn->whole}, *r);
      if (!n) return n.error().withContext("subjectAltName");
      dn = std::move(*n);
    } else {
      continue;
    }
    for (const auto& [o, v] : dn.parts) {
      if (auto s = setIdentity(pc, o, v); !s) return s;
    }
  }
  return {};
}

Status parseExtensions(const Tlv& seq, const DerReader& parent, PlatformCertificate& pc) {
  auto r = parent.enter(seq, "extensions");
  if (!r) return r.error();
  while (!r->atEnd()) {
    if (pc.extensions.size() >= kMaxExtensions) return malformed("too many extensions");
    auto e = r->expect(tag::kSequence, "extension");
    if (!e) return e.error();
    auto er = r->enter(*e, "extension");
    if (!er) return er.error();
    auto id = er->expect(tag::kOid, "extension id");
    if (!id) return id.error();
    auto o = decodeOid(id->value);
    if (!o) return o.error();
    Extension ext{*o, false};
    auto crit = er->optional(tag::kBoolean);
    if (!crit) return crit.error();
    if (*crit) ext.critical = (*crit)->value.size() == 1 && (*crit)->value[0] != 0;
    auto val = er->expect(tag::kOctetString, "extension value");
    if (!val) return val.error();
    if (auto s = er->finish("extension"); !s) return s;
    if (*o == oid::kSubjectAltName) {
      if (auto s = parseSubjectAltName(val->value, pc); !s) return s;
    }
    pc.extensions.push_back(std::move(ext));
  }
  return {};
}

Status parseTbs(const Tlv& tbsTlv, const DerReader& parent, PlatformCertificate& pc) {
  auto tbs = parent.enter(tbsTlv, "acinfo");
  if (!tbs) return tbs.error();
  auto ver = tbs->expect(tag::kInteger, "version");
  if (!ver) return ver.error();
  auto v = decodeSmallInt(*ver, "version");
  if (!v) return v.error();
  if (*v != 1) return malformed("version: only v2 attribute certificates exist");
  pc.version = 2;
  if (auto s = parseHolder(*tbs, pc); !s) return s;
  if (auto s = parseIssuer(*tbs, pc); !s) return s;
  std::string innerAlg;
  auto alg = algorithmOid(*tbs, "signature", innerAlg);
  if (!alg) return alg.error();
  if (*alg != pc.signatureAlgorithmDer)
    return malformed("inner and outer signature algorithms differ");
  auto serial = tbs->expect(tag::kInteger, "serialNumber");
  if (!serial) return serial.error();
  if (serial->value.empty() || serial->value.size() > 64) return malformed("serialNumber size");
  pc.serialNumber.assign(serial->value.begin(), serial->value.end());
  auto validity = tbs->expect(tag::kSequence, "validity");
  if (!validity) return validity.error();
  auto vr = tbs->enter(*validity, "validity");
  if (!vr) return vr.error();
  auto nb = vr->next();
  if (!nb) return nb.error().withContext("notBefore");
  auto na = vr->next();
  if (!na) return na.error().withContext("notAfter");
  auto nbt = decodeTime(*nb);
  if (!nbt) return nbt.error().withContext("notBefore");
  auto nat = decodeTime(*na);
  if (!nat) return nat.error().withContext("notAfter");
  if (auto s = vr->finish("validity"); !s) return s;
  pc.notBefore = *nbt;
  pc.notAfter = *nat;
  auto attrs = tbs->expect(tag::kSequence, "attributes");
  if (!attrs) return attrs.error();
  auto ar = tbs->enter(*attrs, "attributes");
  if (!ar) return ar.error();
  std::size_t count = 0;
  while (!ar->atEnd()) {
    if (++count > kMaxAttributes) return malformed("too many attributes");
    auto a = ar->expect(tag::kSequence, "attribute");
    if (!a) return a.error();
    if (auto s = parseAttribute(*a, *ar, pc); !s) return s;
  }
  if (auto uid = tbs->optional(tag::kBitString); !uid) return uid.error();
  auto exts = tbs->optional(tag::kSequence);
  if (!exts) return exts.error();
  if (*exts) {
    if (auto s = parseExtensions(**exts, *tbs, pc); !s) return s;
  }
  return tbs->finish("acinfo");
}

}  // namespace

std::string DistinguishedName::text() const {
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += ", ";
    const char* s = shortName(it->first);
    out += (s != nullptr ? std::string(s) : it->first) + "=" + it->second;
  }
  return out;
}

std::string SpecVersion::text() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(revision);
}

Result<PlatformCertificate> parsePlatformCertificate(std::span<const std::uint8_t> der) {
  if (der.empty() || der.size() > kMaxPlatformCertBytes)
    return malformed("platform certificate size out of bounds");
  DerReader top(der);
  auto cert = top.expect(tag::kSequence, "platform certificate");
  if (!cert) return cert.error();
  if (auto s = top.finish("platform certificate"); !s) return s.error();
  auto r = top.enter(*cert, "platform certificate");
  if (!r) return r.error();
  PlatformCertificate pc;
  pc.der.assign(der.begin(), der.end());
  auto tbs = r->expect(tag::kSequence, "acinfo");
  if (!tbs) return tbs.error();
  pc.tbs.assign(tbs->whole.begin(), tbs->whole.end());
  // The outer algorithm is read first so the inner one can be compared with it (RFC 5755 §4.2.4).
  DerReader rest = *r;
  auto alg = algorithmOid(rest, "signatureAlgorithm", pc.signatureAlgorithm);
  if (!alg) return alg.error();
  pc.signatureAlgorithmDer = *alg;
  auto sig = rest.expect(tag::kBitString, "signatureValue");
  if (!sig) return sig.error();
  if (sig->value.size() < 2 || sig->value[0] != 0)
    return malformed("signatureValue: bad BIT STRING");
  pc.signature.assign(sig->value.begin() + 1, sig->value.end());
  if (auto s = rest.finish("platform certificate"); !s) return s.error();
  if (auto s = parseTbs(*tbs, *r, pc); !s) return s.error();
  return pc;
}

}  // namespace pb::platcert
