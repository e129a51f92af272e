// SPDX-License-Identifier: Apache-2.0
#include "sysfs/identity_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pb {

namespace {

Error sysfsError(const std::string& message) {
  return makeError("sysfs", message);
}

std::string errnoText(int err) {
  return std::strerror(err);
}

// Strict UTF-8 without control characters: these strings travel in JSON and show on the kiosk.
bool isPrintableUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

// Reads one sysfs attribute: nullopt-in-Result for a missing file, bounded, trailing whitespace
// (sysfs ends values with '\n'; DMI strings are often space-padded) trimmed.
Result<std::optional<std::string>> readAttribute(const std::string& path) {
  // O_NONBLOCK: a FIFO planted in a fixture or a hostile root must not hang the agent.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return std::optional<std::string>{};
    return sysfsError("cannot open " + path + ": " + errnoText(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return sysfsError(path + " is not a regular file");
  }
  std::string out;
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      ::close(fd);
      return sysfsError("cannot read " + path + ": " + errnoText(err));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > kMaxSysfsAttributeBytes) {
      ::close(fd);
      return sysfsError(path + " is larger than " + std::to_string(kMaxSysfsAttributeBytes) +
                        " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\t' ||
                          out.back() == '\r' || out.back() == '\0')) {
    out.pop_back();
  }
  if (!isPrintableUtf8(out)) return sysfsError(path + " is not printable UTF-8 text");
  return std::optional<std::string>{std::move(out)};
}

Result<std::string> readDmi(const std::string& dir, const char* name) {
  auto value = readAttribute(dir + "/" + name);
  if (!value) return value.error();
  return value->value_or("");
}

bool isHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Lower-cased "aa:bb:..." (1..32 octets: Ethernet has 6, InfiniBand 20), or nullopt.
std::optional<std::string> normaliseMac(std::string_view s) {
  if (s.empty() || s.size() > 32 * 3 - 1 || (s.size() + 1) % 3 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
      out += c;
    } else {
      if (!isHexDigit(c)) return std::nullopt;
      out += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
  }
  return out;
}

bool isAllZero(std::string_view mac) {
  return std::all_of(mac.begin(), mac.end(), [](char c) { return c == '0' || c == ':'; });
}

// Physical interfaces have a `device` link (or, in some fixture trees, a directory) to the bus
// device; virtual ones (bridges, bonds, tun, veth, lo) do not.
bool isPhysical(const std::string& ifaceDir) {
  struct stat st {};
  return ::lstat((ifaceDir + "/device").c_str(), &st) == 0;
}

Result<std::vector<std::string>> readMacs(const std::string& netDir, std::size_t maxInterfaces) {
  std::vector<std::string> macs;
  DIR* dir = ::opendir(netDir.c_str());
  if (dir == nullptr) {
    const int err = errno;
    if (err == ENOENT) return macs;  // no network class at all: no NICs
    return sysfsError("cannot read " + netDir + ": " + errnoText(err));
  }
  std::vector<std::string> names;
  bool tooMany = false;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || name == "lo") continue;
    if (names.size() == maxInterfaces) {
      tooMany = true;
      break;
    }
    names.emplace_back(name);
  }
  ::closedir(dir);
  if (tooMany) {
    return sysfsError(netDir + " has more than " + std::to_string(maxInterfaces) + " interfaces");
  }
  for (const auto& name : names) {
    const std::string ifaceDir = netDir + "/" + name;
    if (!isPhysical(ifaceDir)) continue;
    const std::string path = ifaceDir + "/address";
    auto value = readAttribute(path);
    if (!value) return value.error();
    if (!value->has_value() || (*value)->empty()) continue;
    auto mac = normaliseMac(**value);
    if (!mac) return sysfsError(path + " is not a MAC address");
    if (isAllZero(*mac)) continue;
    macs.push_back(std::move(*mac));
  }
  std::sort(macs.begin(), macs.end());
  macs.erase(std::unique(macs.begin(), macs.end()), macs.end());
  return macs;
}

}  // namespace

Result<IdentityFacts> readIdentityFacts(const std::string& root, std::size_t maxInterfaces) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (base == "/") base.clear();
  const std::string dmiDir = base + "/sys/class/dmi/id";

  // The directory must be there and readable: without it there is no identity to speak of.
  DIR* dir = ::opendir(dmiDir.c_str());
  if (dir == nullptr) {
    return sysfsError("cannot read DMI directory " + dmiDir + ": " + errnoText(errno));
  }
  ::closedir(dir);

  IdentityFacts facts;
  struct Field {
    const char* name;
    std::string* out;
  };
  const Field fields[] = {
      {"product_serial", &facts.serial},    {"product_uuid", &facts.smbiosUuid},
      {"product_name", &facts.model},       {"sys_vendor", &facts.vendor},
      {"board_serial", &facts.boardSerial},
  };
  for (const auto& f : fields) {
    auto value = readDmi(dmiDir, f.name);
    if (!value) return value.error().withContext("identity facts");
    *f.out = std::move(*value);
  }
  auto macs = readMacs(base + "/sys/class/net", maxInterfaces);
  if (!macs) return macs.error().withContext("identity facts");
  facts.macs = std::move(*macs);
  return facts;
}

}  // namespace pb
