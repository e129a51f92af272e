// SPDX-License-Identifier: Apache-2.0
#include "sysfs/firmware_facts.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pb {

namespace {

constexpr std::size_t kMaxAttributeBytes = 4096;

struct ReadOutcome {
  bool exists = false;
  std::optional<std::string> data;  // nullopt with exists = unreadable (problem set)
  std::string problem;
};

// Bounded read of one attribute file. O_NONBLOCK and the regular-file check keep a FIFO planted
// in a crafted root from hanging the agent.
ReadOutcome readRaw(const std::string& path) {
  ReadOutcome out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return out;
    out.exists = true;
    out.problem = "cannot open " + path + ": " + std::strerror(err);
    return out;
  }
  out.exists = true;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    out.problem = path + " is not a regular file";
    return out;
  }
  std::string data;
  char buf[1024];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      out.problem = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return out;
    }
    if (r == 0) break;
    data.append(buf, static_cast<std::size_t>(r));
    if (data.size() > kMaxAttributeBytes) {
      ::close(fd);
      out.problem = path + " is larger than 4 KiB";
      return out;
    }
  }
  ::close(fd);
  out.data = std::move(data);
  return out;
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

std::string trimRight(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' ||
                        s.back() == '\0' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

// A text attribute: "" when absent; trimmed; problem when unreadable or not printable.
std::string readText(const std::string& path, std::vector<std::string>& problems) {
  ReadOutcome r = readRaw(path);
  if (!r.exists) return {};
  if (!r.data) {
    problems.push_back(r.problem);
    return {};
  }
  std::string s = trimRight(*r.data);
  if (!printable(s)) {
    problems.push_back(path + " is not printable text");
    return {};
  }
  return s;
}

bool isDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> listDir(const std::string& path, std::size_t max, bool& overflow) {
  std::vector<std::string> names;
  overflow = false;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (names.size() >= max) {
      overflow = true;
      break;
    }
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// "0:16.1.25.2124" -> "16.1.25.2124" (the first line; sysfs-class-mei fw_ver).
std::optional<std::string> parseFwVer(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  const auto colon = line.find(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string v = trimRight(line.substr(colon + 1));
  int parts = 0;
  bool digit = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && digit) {
      ++parts;
      digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (!digit || parts != 3) return std::nullopt;
  return v;
}

// An efivarfs variable holding one boolean byte: u32 attributes + u8 value.
std::optional<bool> readEfiBool(const std::string& efivars, const std::string& name,
                                std::vector<std::string>& problems, bool absentMeans) {
  const std::string path = efivars + "/" + name + "-" + kEfiGlobalVariableGuid;
  ReadOutcome r = readRaw(path);
  if (!r.exists) return absentMeans;
  if (!r.data) {
    problems.push_back(r.problem);
    return std::nullopt;
  }
  if (r.data->size() != 5) {
    problems.push_back(name + " efivar has " + std::to_string(r.data->size()) +
                       " bytes, expected 5 (4 attribute bytes + 1 value byte)");
    return std::nullopt;
  }
  const auto value = static_cast<unsigned char>((*r.data)[4]);
  if (value > 1) {
    problems.push_back(name + " efivar value is " + std::to_string(value) + ", expected 0 or 1");
    return std::nullopt;
  }
  return value == 1;
}

}  // namespace

FirmwareFacts readFirmwareFacts(const std::string& rootIn) {
  std::string root = rootIn;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  const std::string base = root == "/" ? "" : root;
  FirmwareFacts f;
  auto& problems = f.readProblems;

  f.biosVendor = readText(base + "/sys/class/dmi/id/bios_vendor", problems);
  f.biosVersion = readText(base + "/sys/class/dmi/id/bios_version", problems);

  // The ME is not always mei0 (amt.md §2.3); the first node with a fw_ver is the ME.
  for (int n = 0; n <= 3; ++n) {
    const std::string path = base + "/sys/class/mei/mei" + std::to_string(n) + "/fw_ver";
    ReadOutcome r = readRaw(path);
    if (!r.exists) continue;
    if (!r.data) {
      problems.push_back(r.problem);
    } else if (auto v = parseFwVer(*r.data)) {
      f.meFirmwareVersion = *v;
    } else {
      problems.push_back(path + " is not \"platform:major.minor.hotfix.build\"");
    }
    break;
  }

  // Secure Boot. No /sys/firmware/efi: a legacy (CSM) boot, where Secure Boot is off by
  // definition. EFI without efivarfs mounted: unknown. A variable absent from efivarfs: firmware
  // without Secure Boot support, so Secure Boot off and no Setup Mode.
  const std::string efi = base + "/sys/firmware/efi";
  const std::string efivars = efi + "/efivars";
  if (!isDir(efi)) {
    f.secureBoot = false;
    problems.push_back("legacy BIOS boot (no /sys/firmware/efi): Secure Boot is off");
  } else if (!isDir(efivars)) {
    problems.push_back("efivarfs is not mounted at /sys/firmware/efi/efivars: Secure Boot unknown");
  } else {
    f.secureBoot = readEfiBool(efivars, "SecureBoot", problems, false);
    const auto setup = readEfiBool(efivars, "SetupMode", problems, false);
    f.setupMode = setup;
  }

  // TPM.
  const std::string tpm0 = base + "/sys/class/tpm/tpm0";
  if (exists(tpm0)) {
    f.tpmPresent = true;
    const std::string major = readText(tpm0 + "/tpm_version_major", problems);
    if (major == "2") {
      f.tpmVersion = "2.0";
    } else if (major == "1") {
      f.tpmVersion = "1.2";
    } else if (major.empty()) {
      problems.push_back(
          "tpm0 has no tpm_version_major (kernel older than 5.6?): TPM version unknown");
    } else {
      problems.push_back("tpm0 tpm_version_major is \"" + major + "\"");
    }
  } else {
    f.tpmPresent = false;
  }

  // Firmware attributes (class firmware-attributes: dell-wmi-sysman, think-lmi, hp-bioscfg…).
  const std::string fa = base + "/sys/class/firmware-attributes";
  bool overflow = false;
  for (const auto& driver : listDir(fa, kMaxFirmwareAttributeDrivers, overflow)) {
    std::string attrs = fa;
    attrs.append("/").append(driver).append("/attributes");
    bool attrOverflow = false;
    for (const auto& name : listDir(attrs, kMaxFirmwareAttributes, attrOverflow)) {
      if (f.firmwareAttributes.size() >= kMaxFirmwareAttributes) {
        attrOverflow = true;
        break;
      }
      if (!printable(name)) continue;
      std::string valuePath = attrs;
      valuePath.append("/").append(name).append("/current_value");
      ReadOutcome r = readRaw(valuePath);
      if (!r.exists) continue;  // e.g. attributes that only take writes
      if (!r.data) {
        problems.push_back(r.problem);
        continue;
      }
      std::string v = trimRight(*r.data);
      if (!printable(v)) {
        problems.push_back("firmware attribute " + name + " is not printable text");
        continue;
      }
      f.firmwareAttributes.emplace_back(name, std::move(v));
    }
    if (attrOverflow) {
      problems.push_back("more than " + std::to_string(kMaxFirmwareAttributes) +
                         " firmware attributes; the rest were not read");
    }
  }
  if (overflow) problems.push_back("too many firmware-attributes drivers; the rest were not read");
  std::sort(f.firmwareAttributes.begin(), f.firmwareAttributes.end());
  return f;
}

}  // namespace pb
