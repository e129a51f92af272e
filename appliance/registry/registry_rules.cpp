// SPDX-License-Identifier: Apache-2.0
// The rules one register row must meet (shared by both formats and by validateRegistryRow), and the
// placeholder serial / firmware-default UUID lists admission uses too.
#include <algorithm>
#include <set>

#include "core/clock.hpp"
#include "core/printable_text.hpp"
#include "registry/registry_detail.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb {

namespace registry_detail {

namespace {
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

namespace {

bool isPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

void checkText(std::string_view field, const std::string& value, std::size_t maxLen, bool asciiOnly,
               int line, std::vector<RowError>& out) {
  if (value.empty()) {
    out.push_back({line, fieldName(field), fieldName(field) + " is required"});
  } else if (value.size() > maxLen) {
    out.push_back({line, fieldName(field),
                   fieldName(field) + " is longer than " + std::to_string(maxLen) + " bytes"});
  } else if (asciiOnly ? !isPrintableAscii(value) : !isPrintableUtf8(value)) {
    out.push_back(
        {line, fieldName(field),
         fieldName(field) + (asciiOnly ? " must be printable ASCII"
                                       : " contains control characters or invalid UTF-8")});
  } else if (trim(value).size() != value.size()) {
    out.push_back({line, fieldName(field), fieldName(field) + " has leading or trailing spaces"});
  }
}

void checkSerial(const std::string& serial, int line, std::vector<RowError>& out) {
  std::size_t before = out.size();
  checkText(kSerial, serial, kMaxRegistryTextField, true, line, out);
  if (out.size() == before && isBogusSerial(serial)) {
    out.push_back(
        {line, fieldName(kSerial),
         "serial " + yamlQuote(serial) + " is a firmware placeholder, not a real serial number"});
  }
}

void checkUuid(const std::string& uuid, int line, std::vector<RowError>& out) {
  if (uuid.empty()) {
    out.push_back({line, fieldName(kUuid), "smbios_uuid is required"});
    return;
  }
  auto canon = canonicalUuid(uuid);
  if (!canon || *canon != uuid) {
    out.push_back(
        {line, fieldName(kUuid), "smbios_uuid is not a UUID in lower-case 8-4-4-4-12 form"});
  } else if (isBogusUuid(uuid)) {
    out.push_back({line, fieldName(kUuid),
                   "smbios_uuid " + uuid + " is a firmware default, not a unique UUID"});
  }
}

void checkEmail(const std::string& email, int line, std::vector<RowError>& out) {
  std::size_t before = out.size();
  checkText(kEmail, email, kMaxRegistryEmail, false, line, out);
  if (out.size() != before) return;
  auto at = email.find('@');
  bool ok = at != std::string::npos && at > 0 && email.find('@', at + 1) == std::string::npos &&
            email.find_first_of(" \t") == std::string::npos;
  if (ok) {
    std::string_view domain = std::string_view(email).substr(at + 1);
    auto dot = domain.find('.');
    ok = dot != std::string_view::npos && domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
  }
  if (!ok) {
    out.push_back({line, fieldName(kEmail),
                   "owner_email " + yamlQuote(email) + " is not an address like name@example.org"});
  }
}

void checkEk(const std::string& ek, int line, std::vector<RowError>& out) {
  if (ek.empty()) return;
  bool ok = ek.size() == 64 && std::all_of(ek.begin(), ek.end(), [](char c) {
              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            });
  if (!ok) {
    out.push_back(
        {line, fieldName(kEk), "ek_sha256 must be empty or 64 lower-case hex digits (a SHA-256)"});
  }
}

// `skip` names fields that already failed to parse (their error was reported by the parser).
}  // namespace

void validateInto(const RegistryRow& row, const std::set<std::string_view>& skip,
                  std::vector<RowError>& out) {
  const int line = row.line;
  if (!skip.count(kSerial)) checkSerial(row.serial, line, out);
  if (!skip.count(kUuid)) checkUuid(row.smbiosUuid, line, out);
  if (!skip.count(kModel)) checkText(kModel, row.model, kMaxRegistryTextField, false, line, out);
  if (!skip.count(kOwner)) checkText(kOwner, row.owner, kMaxRegistryTextField, false, line, out);
  if (!skip.count(kEmail)) checkEmail(row.ownerEmail, line, out);
  if (!skip.count(kTenant)) checkText(kTenant, row.tenant, kMaxRegistryTextField, false, line, out);
  if (!skip.count(kEk)) checkEk(row.ekSha256, line, out);
  if (!skip.count(kFrom) && !skip.count(kUntil) && row.windowUntil <= row.windowFrom) {
    out.push_back({line, fieldName(kUntil),
                   "window_until (" + formatUtc(row.windowUntil) + ") must be after window_from (" +
                       formatUtc(row.windowFrom) + ")"});
  }
}

}  // namespace registry_detail

using namespace registry_detail;

std::vector<RowError> validateRegistryRow(const RegistryRow& row) {
  std::vector<RowError> out;
  validateInto(row, {}, out);
  return out;
}

}  // namespace pb
