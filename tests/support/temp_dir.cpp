// SPDX-License-Identifier: Apache-2.0
#include "support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <stdlib.h>  // mkdtemp
#include <sys/stat.h>

namespace pb::test {

TempDir::TempDir(std::string_view prefix, Access access) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + tmpl);
  path_ = tmpl;
  if (access == Access::OthersMayEnter && ::chmod(path_.c_str(), 0755) != 0) {
    throw std::runtime_error("chmod failed: " + path_);
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::file(const std::string& name, const std::string& content) const {
  std::string p = file(name);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + p);
  return p;
}

}  // namespace pb::test
