// SPDX-License-Identifier: Apache-2.0
#include "benchctl/paged_list.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "benchctl/render.hpp"

namespace pb {

namespace {

using nlohmann::json;

std::size_t codePoints(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The streamed table: the first page fixes the column widths (a later, wider cell pushes its row
// out of line rather than making the printer hold the whole list).
class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> headers) : headers_(std::move(headers)) {}

  std::string page(const std::vector<std::vector<std::string>>& rows) {
    std::string out;
    if (widths_.empty()) {
      widths_.assign(headers_.size(), 0);
      measure(headers_);
      for (const auto& r : rows) measure(r);
      out += line(headers_);
    }
    for (const auto& r : rows) out += line(r);
    return out;
  }

 private:
  void measure(const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths_.size(); ++i) {
      widths_[i] = std::max(widths_[i], codePoints(row[i]));
    }
  }
  std::string line(const std::vector<std::string>& row) const {
    std::string out;
    for (std::size_t i = 0; i < widths_.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : std::string();
      out += cell;
      if (i + 1 < widths_.size()) {
        std::size_t w = codePoints(cell);
        out.append((w < widths_[i] ? widths_[i] - w : 0) + 2, ' ');
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  }

  std::vector<std::string> headers_;
  std::vector<std::size_t> widths_;
};

std::string dumpItem(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

PagedListOutcome printPagedList(const Invocation& inv, const PageCall& call, int pageSize,
                                std::ostream& out, std::ostream& err) {
  const bool devices = inv.cmd == "devices";
  TablePrinter table(devices ? deviceListHeaders() : registryListHeaders());
  std::map<std::string, std::string> remedies;  // bounded by the reason-code catalogue
  PagedListOutcome outcome;
  std::optional<std::string> cursor;
  json args = inv.args;
  if (inv.json) out << "[";
  for (;;) {
    std::int64_t want = pageSize;
    if (inv.listLimit > 0) want = std::min<std::int64_t>(want, inv.listLimit - outcome.printed);
    args["limit"] = want;
    if (cursor) args["after"] = *cursor;
    auto response = call(args);
    if (!response) {
      err << "benchctl: " << sanitizeForTerminal(response.error().message) << "\n";
      outcome.exitCode = response.error().code == "unreachable" ? 3 : 1;
      return outcome;
    }
    if (!response->value("ok", false)) {
      err << renderFailure(*response);
      outcome.exitCode = 1;
      return outcome;
    }
    const json& items = response->at("result");
    if (!items.is_array()) {
      err << "benchctl: malformed page from benchd (no list)\n";
      outcome.exitCode = 1;
      return outcome;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : items) {
      if (inv.json) {
        out << (outcome.printed == 0 ? "\n" : ",\n") << dumpItem(item);
      } else {
        rows.push_back(devices ? deviceListRow(item) : registryListRow(item));
        if (devices) {
          if (auto r = deviceRemedy(item)) remedies.emplace(std::move(*r));
        }
      }
      ++outcome.printed;
    }
    if (!inv.json && !rows.empty()) out << table.page(rows);
    out.flush();
    auto next = response->find("next");
    bool more = next != response->end() && next->is_string();
    if (!more || (inv.listLimit > 0 && outcome.printed >= inv.listLimit)) break;
    // A cursor that does not advance would loop forever: refuse it.
    if (cursor && next->get_ref<const std::string&>() <= *cursor) {
      err << "benchctl: benchd returned a cursor that does not advance\n";
      outcome.exitCode = 1;
      return outcome;
    }
    cursor = next->get<std::string>();
  }
  if (inv.json) {
    out << (outcome.printed == 0 ? "]\n" : "\n]\n");
    return outcome;
  }
  if (outcome.printed == 0) {
    out << (devices ? "No devices.\n" : "The register is empty.\n");
    return outcome;
  }
  if (!remedies.empty()) {
    out << "\nWhat to do:\n";
    for (const auto& [code, remedy] : remedies) out << "  " << code << "  " << remedy << "\n";
  }
  out << "\n" << outcome.printed << (outcome.printed == 1 ? " device" : " devices") << "\n";
  return outcome;
}

}  // namespace pb
