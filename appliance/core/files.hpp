// SPDX-License-Identifier: Apache-2.0
// Small file-system helpers with bounded reads and durable, permission-correct writes.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.hpp"

namespace pb {

// Reads at most maxBytes; a larger file is an error, not a truncation.
Result<std::string> readFileBounded(const std::string& path, std::size_t maxBytes);

// Writes to a temporary file beside `path` with `mode`, fsyncs it, renames it over `path` and
// fsyncs the directory, so a crash leaves either the old or the new content.
Status writeFileAtomic(const std::string& path, const std::string& data, unsigned mode);

// mkdir -p with `mode` for directories it creates.
Status makeDirs(const std::string& path, unsigned mode);

}  // namespace pb
