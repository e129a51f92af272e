// SPDX-License-Identifier: Apache-2.0
// The CSV form of the register (RFC 4180: header row, quoted fields with "" escapes and line
// breaks, CRLF).
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registry/registry_detail.hpp"
#include "yaml/yaml_issues.hpp"

namespace pb::registry_detail {

namespace {

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

}  // namespace

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

}  // namespace pb::registry_detail
