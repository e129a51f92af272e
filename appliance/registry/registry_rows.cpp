// SPDX-License-Identifier: Apache-2.0
// Format-independent row building: raw column values -> a validated RegistryRow, with the in-file
// duplicate checks (serial, UUID, EK) and the closed-window warning.
#include <algorithm>
#include <utility>

#include "core/clock.hpp"
#include "registry/registry_detail.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb::registry_detail {

void RowBuilder::add(const RawRow& raw, int rowLine) {
  RegistryRow row;
  row.line = rowLine;
  auto lineOf = [&](std::string_view f) {
    auto it = raw.find(f);
    return (it != raw.end() && it->second.line > 0) ? it->second.line : rowLine;
  };
  auto valueOf = [&](std::string_view f) {
    auto it = raw.find(f);
    return it == raw.end() ? std::string() : std::string(trim(it->second.value));
  };

  std::vector<RowError> errors;
  std::set<std::string_view> skip;
  row.serial = valueOf(kSerial);
  row.model = valueOf(kModel);
  row.owner = valueOf(kOwner);
  row.ownerEmail = valueOf(kEmail);
  row.tenant = valueOf(kTenant);
  row.ekSha256 = lowerAscii(valueOf(kEk));

  std::string uuid = valueOf(kUuid);
  if (uuid.empty()) {
    row.smbiosUuid.clear();
  } else if (auto canon = canonicalUuid(uuid)) {
    row.smbiosUuid = *canon;
  } else {
    errors.push_back(
        {rowLine, fieldName(kUuid),
         "smbios_uuid " + yamlQuote(uuid) + " is not a UUID (expected 8-4-4-4-12 hex digits)"});
    skip.insert(kUuid);
  }
  parseWindow(kFrom, valueOf(kFrom), row.windowFrom, rowLine, errors, skip);
  parseWindow(kUntil, valueOf(kUntil), row.windowUntil, rowLine, errors, skip);

  validateInto(row, skip, errors);

  std::string serialKey = lowerAscii(row.serial);
  checkDuplicate(serialKey, lineOf(kSerial), kSerial, "serial " + yamlQuote(row.serial),
                 seenSerials_, errors);
  if (!skip.count(kUuid)) {
    checkDuplicate(row.smbiosUuid, lineOf(kUuid), kUuid, "smbios_uuid " + yamlQuote(row.smbiosUuid),
                   seenUuids_, errors);
  }
  // An EK names one TPM: two rows with one EK would let one TPM attest as either device.
  checkDuplicate(row.ekSha256, lineOf(kEk), kEk, "ek_sha256 " + yamlQuote(row.ekSha256), seenEks_,
                 errors);

  // Report a row's problems in column order, whichever check found them.
  std::stable_sort(errors.begin(), errors.end(), [](const RowError& a, const RowError& b) {
    return columnIndex(a.field) < columnIndex(b.field);
  });
  for (auto& e : errors) {
    e.line = lineOf(e.field);
    out_.errors.push_back(std::move(e));
  }
  if (errors.empty()) {
    if (row.windowUntil <= now_) {
      out_.warnings.push_back({lineOf(kUntil), fieldName(kUntil),
                               "the enrollment window closed at " + formatUtc(row.windowUntil) +
                                   "; this device cannot enroll until the window is changed"});
    }
    out_.rows.push_back(std::move(row));
  }
}

void RowBuilder::parseWindow(std::string_view field, const std::string& text, std::int64_t& value,
                             int line, std::vector<RowError>& errors,
                             std::set<std::string_view>& skip) {
  if (text.empty()) {
    errors.push_back({line, fieldName(field), fieldName(field) + " is required"});
    skip.insert(field);
  } else if (!parseUtc(text, value)) {
    errors.push_back({line, fieldName(field),
                      fieldName(field) + " " + yamlQuote(text) +
                          " is not a UTC date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
                          "YYYY-MM-DD HH:MM:SS)"});
    skip.insert(field);
  }
}

void RowBuilder::checkDuplicate(const std::string& key, int line, std::string_view field,
                                const std::string& what, std::map<std::string, int>& seen,
                                std::vector<RowError>& errors) {
  if (key.empty()) return;
  auto [it, inserted] = seen.emplace(key, line);
  if (!inserted) {
    errors.push_back(
        {line, fieldName(field), what + " already appears on line " + std::to_string(it->second)});
  }
}

void tooManyRows(RegistryParse& out, int line) {
  out.rows.clear();
  out.warnings.clear();
  out.errors.assign(1, RowError{line, "",
                                "the register has more than " + std::to_string(kMaxRegistryRows) +
                                    " rows; split it into smaller files"});
}

}  // namespace pb::registry_detail
