// SPDX-License-Identifier: Apache-2.0
#include "core/files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bytes.hpp"

namespace pb {

namespace {
Error ioError(const std::string& what, const std::string& path) {
  return makeError("io", what + " " + path + ": " + std::strerror(errno));
}

// Closes on scope exit; close() errors on a read-only descriptor carry no information.
struct ReadFd {
  int fd;
  ~ReadFd() {
    if (fd >= 0) ::close(fd);
  }
};

Error openError(const std::string& path, Symlinks symlinks) {
  if (symlinks == Symlinks::Refuse && errno == ELOOP) {
    return makeError("insecure_key", path + " is a symbolic link; refusing to follow it");
  }
  return ioError("cannot open", path);
}

// mode and owner of an open descriptor, checked together (no second lookup by name).
Status checkPrivateFd(int fd, const std::string& path, uid_t owner) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ioError("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return makeError("insecure_key", path + " is not a regular file");
  if (st.st_uid != owner) {
    return makeError("insecure_key", path + " is owned by uid " + std::to_string(st.st_uid) +
                                         ", not uid " + std::to_string(owner) +
                                         "; fix with chown and restart");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return makeError("insecure_key", path + " is readable by group or others (mode " + mode +
                                         "); fix with chmod 600 and restart");
  }
  return {};
}

Status writeAtomic(const std::string& path, std::string_view data, unsigned mode) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  // A fresh random name opened with O_EXCL|O_NOFOLLOW: a file or link planted at a predictable
  // name (path.tmp.<pid>) in a shared directory is never opened, truncated or followed.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
    tmp = path + ".tmp." + randomHex(8);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (fd < 0 && errno != EEXIST) return ioError("cannot create", tmp);
  }
  if (fd < 0) return ioError("cannot create", tmp);
  auto abandon = [&](const std::string& what) {
    Error e = ioError(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  };
  // open() honours the umask; set the mode explicitly so 0600 stays 0600 and 0644 stays 0644.
  if (::fchmod(fd, mode) != 0) return abandon("cannot chmod");
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("cannot write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return abandon("cannot fsync");
  // close() can report a deferred write error (NFS, some FUSE file systems): the data is not
  // known to be on disk, so the old file stays.
  if (::close(fd) != 0) {
    Error e = ioError("cannot close", tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = ioError("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return e;
  }
  if (Status st = syncDirectory(dir); !st) {
    return st.error().withContext("wrote " + path + " but could not make the rename durable");
  }
  return {};
}

}  // namespace

Result<std::string> readFileBounded(const std::string& path, std::size_t maxBytes,
                                    Symlinks symlinks) {
  const int flags = O_RDONLY | O_CLOEXEC | (symlinks == Symlinks::Refuse ? O_NOFOLLOW : 0);
  ReadFd f{::open(path.c_str(), flags)};
  if (f.fd < 0) return openError(path, symlinks);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot read", path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > maxBytes) {
      return makeError("too_large",
                       path + " is larger than " + std::to_string(maxBytes) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Status checkPrivateFile(const std::string& path, uid_t owner) {
  ReadFd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)};
  if (f.fd < 0) return openError(path, Symlinks::Refuse);
  return checkPrivateFd(f.fd, path, owner);
}

Result<SecretBytes> readPrivateFile(const std::string& path, std::size_t maxBytes, uid_t owner) {
  ReadFd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)};
  if (f.fd < 0) return openError(path, Symlinks::Refuse);
  if (Status st = checkPrivateFd(f.fd, path, owner); !st) return st.error();
  // Read straight into the secret's own buffer (one byte more than allowed, to detect a larger
  // file): no intermediate buffer holds the key and nothing reallocates.
  SecretBytes out(maxBytes + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot read", path);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > maxBytes) {
    return makeError("too_large", path + " is larger than " + std::to_string(maxBytes) + " bytes");
  }
  out.truncate(got);
  return out;
}

Status writeFileAtomic(const std::string& path, const std::string& data, unsigned mode) {
  return writeAtomic(path, data, mode);
}

Status writeFileAtomic(const std::string& path, const SecretBytes& data, unsigned mode) {
  return writeAtomic(path, data.text(), mode);
}

Status syncDirectory(const std::string& dir) {
  ReadFd f{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (f.fd < 0) return ioError("cannot open directory", dir);
  // EINVAL: the file system cannot sync a directory at all (some FUSE and network file
  // systems); there is nothing more durable to wait for, as PostgreSQL also concludes.
  if (::fsync(f.fd) != 0 && errno != EINVAL) return ioError("cannot fsync directory", dir);
  return {};
}

Status makeDirs(const std::string& path, unsigned mode) {
  std::error_code ec;
  std::filesystem::path p(path);
  std::filesystem::path cur;
  for (const auto& part : p) {
    cur /= part;
    if (cur.empty() || std::filesystem::exists(cur, ec)) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return ioError("cannot create", cur);
  }
  return {};
}

}  // namespace pb
