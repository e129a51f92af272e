// SPDX-License-Identifier: Apache-2.0
#include "core/clock.hpp"

#include <ctime>

namespace pb {

std::string formatUtc(std::int64_t unixSeconds) {
  std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "invalid-time";
  return buf;
}

namespace {
bool validDate(int y, int mo, int d, int h, int mi, int s) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      s < 0 || s > 60) {
    return false;
  }
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int maxDay = kDays[mo - 1] + ((mo == 2 && leap) ? 1 : 0);
  return d <= maxDay;
}

// Reads exactly n decimal digits at pos.
bool digits(const std::string& t, std::size_t pos, std::size_t n, int& out) {
  out = 0;
  for (std::size_t k = pos; k < pos + n; ++k) {
    if (t[k] < '0' || t[k] > '9') return false;
    out = out * 10 + (t[k] - '0');
  }
  return true;
}

}  // namespace

bool parseUtc(const std::string& text, std::int64_t& unixSeconds) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::size_t n = text.size();
  const bool dateOnly = n == 10;
  const bool isoZ = n == 20 && text[10] == 'T' && text[19] == 'Z';
  const bool spaced = n == 19 && text[10] == ' ';
  if (!dateOnly && !isoZ && !spaced) return false;
  if (!digits(text, 0, 4, y) || text[4] != '-' || !digits(text, 5, 2, mo) || text[7] != '-' ||
      !digits(text, 8, 2, d)) {
    return false;
  }
  if (!dateOnly && (!digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, mi) ||
                    text[16] != ':' || !digits(text, 17, 2, s))) {
    return false;
  }
  if (!validDate(y, mo, d, h, mi, s)) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  unixSeconds = static_cast<std::int64_t>(timegm(&tm));
  return true;
}

}  // namespace pb
