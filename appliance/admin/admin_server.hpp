// SPDX-License-Identifier: Apache-2.0
// The admin endpoint: a Unix stream socket speaking the protocol in admin_protocol.hpp.
//
// The caller's role is decided once, when it connects, from its kernel-reported credentials
// (SO_PEERCRED, cached per uid for a few seconds). A peer with no role is answered PB-9501 and
// closed at accept: it never holds a slot or a buffer, and its refusals are counted, not
// individually audited. A command that needs more than the caller's role is refused (PB-9501);
// the handler never sees a refused or malformed request.
//
// Bounded, so that no local user can lock root out or balloon benchd:
//   - at most maxConnections connections; reservedAdminConnections of them only for admins, and
//     at most maxConnectionsPerUid for any one non-admin uid;
//   - one request line of at most maxRequestBytes for an admin, maxReadOnlyRequestBytes for a
//     read-only caller (whose commands carry a few short arguments);
//   - an idle timeout per connection;
//   - refusals audited as one "admin.denied" record per uid and denialAuditWindow, with a count
//     (flushed when the window ends, when too many uids are tracked, and at stop()).
//
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74

#include <boost/asio/any_io_executor.hpp>
#include <sys/types.h>

#include "admin/admin_handler.hpp"
#include "admin/peer_credentials.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace pb {

namespace detail {
struct AdminServerState;
}  // namespace detail

struct AdminServerOptions {
  std::chrono::milliseconds idleTimeout{
      30'000};  // a connection with no request for this long is closed
  std::size_t maxRequestBytes = kMaxAdminRequestBytes;  // per admin connection
  std::size_t maxReadOnlyRequestBytes = 64u * 1024u;    // per read-only connection
  std::size_t maxConnections = 16;
  std::size_t reservedAdminConnections = 4;       // of maxConnections, for the admin role only
  std::size_t maxConnectionsPerUid = 4;           // for one non-admin uid
  std::chrono::milliseconds roleCacheTtl{5'000};  // 0: look the role up on every connection
  std::size_t roleCacheEntries = 1024;
  std::chrono::milliseconds denialAuditWindow{60'000};
  std::size_t maxDenialUids = 256;  // uids with an open denial window
  Logger* logger = nullptr;         // connection-level events; nullptr: silent
};

class AdminServer {
 public:
  // access: usually an AccessControl (peer_credentials.hpp) built from the configured groups.
  AdminServer(boost::asio::any_io_executor executor, std::string socketPath,
              std::shared_ptr<const RoleResolver> access, AdminHandler& handler,
              AdminServerOptions options = {});
  // The usual case: the configured groups, resolved at start-up.
  AdminServer(boost::asio::any_io_executor executor, std::string socketPath, AccessControl access,
              AdminHandler& handler, AdminServerOptions options = {})
      : AdminServer(std::move(executor), std::move(socketPath),
                    std::make_shared<const AccessControl>(std::move(access)), handler, options) {}
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Removes a stale socket file (refusing when another server still answers on it or the path is
  // not a socket), binds, listens and starts accepting. The socket is listening when this
  // returns, so a client may connect at once.
  Status start();
  // Stops accepting, closes every connection (no handler call starts after this), audits the
  // open denial windows and removes the socket file. Idempotent.
  void stop();

  const std::string& socketPath() const { return socketPath_; }

 private:
  std::shared_ptr<detail::AdminServerState> shared_;
  std::string socketPath_;
  bool bound_ = false;
  // Identity of the socket file we bound, so stop() never removes a successor's socket.
  ino_t inode_ = 0;
  dev_t device_ = 0;
};

}  // namespace pb
