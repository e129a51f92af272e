// SPDX-License-Identifier: Apache-2.0
// One temporary directory per test, removed with everything in it when the object goes.
#pragma once

#include <string>
#include <string_view>

namespace pb::test {

class TempDir {
 public:
  // Who may enter the directory: mkdtemp's 0700, or 0755 for tests whose forked client runs as
  // another uid (the admin socket tests).
  enum class Access { OwnerOnly, OthersMayEnter };

  explicit TempDir(std::string_view prefix = "pb-test", Access access = Access::OwnerOnly);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // The path of `name` inside the directory (nothing is created).
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` inside the directory and returns its path. Throws on failure.
  std::string file(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace pb::test
