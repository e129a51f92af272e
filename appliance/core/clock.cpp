// SPDX-License-Identifier: Apache-2.0
#include "core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace pb {

std::string formatUtc(std::int64_t unixSeconds) {
  std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
}  // namespace

bool parseUtc(const std::string& text, std::int64_t& unixSeconds) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  int n = 0;
  if (text.size() == 10) {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
  } else if (text.size() == 20 && text[10] == 'T') {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &s, &tail,
                    &n) != 7 ||
        tail != 'Z' || n != 20) {
      return false;
    }
  } else if (text.size() == 19 && text[10] == ' ') {
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
        n != 19) {
      return false;
    }
  } else {
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
