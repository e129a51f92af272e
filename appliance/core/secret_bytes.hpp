// SPDX-License-Identifier: Apache-2.0
// SecretBytes: the one type for key material in memory (audit and token keys, KDF seeds and
// derived keys, credentials, private-key PEM). Move-only, so a secret is never duplicated by
// accident; its buffer is cleansed (OPENSSL_cleanse) when it is destroyed, moved from, assigned
// over or cleared, so every early return wipes it without a manual secureZero at each exit.
//
// It never reallocates after construction (no push_back, no growing resize): a reallocation would
// free the old buffer without cleansing it. Fill it through data() or construct it from a Bytes
// that already has its final size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "core/bytes.hpp"

namespace pb {

class SecretBytes {
 public:
  SecretBytes() noexcept = default;
  // n zero bytes, to be filled through data().
  explicit SecretBytes(std::size_t n) : bytes_(n, 0) {}
  // Takes over the buffer of `b` (a moved vector hands its allocation over: no copy is made).
  explicit SecretBytes(Bytes&& b) noexcept : bytes_(std::move(b)) { b.clear(); }
  // Copies `size` bytes; the caller cleanses its own copy.
  SecretBytes(const std::uint8_t* data, std::size_t size) : bytes_(data, data + size) {}
  SecretBytes(const char* data, std::size_t size)
      : SecretBytes(reinterpret_cast<const std::uint8_t*>(data), size) {}

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();  // already empty after a vector move; stated so it is a guarantee
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  // n cryptographically random bytes (aborts if the generator fails, like randomBytes).
  static SecretBytes random(std::size_t n);

  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
  [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
  // Read-only views for APIs that take bytes; they do not copy. The view is valid while this
  // object lives and is not moved from.
  [[nodiscard]] const Bytes& bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return bytes_; }
  operator std::span<const std::uint8_t>() const noexcept { return bytes_; }  // NOLINT
  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }

  // Cleanses the bytes past n, then shortens to n (never reallocates). n > size() is ignored.
  void truncate(std::size_t n) noexcept;
  void clear() noexcept { wipe(); }

 private:
  void wipe() noexcept;

  Bytes bytes_;
};

static_assert(!std::is_copy_constructible_v<SecretBytes>, "secrets are never copied");
static_assert(!std::is_copy_assignable_v<SecretBytes>, "secrets are never copied");
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

// Hex text of a secret (for writing a key file), itself a secret.
SecretBytes toHexSecret(const SecretBytes& s);
// Decodes hex text into `out`; false (and `out` empty) on malformed input. Nothing of the key
// is left behind in a temporary: the decoded bytes are written once, into `out`'s buffer.
bool fromHexSecret(std::string_view hex, SecretBytes& out);

}  // namespace pb
