// SPDX-License-Identifier: Apache-2.0
// Small file-system helpers with bounded reads and durable, permission-correct writes.
#pragma once

#include <cstddef>
#include <string>

#include <sys/types.h>

#include "core/result.hpp"
#include "core/secret_bytes.hpp"

namespace pb {

// Whether the last component of a path may be a symbolic link. Files benchd owns in its state
// directory (keys, lock, database) are refused as links: a link there is an attack or a mistake.
enum class Symlinks { Follow, Refuse };

// Reads at most maxBytes; a larger file is an error, not a truncation.
Result<std::string> readFileBounded(const std::string& path, std::size_t maxBytes,
                                    Symlinks symlinks = Symlinks::Follow);

// Reads a secret file (at most maxBytes) in one pass over one descriptor: opened with O_NOFOLLOW
// (a symbolic link is refused), then fstat on that descriptor checks that it is a regular file,
// owned by `owner` and not readable or writable by group or others; the bytes are read from the
// same descriptor, so nothing can be swapped between the check and the read. Errors: code
// "insecure_key" for a link, a wrong owner or mode (the message says how to fix it), "io" or
// "too_large" otherwise.
Result<SecretBytes> readPrivateFile(const std::string& path, std::size_t maxBytes, uid_t owner);
// The same checks without reading (for keys OpenSSL loads itself by path).
Status checkPrivateFile(const std::string& path, uid_t owner);

// Writes to a new temporary file beside `path` (O_CREAT|O_EXCL|O_NOFOLLOW, random name, so an
// existing file or link there is never followed or reused) with `mode`, fsyncs it, renames it over
// `path` and fsyncs the directory, so a crash leaves either the old or the new content. Every
// step is checked, including close() and the directory fsync: the write is durable when it
// returns ok.
Status writeFileAtomic(const std::string& path, const std::string& data, unsigned mode);
Status writeFileAtomic(const std::string& path, const SecretBytes& data, unsigned mode);

// fsync of a directory (after a rename or a file creation in it).
Status syncDirectory(const std::string& dir);

// mkdir -p with `mode` for directories it creates.
Status makeDirs(const std::string& path, unsigned mode);

}  // namespace pb
