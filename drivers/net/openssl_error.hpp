// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace pb {

// OpenSSL's own message for the most recent error, drained so it does not leak into later calls.
std::string opensslError();

}  // namespace pb
