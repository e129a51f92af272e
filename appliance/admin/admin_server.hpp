// SPDX-License-Identifier: Apache-2.0
// The admin endpoint: a Unix stream socket speaking the protocol in admin_protocol.hpp.
//
// For every request the server reads the caller's kernel-reported credentials, derives its role,
// and refuses (PB-9501, audited as admin.denied) a command that needs more; the handler never
// sees a refused or malformed request. Bounded: one request line of at most
// kMaxAdminRequestBytes, a limited number of connections, an idle timeout per connection.
//
// @par Thread Safety
// All work, including every AdminHandler call, runs on the executor given to the constructor.
// With a multi-threaded io_context pass a strand (the one that owns the Store). Call start(),
// stop() and the destructor from one thread; stop() may race with running I/O safely.
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
  std::size_t maxRequestBytes = kMaxAdminRequestBytes;
  std::size_t maxConnections = 16;  // each may buffer up to maxRequestBytes
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
  // Stops accepting, closes every connection (no handler call starts after this) and removes the
  // socket file. Idempotent.
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
