// SPDX-License-Identifier: Apache-2.0
#include "tpm/tpm_device.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

namespace pb {

std::string_view readinessName(TpmReadiness r) {
  switch (r) {
    case TpmReadiness::Ready:
      return "ready";
    case TpmReadiness::Disabled:
      return "disabled";
    case TpmReadiness::NotReady:
      return "not_ready";
    case TpmReadiness::Lockout:
      return "lockout";
    case TpmReadiness::Absent:
      return "absent";
  }
  return "absent";
}

std::string_view keyAlgorithmName(KeyAlgorithm a) {
  return a == KeyAlgorithm::Rsa2048 ? "rsa2048" : "ecc_nist_p256";
}

std::optional<KeyAlgorithm> keyAlgorithmFromName(std::string_view name) {
  if (name == "ecc_nist_p256") return KeyAlgorithm::EccP256;
  if (name == "rsa2048") return KeyAlgorithm::Rsa2048;
  return std::nullopt;
}

namespace {

struct EsysFree {
  void operator()(void* p) const { Esys_Free(p); }
};
template <class T>
using EsysPtr = std::unique_ptr<T, EsysFree>;

// TPM-layer response code without the parameter/handle/session number, 0 for other layers.
std::uint32_t tpmCode(TSS2_RC rc) {
  if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return 0;
  if (rc & TPM2_RC_FMT1) return rc & (TPM2_RC_FMT1 | 0x3F);
  return rc & 0xFFF;
}

Error tpmError(std::string_view what, TSS2_RC rc) {
  std::string code = "tpm";
  const std::uint32_t c = tpmCode(rc);
  if (c == TPM2_RC_INITIALIZE || c == TPM2_RC_FAILURE) code = "tpm_not_ready";
  if (c == TPM2_RC_LOCKOUT) code = "tpm_lockout";
  if (c == TPM2_RC_DISABLED || c == TPM2_RC_HIERARCHY) code = "tpm_disabled";
  return makeError(code, std::string(what) + ": " + Tss2_RC_Decode(rc));
}

// Default TCG EK policy (EK Credential Profile, PolicyA_SHA256): PolicySecret(TPM_RH_ENDORSEMENT).
constexpr std::uint8_t kEkPolicySha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};

constexpr TPMA_OBJECT kEkAttributes =
    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
    TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

// Low-range templates L-1 (RSA 2048) and L-2 (ECC NIST P-256) of the TCG EK Credential Profile.
TPMT_PUBLIC defaultEkTemplate(KeyAlgorithm a) {
  TPMT_PUBLIC t{};
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = kEkAttributes;
  t.authPolicy.size = sizeof kEkPolicySha256;
  std::memcpy(t.authPolicy.buffer, kEkPolicySha256, sizeof kEkPolicySha256);
  if (a == KeyAlgorithm::Rsa2048) {
    t.type = TPM2_ALG_RSA;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.parameters.rsaDetail.symmetric.keyBits.aes = 128;
    t.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.rsaDetail.keyBits = 2048;
    t.parameters.rsaDetail.exponent = 0;
    t.unique.rsa.size = 256;  // zeros
  } else {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    t.parameters.eccDetail.symmetric.keyBits.aes = 128;
    t.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    t.unique.ecc.x.size = 32;  // zeros
    t.unique.ecc.y.size = 32;
  }
  return t;
}

TPMT_PUBLIC akTemplate(const AkOptions& o) {
  TPMT_PUBLIC t{};
  t.nameAlg = TPM2_ALG_SHA256;
  t.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                       TPMA_OBJECT_SIGN_ENCRYPT;
  if (o.restricted) t.objectAttributes |= TPMA_OBJECT_RESTRICTED;
  if (o.algorithm == KeyAlgorithm::Rsa2048) {
    t.type = TPM2_ALG_RSA;
    t.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    t.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.rsaDetail.keyBits = 2048;
  } else {
    t.type = TPM2_ALG_ECC;
    t.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    t.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    t.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  }
  return t;
}

template <class T, class F>
Result<Bytes> marshal(const T& value, F fn) {
  Bytes out(sizeof(T) + 16);
  size_t offset = 0;
  TSS2_RC rc = fn(&value, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) return tpmError("marshal", rc);
  out.resize(offset);
  return out;
}

Bytes nameOf(const TPMT_PUBLIC& pub) {
  Result<Bytes> bytes = marshal(pub, Tss2_MU_TPMT_PUBLIC_Marshal);
  Bytes name = {static_cast<std::uint8_t>(pub.nameAlg >> 8),
                static_cast<std::uint8_t>(pub.nameAlg & 0xFF)};
  if (!bytes.ok()) return name;
  Bytes h = sha256(*bytes);
  name.insert(name.end(), h.begin(), h.end());
  return name;
}

std::string fourChars(std::uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((v >> shift) & 0xFF);
    if (c == '\0') continue;
    s.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  return s;
}

TPMI_ALG_HASH bankAlg(TpmBank bank) {
  return bank == TpmBank::Sha1 ? TPM2_ALG_SHA1 : TPM2_ALG_SHA256;
}

Result<TPML_PCR_SELECTION> pcrSelection(const std::vector<unsigned>& pcrs, TpmBank bank) {
  if (pcrs.empty()) return makeError("tpm", "empty PCR selection");
  TPML_PCR_SELECTION sel{};
  sel.count = 1;
  sel.pcrSelections[0].hash = bankAlg(bank);
  sel.pcrSelections[0].sizeofSelect = 3;
  for (unsigned p : pcrs) {
    if (p >= 24) return makeError("tpm", "PCR index " + std::to_string(p) + " out of range");
    sel.pcrSelections[0].pcrSelect[p / 8] |= static_cast<std::uint8_t>(1u << (p % 8));
  }
  return sel;
}

}  // namespace

bool isAllowedTcti(std::string_view tcti) {
  // Explicit backends only: "" would make tpm2-tss probe its default list, and "cmd:" would run
  // a program.
  for (std::string_view prefix : {"device:/dev/", "swtpm:", "mssim:"}) {
    if (tcti.substr(0, prefix.size()) == prefix && tcti.size() > prefix.size()) return true;
  }
  return false;
}

struct TpmDevice::Impl {
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  ESYS_CONTEXT* esys = nullptr;
  std::chrono::microseconds* tpmTime = nullptr;
  std::optional<TPMS_CONTEXT> ekContext;
  std::optional<TPMS_CONTEXT> akContext;
  TPM2B_PUBLIC ekPublic{};
  TPM2B_PUBLIC akPublic{};
  std::uint32_t nvBufferMax = 0;

  ~Impl() {
    if (esys != nullptr) Esys_Finalize(&esys);
    if (tcti != nullptr) Tss2_TctiLdr_Finalize(&tcti);
  }

  // Every TPM round trip goes through here so the agent can report TPM time honestly.
  template <class F>
  TSS2_RC timed(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    TSS2_RC rc = f();
    *tpmTime += std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    return rc;
  }

  void flush(ESYS_TR& tr) {
    if (tr == ESYS_TR_NONE) return;
    timed([&] { return Esys_FlushContext(esys, tr); });
    tr = ESYS_TR_NONE;
  }

  Result<EsysPtr<TPMS_CAPABILITY_DATA>> capability(TPM2_CAP cap, std::uint32_t property,
                                                   std::uint32_t count) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* data = nullptr;
    TSS2_RC rc = timed([&] {
      return Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, cap, property,
                                count, &more, &data);
    });
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_GetCapability", rc);
    return EsysPtr<TPMS_CAPABILITY_DATA>(data);
  }

  Result<std::vector<std::uint32_t>> handles(std::uint32_t first, std::uint32_t count) {
    auto cap = capability(TPM2_CAP_HANDLES, first, count);
    if (!cap.ok()) return cap.error();
    std::vector<std::uint32_t> out;
    const TPML_HANDLE& h = (*cap)->data.handles;
    for (std::uint32_t i = 0; i < h.count && i < TPM2_MAX_CAP_HANDLES; ++i) {
      if (h.handle[i] >= first && h.handle[i] - first < count) out.push_back(h.handle[i]);
    }
    return out;
  }

  // A policy session satisfying the EK's authPolicy: PolicySecret(TPM_RH_ENDORSEMENT). It is
  // consumed by one command; the caller flushes it.
  Result<ESYS_TR> ekPolicySession() {
    ESYS_TR session = ESYS_TR_NONE;
    TPMT_SYM_DEF sym{};
    sym.algorithm = TPM2_ALG_NULL;
    TSS2_RC rc = timed([&] {
      return Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                   ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
                                   &session);
    });
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_StartAuthSession", rc);
    TPM2B_NONCE nonceTpm{};
    TPM2B_DIGEST cpHash{};
    TPM2B_NONCE policyRef{};
    TPM2B_TIMEOUT* timeout = nullptr;
    TPMT_TK_AUTH* ticket = nullptr;
    rc = timed([&] {
      return Esys_PolicySecret(esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD,
                               ESYS_TR_NONE, ESYS_TR_NONE, &nonceTpm, &cpHash, &policyRef, 0,
                               &timeout, &ticket);
    });
    Esys_Free(timeout);
    Esys_Free(ticket);
    if (rc != TSS2_RC_SUCCESS) {
      flush(session);
      return tpmError("TPM2_PolicySecret(endorsement)", rc);
    }
    return session;
  }

  Result<ESYS_TR> load(const std::optional<TPMS_CONTEXT>& saved, const char* what) {
    if (!saved) return makeError("tpm", std::string(what) + " has not been created");
    ESYS_TR tr = ESYS_TR_NONE;
    TSS2_RC rc = timed([&] { return Esys_ContextLoad(esys, &*saved, &tr); });
    if (rc != TSS2_RC_SUCCESS) return tpmError(std::string("TPM2_ContextLoad ") + what, rc);
    return tr;
  }

  // Saves the object's context on the host and flushes it from the TPM.
  Result<TPMS_CONTEXT> saveAndFlush(ESYS_TR& tr) {
    TPMS_CONTEXT* ctx = nullptr;
    TSS2_RC rc = timed([&] { return Esys_ContextSave(esys, tr, &ctx); });
    flush(tr);
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_ContextSave", rc);
    TPMS_CONTEXT copy = *ctx;
    Esys_Free(ctx);
    return copy;
  }

  // Flushes a transient handle or session on every exit path.
  class Scoped {
   public:
    Scoped(Impl& impl, ESYS_TR tr) : impl_(impl), tr_(tr) {}
    ~Scoped() { impl_.flush(tr_); }
    Scoped(const Scoped&) = delete;
    Scoped& operator=(const Scoped&) = delete;
    [[nodiscard]] ESYS_TR get() const { return tr_; }
    ESYS_TR& ref() { return tr_; }

   private:
    Impl& impl_;
    ESYS_TR tr_;
  };
};

TpmDevice::TpmDevice(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->tpmTime = &tpmTime_;
}

TpmDevice::~TpmDevice() = default;

Result<std::unique_ptr<TpmDevice>> TpmDevice::open(const std::string& tcti) {
  if (!isAllowedTcti(tcti)) {
    return makeError("tpm_absent",
                     "TCTI \"" + tcti +
                         "\" is not allowed: use device:/dev/tpmrm0, swtpm:host=H,port=P or "
                         "mssim:host=H,port=P");
  }
  auto impl = std::make_unique<Impl>();
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &impl->tcti);
  if (rc != TSS2_RC_SUCCESS) {
    return makeError("tpm_absent", "no TPM at " + tcti + ": " + Tss2_RC_Decode(rc));
  }
  rc = Esys_Initialize(&impl->esys, impl->tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    return makeError("tpm_absent", "cannot talk to the TPM at " + tcti + ": " + Tss2_RC_Decode(rc));
  }
  return std::unique_ptr<TpmDevice>(new TpmDevice(std::move(impl)));
}

TpmInfo TpmDevice::info() {
  TpmInfo out;
  auto fixed = impl_->capability(TPM2_CAP_TPM_PROPERTIES, TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES);
  if (!fixed.ok()) {
    const Error& e = fixed.error();
    out.readiness = e.code == "tpm_not_ready"  ? TpmReadiness::NotReady
                    : e.code == "tpm_lockout"  ? TpmReadiness::Lockout
                    : e.code == "tpm_disabled" ? TpmReadiness::Disabled
                                               : TpmReadiness::Absent;
    out.detail = out.readiness == TpmReadiness::NotReady
                     ? "the TPM is not ready for use (" + e.message + ")"
                     : "the TPM does not answer (" + e.message + ")";
    return out;
  }
  std::uint32_t fw1 = 0, fw2 = 0;
  std::string vendor;
  const TPML_TAGGED_TPM_PROPERTY& props = (*fixed)->data.tpmProperties;
  for (std::uint32_t i = 0; i < props.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
    const auto& p = props.tpmProperty[i];
    switch (p.property) {
      case TPM2_PT_MANUFACTURER:
        out.manufacturerId = p.value;
        out.manufacturer = trim(fourChars(p.value));
        break;
      case TPM2_PT_VENDOR_STRING_1:
      case TPM2_PT_VENDOR_STRING_2:
      case TPM2_PT_VENDOR_STRING_3:
      case TPM2_PT_VENDOR_STRING_4:
        vendor += fourChars(p.value);
        break;
      case TPM2_PT_FIRMWARE_VERSION_1:
        fw1 = p.value;
        break;
      case TPM2_PT_FIRMWARE_VERSION_2:
        fw2 = p.value;
        break;
      case TPM2_PT_NV_BUFFER_MAX:
        out.nvBufferMax = p.value;
        break;
      default:
        break;
    }
  }
  impl_->nvBufferMax = out.nvBufferMax;
  out.vendorString = trim(vendor);
  out.firmware = std::to_string(fw1 >> 16) + "." + std::to_string(fw1 & 0xFFFF) + "." +
                 std::to_string(fw2 >> 16) + "." + std::to_string(fw2 & 0xFFFF);

  auto var = impl_->capability(TPM2_CAP_TPM_PROPERTIES, TPM2_PT_PERMANENT, 2);
  if (!var.ok()) {
    out.readiness = TpmReadiness::NotReady;
    out.detail = "the TPM is not ready for use (" + var.error().message + ")";
    return out;
  }
  std::optional<std::uint32_t> permanent, startupClear;
  const TPML_TAGGED_TPM_PROPERTY& v = (*var)->data.tpmProperties;
  for (std::uint32_t i = 0; i < v.count && i < TPM2_MAX_TPM_PROPERTIES; ++i) {
    if (v.tpmProperty[i].property == TPM2_PT_PERMANENT) permanent = v.tpmProperty[i].value;
    if (v.tpmProperty[i].property == TPM2_PT_STARTUP_CLEAR) startupClear = v.tpmProperty[i].value;
  }
  // Fail closed: a TPM that does not report its state is not ready.
  if (!permanent || !startupClear) {
    out.readiness = TpmReadiness::NotReady;
    out.detail = "the TPM did not report its permanent and startup state";
  } else if ((*permanent & TPMA_PERMANENT_INLOCKOUT) != 0) {
    out.readiness = TpmReadiness::Lockout;
    out.detail = "the TPM is in dictionary-attack lockout";
  } else if ((*startupClear & TPMA_STARTUP_CLEAR_EHENABLE) == 0) {
    out.readiness = TpmReadiness::Disabled;
    out.detail = "the TPM's endorsement hierarchy is disabled";
  } else if ((*startupClear & TPMA_STARTUP_CLEAR_SHENABLE) == 0) {
    out.readiness = TpmReadiness::Disabled;
    out.detail = "the TPM's storage hierarchy is disabled";
  } else {
    out.readiness = TpmReadiness::Ready;
    out.detail = "the TPM is enabled and ready";
  }
  return out;
}

Result<std::vector<std::uint32_t>> TpmDevice::nvIndices(std::uint32_t first, std::uint32_t count) {
  return impl_->handles(first, count);
}

Result<std::optional<Bytes>> TpmDevice::readNv(std::uint32_t index, std::size_t maxSize) {
  auto present = impl_->handles(index, 1);
  if (!present.ok()) return present.error();
  if (present->empty()) return std::optional<Bytes>();
  Impl& m = *impl_;
  ESYS_TR nv = ESYS_TR_NONE;
  TSS2_RC rc = m.timed([&] {
    return Esys_TR_FromTPMPublic(m.esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
  });
  if (rc != TSS2_RC_SUCCESS) return tpmError("NV index lookup", rc);
  // Esys_TR_Close only frees ESAPI's bookkeeping; NV indices are not flushed.
  struct Close {
    ESYS_CONTEXT* e;
    ESYS_TR* tr;
    ~Close() { Esys_TR_Close(e, tr); }
  } close{m.esys, &nv};
  TPM2B_NV_PUBLIC* pubRaw = nullptr;
  TPM2B_NAME* nameRaw = nullptr;
  rc = m.timed([&] {
    return Esys_NV_ReadPublic(m.esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pubRaw,
                              &nameRaw);
  });
  EsysPtr<TPM2B_NV_PUBLIC> pub(pubRaw);
  EsysPtr<TPM2B_NAME> name(nameRaw);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_NV_ReadPublic", rc);
  const std::size_t size = pub->nvPublic.dataSize;
  if (size > maxSize) {
    return makeError("tpm", "NV index holds " + std::to_string(size) + " bytes, more than " +
                                std::to_string(maxSize));
  }
  const TPMA_NV attrs = pub->nvPublic.attributes;
  ESYS_TR auth = (attrs & TPMA_NV_AUTHREAD)    ? nv
                 : (attrs & TPMA_NV_OWNERREAD) ? ESYS_TR_RH_OWNER
                 : (attrs & TPMA_NV_PPREAD)    ? ESYS_TR_RH_PLATFORM
                                               : ESYS_TR_NONE;
  if (auth == ESYS_TR_NONE) return makeError("tpm", "NV index is not readable");
  const std::size_t chunk = std::clamp<std::size_t>(m.nvBufferMax, 256, TPM2_MAX_NV_BUFFER_SIZE);
  Bytes out;
  out.reserve(size);
  while (out.size() < size) {
    const auto n = static_cast<UINT16>(std::min(chunk, size - out.size()));
    const auto offset = static_cast<UINT16>(out.size());
    TPM2B_MAX_NV_BUFFER* data = nullptr;
    rc = m.timed([&] {
      return Esys_NV_Read(m.esys, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, offset,
                          &data);
    });
    EsysPtr<TPM2B_MAX_NV_BUFFER> owned(data);
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_NV_Read", rc);
    if (data->size == 0 || data->size > n) return makeError("tpm", "TPM2_NV_Read: bad size");
    out.insert(out.end(), data->buffer, data->buffer + data->size);
  }
  return std::optional<Bytes>(std::move(out));
}

Result<Ek> TpmDevice::loadEk(KeyAlgorithm preferred) {
  Impl& m = *impl_;
  if (m.nvBufferMax == 0) (void)info();
  Ek ek;
  const KeyAlgorithm other =
      preferred == KeyAlgorithm::EccP256 ? KeyAlgorithm::Rsa2048 : KeyAlgorithm::EccP256;
  auto certIndex = [](KeyAlgorithm a) {
    return a == KeyAlgorithm::Rsa2048 ? ek_nv::kRsaCert : ek_nv::kEccCert;
  };
  ek.algorithm = preferred;
  for (KeyAlgorithm a : {preferred, other}) {
    auto cert = readNv(certIndex(a));
    if (!cert.ok()) return cert.error().withContext("EK certificate");
    if (*cert) {
      ek.algorithm = a;
      ek.certificate = EkCertificate{certIndex(a), std::move(**cert)};
      break;
    }
  }
  auto high = nvIndices(ek_nv::kHighRangeFirst, ek_nv::kHighRangeLast - ek_nv::kHighRangeFirst + 1);
  if (!high.ok()) return high.error();
  for (std::uint32_t idx : *high) {
    if ((idx - ek_nv::kHighRangeFirst) % 2 == 0) ek.highRangeIndices.push_back(idx);
  }

  // Template and nonce indices (EK Credential Profile): the EK must be recreated with them or
  // its public will not match the certificate.
  const bool rsa = ek.algorithm == KeyAlgorithm::Rsa2048;
  TPMT_PUBLIC tmpl = defaultEkTemplate(ek.algorithm);
  auto nvTemplate = readNv(rsa ? ek_nv::kRsaTemplate : ek_nv::kEccTemplate, sizeof(TPMT_PUBLIC));
  if (!nvTemplate.ok()) return nvTemplate.error().withContext("EK template");
  if (*nvTemplate) {
    TPMT_PUBLIC parsed{};
    size_t offset = 0;
    const Bytes& b = **nvTemplate;
    TSS2_RC rc = Tss2_MU_TPMT_PUBLIC_Unmarshal(b.data(), b.size(), &offset, &parsed);
    if (rc != TSS2_RC_SUCCESS || offset != b.size() ||
        parsed.type != (rsa ? TPM2_ALG_RSA : TPM2_ALG_ECC)) {
      return makeError("tpm", "the EK template in NV is malformed");
    }
    tmpl = parsed;
    ek.templateFromNv = true;
  }
  auto nvNonce = readNv(rsa ? ek_nv::kRsaNonce : ek_nv::kEccNonce, 256);
  if (!nvNonce.ok()) return nvNonce.error().withContext("EK nonce");
  if (*nvNonce) {
    const Bytes& n = **nvNonce;
    if (rsa) {
      if (n.size() > 256) return makeError("tpm", "the EK nonce in NV is too long");
      tmpl.unique.rsa = TPM2B_PUBLIC_KEY_RSA{};
      tmpl.unique.rsa.size = 256;
      std::copy(n.begin(), n.end(), tmpl.unique.rsa.buffer);
    } else {
      if (n.size() > 32) return makeError("tpm", "the EK nonce in NV is too long");
      tmpl.unique.ecc = TPMS_ECC_POINT{};
      tmpl.unique.ecc.x.size = 32;
      tmpl.unique.ecc.y.size = 32;
      std::copy(n.begin(), n.end(), tmpl.unique.ecc.x.buffer);
    }
    ek.nonceFromNv = true;
  }

  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC in{};
  in.publicArea = tmpl;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creationPcr{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* outPub = nullptr;
  TPM2B_CREATION_DATA* cd = nullptr;
  TPM2B_DIGEST* ch = nullptr;
  TPMT_TK_CREATION* ct = nullptr;
  TSS2_RC rc = m.timed([&] {
    return Esys_CreatePrimary(m.esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, &sensitive, &in, &outside, &creationPcr, &handle,
                              &outPub, &cd, &ch, &ct);
  });
  EsysPtr<TPM2B_PUBLIC> pub(outPub);
  Esys_Free(cd);
  Esys_Free(ch);
  Esys_Free(ct);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_CreatePrimary(EK)", rc);
  auto saved = m.saveAndFlush(handle);
  if (!saved.ok()) return saved.error();
  m.ekContext = *saved;
  m.ekPublic = *pub;
  m.akContext.reset();
  auto bytes = marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  if (!bytes.ok()) return bytes.error();
  ek.publicArea = std::move(*bytes);
  return ek;
}

Result<Ak> TpmDevice::createAk(const AkOptions& options) {
  Impl& m = *impl_;
  auto ekTr = m.load(m.ekContext, "EK");
  if (!ekTr.ok()) return ekTr.error();
  Impl::Scoped ek(m, *ekTr);

  auto s1 = m.ekPolicySession();
  if (!s1.ok()) return s1.error();
  Impl::Scoped session(m, *s1);
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC in{};
  in.publicArea = akTemplate(options);
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creationPcr{};
  TPM2B_PRIVATE* privRaw = nullptr;
  TPM2B_PUBLIC* pubRaw = nullptr;
  TPM2B_CREATION_DATA* cd = nullptr;
  TPM2B_DIGEST* ch = nullptr;
  TPMT_TK_CREATION* ct = nullptr;
  TSS2_RC rc = m.timed([&] {
    return Esys_Create(m.esys, ek.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &in,
                       &outside, &creationPcr, &privRaw, &pubRaw, &cd, &ch, &ct);
  });
  EsysPtr<TPM2B_PRIVATE> priv(privRaw);
  EsysPtr<TPM2B_PUBLIC> pub(pubRaw);
  Esys_Free(cd);
  Esys_Free(ch);
  Esys_Free(ct);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_Create(AK)", rc);
  m.flush(session.ref());

  // The policy session is spent by Create; Load needs a fresh one.
  auto s2 = m.ekPolicySession();
  if (!s2.ok()) return s2.error();
  Impl::Scoped session2(m, *s2);
  ESYS_TR akTr = ESYS_TR_NONE;
  rc = m.timed([&] {
    return Esys_Load(m.esys, ek.get(), session2.get(), ESYS_TR_NONE, ESYS_TR_NONE, priv.get(),
                     pub.get(), &akTr);
  });
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_Load(AK)", rc);
  auto saved = m.saveAndFlush(akTr);
  if (!saved.ok()) return saved.error();
  m.akContext = *saved;
  m.akPublic = *pub;

  Ak ak;
  ak.algorithm = options.algorithm;
  auto bytes = marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  if (!bytes.ok()) return bytes.error();
  ak.publicArea = std::move(*bytes);
  ak.name = nameOf(pub->publicArea);
  return ak;
}

Result<Bytes> TpmDevice::activateCredential(const Bytes& credentialBlob,
                                            const Bytes& encryptedSecret) {
  Impl& m = *impl_;
  TPM2B_ID_OBJECT blob{};
  size_t off = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credentialBlob.data(), credentialBlob.size(), &off,
                                        &blob) != TSS2_RC_SUCCESS ||
      off != credentialBlob.size()) {
    return makeError("tpm_input", "credential_blob is not a TPM2B_ID_OBJECT");
  }
  TPM2B_ENCRYPTED_SECRET secret{};
  off = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(encryptedSecret.data(), encryptedSecret.size(), &off,
                                               &secret) != TSS2_RC_SUCCESS ||
      off != encryptedSecret.size()) {
    return makeError("tpm_input", "encrypted_secret is not a TPM2B_ENCRYPTED_SECRET");
  }
  auto ekTr = m.load(m.ekContext, "EK");
  if (!ekTr.ok()) return ekTr.error();
  Impl::Scoped ek(m, *ekTr);
  auto akTr = m.load(m.akContext, "AK");
  if (!akTr.ok()) return akTr.error();
  Impl::Scoped ak(m, *akTr);
  auto s = m.ekPolicySession();
  if (!s.ok()) return s.error();
  Impl::Scoped session(m, *s);
  TPM2B_DIGEST* certInfo = nullptr;
  TSS2_RC rc = m.timed([&] {
    return Esys_ActivateCredential(m.esys, ak.get(), ek.get(), ESYS_TR_PASSWORD, session.get(),
                                   ESYS_TR_NONE, &blob, &secret, &certInfo);
  });
  EsysPtr<TPM2B_DIGEST> owned(certInfo);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_ActivateCredential", rc);
  Bytes out(certInfo->buffer, certInfo->buffer + certInfo->size);
  secureZero(certInfo->buffer, certInfo->size);
  return out;
}

Result<std::map<unsigned, Bytes>> TpmDevice::readPcrs(const std::vector<unsigned>& pcrs,
                                                      TpmBank bank) {
  Impl& m = *impl_;
  auto sel = pcrSelection(pcrs, bank);
  if (!sel.ok()) return sel.error();
  std::map<unsigned, Bytes> out;
  TPML_PCR_SELECTION want = *sel;
  // TPM2_PCR_Read returns at most 8 digests per call: ask again for what is missing.
  for (int round = 0; round < 8; ++round) {
    bool any = false;
    for (auto b : want.pcrSelections[0].pcrSelect) any = any || b != 0;
    if (!any) return out;
    UINT32 counter = 0;
    TPML_PCR_SELECTION* gotSel = nullptr;
    TPML_DIGEST* values = nullptr;
    TSS2_RC rc = m.timed([&] {
      return Esys_PCR_Read(m.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &want, &counter,
                           &gotSel, &values);
    });
    EsysPtr<TPML_PCR_SELECTION> s(gotSel);
    EsysPtr<TPML_DIGEST> v(values);
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_PCR_Read", rc);
    std::uint32_t k = 0;
    bool progress = false;
    for (std::uint32_t i = 0; i < s->count && i < TPM2_NUM_PCR_BANKS; ++i) {
      const auto& ps = s->pcrSelections[i];
      if (ps.hash != bankAlg(bank)) continue;
      for (unsigned p = 0; p < 24u && p / 8 < ps.sizeofSelect; ++p) {
        if ((ps.pcrSelect[p / 8] & (1u << (p % 8))) == 0) continue;
        if (k >= v->count) return makeError("tpm", "TPM2_PCR_Read returned too few digests");
        out[p] = Bytes(v->digests[k].buffer, v->digests[k].buffer + v->digests[k].size);
        ++k;
        want.pcrSelections[0].pcrSelect[p / 8] &= static_cast<std::uint8_t>(~(1u << (p % 8)));
        progress = true;
      }
    }
    if (!progress) {
      return makeError("tpm", std::string("the TPM has no ") +
                                  (bank == TpmBank::Sha1 ? "SHA-1" : "SHA-256") +
                                  " PCR bank for this selection");
    }
  }
  return makeError("tpm", "TPM2_PCR_Read did not return the whole selection");
}

Result<TpmQuote> TpmDevice::quote(const Bytes& nonce, const std::vector<unsigned>& pcrs,
                                  int maxAttempts,
                                  const std::function<void(int attempt)>& afterRead, TpmBank bank) {
  Impl& m = *impl_;
  if (nonce.size() > sizeof(TPMU_HA)) return makeError("tpm_input", "nonce is too long");
  auto sel = pcrSelection(pcrs, bank);
  if (!sel.ok()) return sel.error();
  auto akTr = m.load(m.akContext, "AK");
  if (!akTr.ok()) return akTr.error();
  Impl::Scoped ak(m, *akTr);
  TPM2B_DATA qualifying{};
  qualifying.size = static_cast<UINT16>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
  for (int attempt = 1; attempt <= maxAttempts; ++attempt) {
    auto values = readPcrs(pcrs, bank);
    if (!values.ok()) return values.error();
    // pcrDigest is hashed with the AK's scheme hash (SHA-256), whatever the bank.
    Bytes concat;
    for (const auto& [idx, v] : *values) concat.insert(concat.end(), v.begin(), v.end());
    const Bytes expected = sha256(concat);
    if (afterRead) afterRead(attempt);

    TPM2B_ATTEST* quotedRaw = nullptr;
    TPMT_SIGNATURE* sigRaw = nullptr;
    TSS2_RC rc = m.timed([&] {
      return Esys_Quote(m.esys, ak.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying,
                        &scheme, &*sel, &quotedRaw, &sigRaw);
    });
    EsysPtr<TPM2B_ATTEST> quoted(quotedRaw);
    EsysPtr<TPMT_SIGNATURE> sig(sigRaw);
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_Quote", rc);
    TPMS_ATTEST attest{};
    size_t off = 0;
    if (Tss2_MU_TPMS_ATTEST_Unmarshal(quoted->attestationData, quoted->size, &off, &attest) !=
            TSS2_RC_SUCCESS ||
        attest.type != TPM2_ST_ATTEST_QUOTE) {
      return makeError("tpm", "TPM2_Quote returned something that is not a quote");
    }
    const TPM2B_DIGEST& d = attest.attested.quote.pcrDigest;
    if (Bytes(d.buffer, d.buffer + d.size) != expected) continue;  // a PCR moved in between
    TpmQuote q;
    auto a = marshal(*quoted, Tss2_MU_TPM2B_ATTEST_Marshal);
    auto s = marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal);
    if (!a.ok()) return a.error();
    if (!s.ok()) return s.error();
    q.attest = std::move(*a);
    q.signature = std::move(*s);
    q.pcrValues = std::move(*values);
    q.attempts = attempt;
    return q;
  }
  return makeError("tpm", "PCRs kept changing: no quote agreed with the PCR values after " +
                              std::to_string(maxAttempts) + " attempts");
}

Result<Bytes> TpmDevice::signChallenge(const Bytes& challenge) {
  Impl& m = *impl_;
  if (challenge.empty() || challenge.size() > TPM2_MAX_DIGEST_BUFFER) {
    return makeError("tpm_input", "challenge size out of range");
  }
  TPM2B_MAX_BUFFER data{};
  data.size = static_cast<UINT16>(challenge.size());
  std::copy(challenge.begin(), challenge.end(), data.buffer);
  TPM2B_DIGEST* hashRaw = nullptr;
  TPMT_TK_HASHCHECK* ticketRaw = nullptr;
  TSS2_RC rc = m.timed([&] {
    return Esys_Hash(m.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &data, TPM2_ALG_SHA256,
                     ESYS_TR_RH_OWNER, &hashRaw, &ticketRaw);
  });
  EsysPtr<TPM2B_DIGEST> hash(hashRaw);
  EsysPtr<TPMT_TK_HASHCHECK> ticket(ticketRaw);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_Hash", rc);
  auto akTr = m.load(m.akContext, "AK");
  if (!akTr.ok()) return akTr.error();
  Impl::Scoped ak(m, *akTr);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;
  TPMT_SIGNATURE* sigRaw = nullptr;
  rc = m.timed([&] {
    return Esys_Sign(m.esys, ak.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, hash.get(),
                     &scheme, ticket.get(), &sigRaw);
  });
  EsysPtr<TPMT_SIGNATURE> sig(sigRaw);
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_Sign", rc);
  return marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal);
}

Status TpmDevice::extendPcr(const PcrExtend& e) {
  Impl& m = *impl_;
  if (e.pcr > 23) return makeError("tpm_input", "PCR index out of range");
  if (e.sha256.size() != 32) return makeError("tpm_input", "a SHA-256 digest has 32 bytes");
  TPML_DIGEST_VALUES digests{};
  digests.count = 1;
  digests.digests[0].hashAlg = TPM2_ALG_SHA256;
  std::copy(e.sha256.begin(), e.sha256.end(), digests.digests[0].digest.sha256);
  TSS2_RC rc = m.timed([&] {
    return Esys_PCR_Extend(m.esys, ESYS_TR_PCR0 + e.pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &digests);
  });
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_PCR_Extend", rc);
  return {};
}

Status TpmDevice::writePlatformNv(std::uint32_t index, const Bytes& data, bool writeLock) {
  Impl& m = *impl_;
  if (m.nvBufferMax == 0) (void)info();
  if (data.empty() || data.size() > 4096)
    return makeError("tpm_input", "NV data size out of range");
  TPM2B_AUTH auth{};
  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = index;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  // The attributes firmware gives EK certificate indices: platform-created, written once
  // under platform authorisation, readable by anyone with the (empty) index or owner auth.
  pub.nvPublic.attributes = TPMA_NV_PPWRITE | TPMA_NV_WRITEDEFINE | TPMA_NV_PPREAD |
                            TPMA_NV_OWNERREAD | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA |
                            TPMA_NV_PLATFORMCREATE;
  pub.nvPublic.dataSize = static_cast<UINT16>(data.size());
  ESYS_TR nv = ESYS_TR_NONE;
  TSS2_RC rc = m.timed([&] {
    return Esys_NV_DefineSpace(m.esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &auth, &pub, &nv);
  });
  if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_NV_DefineSpace", rc);
  struct Close {
    ESYS_CONTEXT* e;
    ESYS_TR* tr;
    ~Close() { Esys_TR_Close(e, tr); }
  } close{m.esys, &nv};
  const std::size_t chunk = std::clamp<std::size_t>(m.nvBufferMax, 256, TPM2_MAX_NV_BUFFER_SIZE);
  for (std::size_t off = 0; off < data.size(); off += chunk) {
    TPM2B_MAX_NV_BUFFER buf{};
    buf.size = static_cast<UINT16>(std::min(chunk, data.size() - off));
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(off), buf.size, buf.buffer);
    rc = m.timed([&] {
      return Esys_NV_Write(m.esys, ESYS_TR_RH_PLATFORM, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                           ESYS_TR_NONE, &buf, static_cast<UINT16>(off));
    });
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_NV_Write", rc);
  }
  if (writeLock) {
    rc = m.timed([&] {
      return Esys_NV_WriteLock(m.esys, ESYS_TR_RH_PLATFORM, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE);
    });
    if (rc != TSS2_RC_SUCCESS) return tpmError("TPM2_NV_WriteLock", rc);
  }
  return {};
}

Result<HandleCounts> TpmDevice::handleCounts() {
  HandleCounts c;
  auto t = impl_->handles(TPM2_TRANSIENT_FIRST, 0x00FFFFFF);
  if (!t.ok()) return t.error();
  c.transient = t->size();
  auto loaded = impl_->handles(TPM2_LOADED_SESSION_FIRST, 0x00FFFFFF);
  if (!loaded.ok()) return loaded.error();
  auto active = impl_->handles(TPM2_ACTIVE_SESSION_FIRST, 0x00FFFFFF);
  if (!active.ok()) return active.error();
  c.sessions = loaded->size() + active->size();
  return c;
}

}  // namespace pb
