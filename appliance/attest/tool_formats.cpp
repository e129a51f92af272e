// SPDX-License-Identifier: Apache-2.0
#include "attest/tool_formats.hpp"

#include <charconv>
#include <set>

#include <openssl/bio.h>
#include <openssl/pem.h>

namespace pb::attest {

Result<std::vector<PcrSelection>> parsePcrListSpec(std::string_view spec) {
  std::vector<PcrSelection> out;
  std::set<std::uint16_t> banks;
  if (spec.empty() || spec.size() > 512) return makeError("usage", "PCR list is empty or too long");
  while (!spec.empty()) {
    std::size_t plus = spec.find('+');
    std::string_view part = spec.substr(0, plus);
    spec = plus == std::string_view::npos ? std::string_view{} : spec.substr(plus + 1);
    std::size_t colon = part.find(':');
    if (colon == std::string_view::npos) return makeError("usage", "PCR list needs bank:indices");
    std::uint16_t bank = hashFromName(part.substr(0, colon));
    if (bank == 0 || !banks.insert(bank).second)
      return makeError("usage", "unknown or repeated PCR bank");
    std::vector<std::uint32_t> pcrs;
    std::string_view list = part.substr(colon + 1);
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      std::string_view num = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      std::uint32_t v = 0;
      auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec != std::errc{} || ptr != num.data() + num.size() || v > 23) {
        return makeError("usage", "PCR index must be 0..23");
      }
      pcrs.push_back(v);
    }
    if (pcrs.empty()) return makeError("usage", "a PCR bank needs at least one index");
    out.push_back(makeSelection(bank, std::move(pcrs)));
  }
  return out;
}

namespace {

std::uint32_t le32(const Bytes& b, std::size_t off) {
  return std::uint32_t{b[off]} | (std::uint32_t{b[off + 1]} << 8) |
         (std::uint32_t{b[off + 2]} << 16) | (std::uint32_t{b[off + 3]} << 24);
}
std::uint16_t le16(const Bytes& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
}

// tpm2-tools "serialized" layout (x86-64 host structs, little endian): TPML_PCR_SELECTION (4 +
// 16 x 8 bytes), UINT32 n, n x TPML_DIGEST (4 + 8 x 66 bytes). The default of tpm2_quote -o in 5.x.
constexpr std::size_t kSelBytes = 4 + 16 * 8;
constexpr std::size_t kDigestListBytes = 4 + 8 * 66;
constexpr std::size_t kMaxDigestLists = 64;

Result<PcrValues> parseSerialized(const Bytes& file) {
  std::uint32_t count = le32(file, 0);
  if (count > 16) return makeError("parse", "PCR file: selection count out of range");
  std::vector<PcrSelection> sel;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::size_t off = 4 + i * 8;
    std::uint16_t hash = le16(file, off);
    std::uint8_t size = file[off + 2];
    if (size > 4 || digestSize(hash) == 0)
      return makeError("parse", "PCR file: bad selection entry");
    std::vector<std::uint32_t> pcrs;
    for (std::uint32_t byte = 0; byte < size; ++byte) {
      for (std::uint32_t bit = 0; bit < 8; ++bit) {
        if ((file[off + 3 + byte] >> bit) & 1U) pcrs.push_back(byte * 8 + bit);
      }
    }
    sel.push_back(PcrSelection{hash, pcrs});
  }
  std::uint32_t lists = le32(file, kSelBytes);
  if (lists > kMaxDigestLists || file.size() != kSelBytes + 4 + lists * kDigestListBytes) {
    return makeError("parse", "PCR file: digest list count does not match the file size");
  }
  std::vector<Bytes> digests;
  for (std::uint32_t l = 0; l < lists; ++l) {
    std::size_t base = kSelBytes + 4 + l * kDigestListBytes;
    std::uint32_t n = le32(file, base);
    if (n > 8) return makeError("parse", "PCR file: digest count out of range");
    for (std::uint32_t d = 0; d < n; ++d) {
      std::size_t off = base + 4 + d * 66;
      std::uint16_t size = le16(file, off);
      if (size > 64) return makeError("parse", "PCR file: digest size out of range");
      digests.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(off + 2),
                           file.begin() + static_cast<std::ptrdiff_t>(off + 2 + size));
    }
  }
  PcrValues out;
  std::size_t next = 0;
  for (const auto& s : sel) {
    for (std::uint32_t idx : s.pcrs) {
      if (next >= digests.size() || digests[next].size() != digestSize(s.hashAlg)) {
        return makeError("parse", "PCR file: values do not match its selection");
      }
      out[s.hashAlg][idx] = digests[next++];
    }
  }
  if (next != digests.size()) return makeError("parse", "PCR file: more values than selected PCRs");
  return out;
}

}  // namespace

Result<PcrValues> parsePcrValuesFile(const Bytes& file,
                                     const std::vector<PcrSelection>& selection) {
  if (file.size() >= kSelBytes + 4 && (file.size() - kSelBytes - 4) % kDigestListBytes == 0) {
    return parseSerialized(file);
  }
  std::size_t need = 0;
  for (const auto& s : selection) need += s.pcrs.size() * digestSize(s.hashAlg);
  if (need == 0 || file.size() != need) {
    return makeError("parse", "PCR file has " + std::to_string(file.size()) +
                                  " bytes, selection needs " + std::to_string(need));
  }
  PcrValues out;
  std::size_t off = 0;
  for (const auto& s : selection) {
    std::size_t d = digestSize(s.hashAlg);
    for (std::uint32_t idx : s.pcrs) {
      out[s.hashAlg][idx] = Bytes(file.begin() + static_cast<std::ptrdiff_t>(off),
                                  file.begin() + static_cast<std::ptrdiff_t>(off + d));
      off += d;
    }
  }
  return out;
}

Result<AkFile> parseAkFile(const Bytes& file) {
  AkFile out;
  static constexpr std::string_view kPem = "-----BEGIN PUBLIC KEY-----";
  if (file.size() >= kPem.size() && std::equal(kPem.begin(), kPem.end(), file.begin())) {
    if (file.size() > 16384) return makeError("parse", "PEM file too large");
    BIO* bio = BIO_new_mem_buf(file.data(), static_cast<int>(file.size()));
    EVP_PKEY* key = bio == nullptr ? nullptr : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) return makeError("parse", "AK PEM is not a public key");
    out.fromPem = true;
    out.key.reset(key);
    return out;
  }
  auto pub = parsePublicAuto(file);
  if (!pub) return pub.error().withContext("AK public");
  auto key = toEvpKey(pub.value());
  if (!key) return key.error().withContext("AK public");
  out.pub = std::move(pub.value());
  out.key = std::move(key.value());
  return out;
}

}  // namespace pb::attest
