// SPDX-License-Identifier: Apache-2.0
#include "admission/identity.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace pb {

namespace {

// Whitespace, case and hex by ASCII rules (identifiers come from firmware, not from a locale).
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}
char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool isBogusSerial(std::string_view serial) {
  // Compared without case, spaces and punctuation so "To be filled by O.E.M." and
  // "TO BE FILLED BY OEM" are the same placeholder.
  static const std::set<std::string, std::less<>> kPlaceholders{"tobefilledbyoem",
                                                                "defaultstring",
                                                                "0123456789",
                                                                "123456789",
                                                                "1234567890",
                                                                "systemserialnumber",
                                                                "chassisserialnumber",
                                                                "baseboardserialnumber",
                                                                "serialnumber",
                                                                "notspecified",
                                                                "notapplicable",
                                                                "notavailable",
                                                                "none",
                                                                "na",
                                                                "null",
                                                                "unknown",
                                                                "invalid",
                                                                "empty",
                                                                "oem",
                                                                "default",
                                                                "tbd"};
  std::string key;
  for (char c : trim(serial)) {
    if (c == ' ' || c == '.' || c == '_' || c == '-' || c == '/' || c == '\t') continue;
    key.push_back(lowerAscii(c));
  }
  if (key.empty()) return true;
  if (std::all_of(key.begin(), key.end(), [&](char c) { return c == key.front(); })) return true;
  return kPlaceholders.count(key) != 0;
}

bool isBogusUuid(std::string_view text) {
  auto canon = canonicalUuid(text);
  if (!canon) return true;
  static const std::set<std::string, std::less<>> kDefaults{
      "03000200-0400-0500-0006-000700080009",  // AMI board default
      "00020003-0004-0005-0006-000700080009",  // the same, byte-swapped as some tools print it
      "12345678-1234-5678-90ab-cddeefaabbcc",  // vendor template default
  };
  if (kDefaults.count(*canon)) return true;
  std::string digits;
  for (char c : *canon) {
    if (c != '-') digits.push_back(c);
  }
  return std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits.front(); });
}

std::optional<std::string> canonicalUuid(std::string_view text) {
  text = trim(text);
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, 36);
  }
  if (text.size() != 36) return std::nullopt;
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return std::nullopt;
    } else if (!isHex(c)) {
      return std::nullopt;
    }
    out.push_back(lowerAscii(c));
  }
  return out;
}

}  // namespace pb
