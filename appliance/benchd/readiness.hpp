// SPDX-License-Identifier: Apache-2.0
// Tells whoever started benchd that it is ready: a JSON line on an inherited file descriptor
// (tests, scripts: no guessing, no polling) and READY=1 on $NOTIFY_SOCKET (systemd Type=notify).
#pragma once

#include <string>

namespace pb {

void signalReady(int fd, const std::string& jsonLine);

}  // namespace pb
