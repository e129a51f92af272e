// SPDX-License-Identifier: Apache-2.0
#include "registry/registry_import.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <set>
#include <utility>

#include "core/clock.hpp"
#include "core/printable_text.hpp"
#include "yaml/yaml_document.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb {

namespace {

constexpr std::string_view kSerial = "serial";
constexpr std::string_view kUuid = "smbios_uuid";
constexpr std::string_view kModel = "model";
constexpr std::string_view kOwner = "owner";
constexpr std::string_view kEmail = "owner_email";
constexpr std::string_view kTenant = "tenant";
constexpr std::string_view kEk = "ek_sha256";
constexpr std::string_view kFrom = "window_from";
constexpr std::string_view kUntil = "window_until";

// Column order here is the order errors are reported in for one row.
constexpr std::array<std::string_view, 9> kColumns{kSerial, kUuid, kModel, kOwner, kEmail,
                                                   kTenant, kEk,   kFrom,  kUntil};
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxParseIssues = 1000;  // YAML structure issues kept; the rest are counted

bool isOptionalColumn(std::string_view c) {
  return c == kEk;
}
std::size_t columnIndex(std::string_view c) {
  return static_cast<std::size_t>(std::find(kColumns.begin(), kColumns.end(), c) -
                                  kColumns.begin());
}
bool isKnownColumn(std::string_view c) {
  return std::find(kColumns.begin(), kColumns.end(), c) != kColumns.end();
}

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

std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

bool isPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

std::string fieldName(std::string_view f) {
  return std::string(f);
}

// ---- row validation (shared by both formats and by validateRegistryRow) ----

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

// ---- format-independent row building ----

struct RawField {
  std::string value;
  int line = 0;
  bool present = false;
};
using RawRow = std::map<std::string_view, RawField>;  // keys from kColumns

class RowBuilder {
 public:
  RowBuilder(std::int64_t now, RegistryParse& out) : now_(now), out_(out) {}

  // `rowLine` is where the record starts; each field may carry a more precise line (YAML).
  void add(const RawRow& raw, int rowLine) {
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
      checkDuplicate(row.smbiosUuid, lineOf(kUuid), kUuid,
                     "smbios_uuid " + yamlQuote(row.smbiosUuid), seenUuids_, errors);
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

 private:
  static void parseWindow(std::string_view field, const std::string& text, std::int64_t& value,
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

  static void checkDuplicate(const std::string& key, int line, std::string_view field,
                             const std::string& what, std::map<std::string, int>& seen,
                             std::vector<RowError>& errors) {
    if (key.empty()) return;
    auto [it, inserted] = seen.emplace(key, line);
    if (!inserted) {
      errors.push_back({line, fieldName(field),
                        what + " already appears on line " + std::to_string(it->second)});
    }
  }

  std::int64_t now_;
  RegistryParse& out_;
  std::map<std::string, int> seenSerials_;  // lower-cased serial -> first line
  std::map<std::string, int> seenUuids_;
  std::map<std::string, int> seenEks_;  // lower-case EK hash -> first line
};

void tooManyRows(RegistryParse& out, int line) {
  out.rows.clear();
  out.warnings.clear();
  out.errors.assign(1, RowError{line, "",
                                "the register has more than " + std::to_string(kMaxRegistryRows) +
                                    " rows; split it into smaller files"});
}

// ---- CSV (RFC 4180) ----

struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
  bool blank = false;  // an empty line (skipped)
};

// Splits `text` into records. Quoting errors are reported per record; the reader resynchronises at
// the next line break outside quotes.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  bool atEnd() const { return pos_ >= text_.size(); }

  // Reads one record; returns false with `error` set when it is malformed.
  bool next(CsvRecord& rec, std::string& error) {
    rec = CsvRecord{};
    rec.line = line_;
    error.clear();
    std::string field;
    bool quotedAny = false;
    for (;;) {
      if (pos_ >= text_.size()) {
        rec.fields.push_back(std::move(field));
        break;
      }
      char c = text_[pos_];
      if (c == '"' && !fieldQuoted_ && trim(field).empty()) {
        field.clear();  // spaces before an opening quote are layout, not content
        if (!readQuoted(field, error)) return skipLine(rec);
        fieldQuoted_ = true;
        quotedAny = true;
        continue;
      }
      if (c == ',') {
        rec.fields.push_back(std::move(field));
        field.clear();
        fieldQuoted_ = false;
        ++pos_;
        continue;
      }
      if (c == '\r' || c == '\n') {
        rec.fields.push_back(std::move(field));
        consumeLineBreak();
        break;
      }
      if (fieldQuoted_) {
        // Spaces after a closing quote are tolerated (spreadsheets emit them); nothing else is.
        if (c == ' ' || c == '\t') {
          ++pos_;
          continue;
        }
        error = "unexpected text after a closing quote";
        return skipLine(rec);
      }
      if (c == '"') {
        error = "a quote inside an unquoted field (quote the whole field and double the quote)";
        return skipLine(rec);
      }
      field.push_back(c);
      ++pos_;
    }
    fieldQuoted_ = false;
    rec.blank = !quotedAny && rec.fields.size() == 1 && trim(rec.fields[0]).empty();
    return true;
  }

 private:
  bool readQuoted(std::string& field, std::string& error) {
    const int openLine = line_;
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        return true;
      }
      if (c == '\n' || (c == '\r' && (pos_ + 1 >= text_.size() || text_[pos_ + 1] != '\n'))) {
        ++line_;
      }
      field.push_back(c);
      ++pos_;
    }
    error = "a quoted field opened on line " + std::to_string(openLine) + " is never closed";
    return false;
  }

  void consumeLineBreak() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  // Drops the rest of a malformed record up to the next line break.
  bool skipLine(CsvRecord& rec) {
    fieldQuoted_ = false;
    while (pos_ < text_.size() && text_[pos_] != '\r' && text_[pos_] != '\n') ++pos_;
    if (pos_ < text_.size()) consumeLineBreak();
    rec.fields.clear();
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  bool fieldQuoted_ = false;
};

void parseCsv(std::string_view text, std::int64_t now, RegistryParse& out) {
  CsvReader reader(text);
  CsvRecord rec;
  std::string error;

  // Header: the first non-blank record.
  bool haveHeader = false;
  while (!reader.atEnd()) {
    if (!reader.next(rec, error)) {
      out.errors.push_back({rec.line, "", "header: " + error});
      return;
    }
    if (!rec.blank) {
      haveHeader = true;
      break;
    }
  }
  if (!haveHeader) {
    out.errors.push_back({1, "", "the file is empty: a header row naming the columns is required"});
    return;
  }
  const int headerLine = rec.line;
  std::vector<std::string_view> columns;  // index -> column name (points into kColumns)
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < rec.fields.size(); ++i) {
    std::string name = lowerAscii(trim(rec.fields[i]));
    auto it = std::find(kColumns.begin(), kColumns.end(), name);
    if (name.empty()) {
      out.errors.push_back({headerLine, "", "column " + std::to_string(i + 1) + " has no name"});
    } else if (it == kColumns.end()) {
      out.errors.push_back({headerLine, yamlPrintable(name), "unknown column " + yamlQuote(name)});
    } else if (!seen.insert(*it).second) {
      out.errors.push_back({headerLine, name, "column '" + name + "' appears twice"});
    }
    columns.push_back(it == kColumns.end() ? std::string_view() : *it);
  }
  for (auto c : kColumns) {
    if (!isOptionalColumn(c) && !seen.count(c)) {
      out.errors.push_back(
          {headerLine, fieldName(c), "missing required column '" + fieldName(c) + "'"});
    }
  }
  if (!out.errors.empty()) return;  // rows cannot be read reliably without a sound header

  RowBuilder builder(now, out);
  std::size_t rows = 0;
  while (!reader.atEnd()) {
    if (!reader.next(rec, error)) {
      out.errors.push_back({rec.line, "", error});
      if (++rows > kMaxRegistryRows) return tooManyRows(out, rec.line);
      continue;
    }
    if (rec.blank) continue;
    if (++rows > kMaxRegistryRows) return tooManyRows(out, rec.line);
    if (rec.fields.size() != columns.size()) {
      out.errors.push_back({rec.line, "",
                            "row has " + std::to_string(rec.fields.size()) +
                                " fields but the header has " + std::to_string(columns.size())});
      continue;
    }
    RawRow raw;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      raw[columns[i]] = RawField{std::move(rec.fields[i]), rec.line, true};
    }
    builder.add(raw, rec.line);
  }
}

// ---- YAML (through the shared strict layer: no anchors/aliases/tags, duplicate keys reported)
// ----

void parseYamlDevice(const YamlNode& item, RowBuilder& builder, RegistryParse& out) {
  const int rowLine = item.mark.line;
  if (item.kind != YamlKind::Mapping) {
    out.errors.push_back({rowLine, "",
                          "each device must be a mapping of column names to values, not " +
                              std::string(yamlKindName(item))});
    return;
  }
  RawRow raw;
  bool bad = false;
  for (const auto& entry : item.entries) {
    const std::string& key = entry.key;
    if (!isKnownColumn(key)) {
      out.errors.push_back(
          {entry.keyMark.line, yamlPrintable(key), "unknown key " + yamlQuote(key)});
      bad = true;
      continue;
    }
    auto column = *std::find(kColumns.begin(), kColumns.end(), key);
    const YamlNode& value = entry.value;
    if (value.kind == YamlKind::Null) {
      raw[column] = RawField{"", value.mark.line, true};
    } else if (value.kind == YamlKind::Scalar) {
      raw[column] = RawField{value.scalar, value.mark.line, true};
    } else {
      out.errors.push_back(
          {value.mark.line, key,
           key + " must be a single value, not " + std::string(yamlKindName(value))});
      bad = true;
    }
  }
  if (bad) return;  // the row's remaining problems are reported once these are fixed
  builder.add(raw, rowLine);
}

void parseYaml(std::string_view text, std::int64_t now, RegistryParse& out) {
  YamlIssues issues("", kMaxParseIssues);
  YamlLimits limits;
  limits.maxBytes = kMaxRegistryBytes;
  limits.maxDepth = 8;                           // root -> devices -> device -> value needs 4
  limits.maxNodes = kMaxRegistryRows * 12 + 64;  // a device is 10 nodes; bounds memory
  std::optional<YamlNode> root = parseYaml(text, issues, limits);
  const std::vector<YamlIssue> kept = issues.sorted();
  for (const auto& issue : kept) out.errors.push_back({issue.line, issue.keyPath, issue.message});
  if (issues.size() > kept.size()) {
    out.errors.push_back(
        {0, "", std::to_string(issues.size() - kept.size()) + " further YAML problems not shown"});
  }
  if (!root) return;  // a syntax or limit problem: there is no tree to look at

  const YamlNode* list = &*root;
  if (root->kind == YamlKind::Null) {
    out.errors.push_back({1, "", "the file is empty: expected a list of devices"});
    return;
  }
  if (root->kind == YamlKind::Mapping) {
    list = nullptr;
    for (const auto& entry : root->entries) {
      if (entry.key == "devices") {
        list = &entry.value;
      } else {
        out.errors.push_back(
            {entry.keyMark.line, yamlPrintable(entry.key),
             "unknown top-level key " + yamlQuote(entry.key) + " (expected 'devices')"});
      }
    }
    if (list == nullptr) {
      if (out.errors.empty()) {
        out.errors.push_back({root->mark.line, "devices", "missing 'devices' list"});
      }
      return;
    }
    if (list->kind == YamlKind::Null) return;  // `devices:` with nothing under it: empty register
  }
  if (list->kind != YamlKind::Sequence) {
    out.errors.push_back({list->mark.line, "",
                          "expected a list of devices (a sequence of mappings), not " +
                              std::string(yamlKindName(*list))});
    return;
  }
  if (list->items.size() > kMaxRegistryRows) {
    return tooManyRows(out, list->items[kMaxRegistryRows].mark.line);
  }
  RowBuilder builder(now, out);
  for (const auto& item : list->items) parseYamlDevice(item, builder, out);
}

}  // namespace

RegistryParse parseRegistry(std::string_view text, RegistryFormat format, std::int64_t now) {
  RegistryParse out;
  if (text.size() > kMaxRegistryBytes) {
    out.errors.push_back({0, "", "the register file is larger than 16 MiB"});
    return out;
  }
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  try {
    if (format == RegistryFormat::Csv) {
      parseCsv(text, now, out);
    } else {
      parseYaml(text, now, out);
    }
  } catch (const std::exception& e) {
    // Nothing below is expected to throw (bad_alloc aside); the promise is "never throws".
    out.rows.clear();
    out.errors.push_back({0, "", std::string("the register could not be read: ") + e.what()});
  } catch (...) {
    out.rows.clear();
    out.errors.push_back({0, "", "the register could not be read"});
  }
  if (!out.errors.empty()) out.rows.clear();
  // One list in file order (YAML structure problems are found before row problems).
  std::stable_sort(out.errors.begin(), out.errors.end(),
                   [](const RowError& a, const RowError& b) { return a.line < b.line; });
  return out;
}

std::optional<RegistryFormat> registryFormatForFile(const std::string& fileName) {
  auto slash = fileName.find_last_of('/');
  std::string base = slash == std::string::npos ? fileName : fileName.substr(slash + 1);
  auto dot = base.find_last_of('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  std::string ext = lowerAscii(std::string_view(base).substr(dot + 1));
  if (ext == "csv") return RegistryFormat::Csv;
  if (ext == "yaml" || ext == "yml") return RegistryFormat::Yaml;
  return std::nullopt;
}

std::vector<RowError> validateRegistryRow(const RegistryRow& row) {
  std::vector<RowError> out;
  validateInto(row, {}, out);
  return out;
}

}  // namespace pb
