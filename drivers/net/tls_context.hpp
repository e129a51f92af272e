// SPDX-License-Identifier: Apache-2.0
// TLS contexts for the agent channel. Both sides speak TLS 1.3 only. The agent trusts the
// appliance by pin alone: the verify step accepts the server iff the SHA-256 of its leaf
// certificate's SubjectPublicKeyInfo equals the pin; no CA, chain, host name or validity period
// is consulted (bench devices often boot with a wrong RTC, and the key is what we trust).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/ssl/context.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace pb {

// X509 verify error recorded when the server key does not match the pin; connectTls maps it to
// the error code kPinMismatch.
inline constexpr int kPinMismatchVerifyError = 50;  // X509_V_ERR_APPLICATION_VERIFICATION
inline constexpr std::string_view kPinMismatch = "pin_mismatch";

// Server side: certificate chain file and private key file (PEM), TLS 1.3 only, no session
// tickets (nothing to resume: every agent session starts with a fresh handshake).
Result<std::shared_ptr<boost::asio::ssl::context>> makeServerContext(const std::string& certPath,
                                                                     const std::string& keyPath);

// Client side: TLS 1.3 only; the server must present a certificate whose SPKI SHA-256 equals
// `pin` (32 bytes), compared in constant time.
Result<std::shared_ptr<boost::asio::ssl::context>> makeClientContext(Bytes pin);

}  // namespace pb
