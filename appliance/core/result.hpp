// SPDX-License-Identifier: Apache-2.0
// Result<T>: value or Error, for I/O, hardware and parsing paths. Exceptions are kept for start-up
// and programming errors; everything that can fail because of the outside world returns this.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pb {

// Error carries a stable machine code (a PB-xxxx reason code where one applies, otherwise a short
// category such as "io" or "parse") and a human message. Context is prepended on the way up:
// "registry import: line 4: serial is empty".
struct Error {
  std::string code;
  std::string message;

  [[nodiscard]] Error withContext(std::string_view context) const {
    return Error{code, std::string(context) + ": " + message};
  }
};

inline Error makeError(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace pb
