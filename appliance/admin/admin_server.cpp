// SPDX-License-Identifier: Apache-2.0
#include "admin/admin_server.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/denial_audit.hpp"
#include "core/reasons.hpp"

namespace pb {

namespace asio = boost::asio;
using Stream = asio::local::stream_protocol;
using nlohmann::json;

namespace {

struct Connection {
  Connection(Stream::socket s, PeerCredentials c, Role r)
      : socket(std::move(s)), timer(socket.get_executor()), creds(c), role(r) {}
  Stream::socket socket;
  asio::steady_timer timer;  // the idle watchdog
  std::chrono::steady_clock::time_point deadline;
  PeerCredentials creds;
  Role role;  // decided at accept; a connection keeps the role it connected with
};

void closeConnection(Connection& c) {
  boost::system::error_code ignored;
  c.timer.cancel();
  c.socket.close(ignored);
}

}  // namespace

namespace detail {
struct AdminServerState {
  AdminServerState(asio::any_io_executor ex, std::shared_ptr<const RoleResolver> a, AdminHandler& h,
                   AdminServerOptions o)
      : executor(std::move(ex)),
        acceptor(executor),
        access(std::move(a)),
        handler(h),
        options(o),
        roles(o.roleCacheTtl, o.roleCacheEntries),
        denials(o.denialAuditWindow, o.maxDenialUids),
        denialTimer(executor) {}

  void log(LogLevel level, std::string_view event, json fields) const {
    if (options.logger != nullptr) options.logger->log(level, event, std::move(fields));
  }

  asio::any_io_executor executor;
  Stream::acceptor acceptor;
  std::shared_ptr<const RoleResolver> access;
  AdminHandler& handler;
  AdminServerOptions options;
  std::atomic<bool> stopped{false};
  // Touched on the executor only.
  std::set<std::shared_ptr<Connection>> connections;
  RoleCache roles;
  DenialAggregator denials;
  asio::steady_timer denialTimer;  // armed while a denial window is open
  std::chrono::steady_clock::time_point lastBusyLog{};
};
}  // namespace detail

namespace {

using Shared = std::shared_ptr<detail::AdminServerState>;

std::string denialMessage(const AdminCall& call, Role required) {
  return "\"" + call.cmd + "\" needs the " + std::string(toString(required)) + " role; uid " +
         std::to_string(call.uid) + " has " +
         (call.role == Role::None ? std::string("no admin access")
                                  : "the " + std::string(toString(call.role)) + " role");
}

void auditDenials(detail::AdminServerState& s, const std::vector<DenialSummary>& summaries) {
  for (const auto& d : summaries) {
    s.log(LogLevel::Warn, "admin.denied_summary",
          {{"uid", d.uid}, {"role", toString(d.role)}, {"count", d.count}});
    try {
      s.handler.auditDenied(d);
    } catch (const std::exception& e) {
      s.log(LogLevel::Error, "admin.audit_failed", {{"uid", d.uid}, {"what", e.what()}});
    }
  }
}

// Arms the window timer for the earliest open window (if it is not armed for it already).
void armDenialTimer(const std::shared_ptr<detail::AdminServerState>& s);

// Counts a refusal; the first of a window is logged, none is audited until its window closes.
void recordDenial(detail::AdminServerState& s, const PeerCredentials& creds, Role role,
                  std::string_view cmd) {
  bool opened = false;
  auto evicted =
      s.denials.add(creds.uid, creds.gid, creds.pid, role, cmd, std::chrono::steady_clock::now(),
                    std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count(),
                    &opened);
  if (opened) {
    s.log(LogLevel::Warn, "admin.denied",
          {{"cmd", cmd}, {"uid", creds.uid}, {"pid", creds.pid}, {"role", toString(role)}});
  }
  if (evicted) auditDenials(s, {*evicted});
}

// How long one request may take to answer before the connection is closed anyway.
constexpr std::chrono::minutes kRequestRunBudget{10};

// One request line in, one response line out. Never throws. May suspend while the handler runs
// heavy work off the loop; it resumes on the server's executor. `c` and `line` outlive it (the
// caller awaits it).
asio::awaitable<std::string> processLine(Shared s, const Connection& c, std::string_view line) {
  auto request = parseAdminRequest(line);
  if (!request)
    co_return encodeAdminResponse(errorResponse(request.error().code, request.error().message));
  const AdminCommandSpec* spec = findAdminCommand(request->cmd);
  AdminCall call{request->cmd, std::move(request->args), c.creds.uid, c.creds.gid, c.creds.pid,
                 c.role};
  try {
    if (spec == nullptr || call.role < spec->requiredRole) {
      Role required = spec == nullptr ? Role::Admin : spec->requiredRole;
      recordDenial(*s, c.creds, call.role, call.cmd);
      co_return encodeAdminResponse(
          errorResponse(reason::kAdminUnauthorised, denialMessage(call, required)));
    }
    co_return encodeAdminResponse(co_await s->handler.handleAsync(call));
  } catch (const std::exception& e) {
    // A handler bug must fail the request, not the appliance.
    s->log(LogLevel::Error, "admin.internal_error", {{"cmd", call.cmd}, {"what", e.what()}});
  }
  co_return encodeAdminResponse(
      errorResponse(reason::kInternalError, "internal error while running \"" + call.cmd + "\""));
}

asio::awaitable<void> watchdog(std::shared_ptr<Connection> c) {
  while (c->socket.is_open()) {
    c->timer.expires_at(c->deadline);
    boost::system::error_code ec;
    co_await c->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (c->socket.is_open() && c->deadline <= std::chrono::steady_clock::now()) {
      closeConnection(*c);
    }
  }
}

asio::awaitable<void> serve(Shared s, std::shared_ptr<Connection> c) {
  std::string buffer;
  // A read-only caller's commands carry a few short arguments; only an admin sends a register.
  const std::size_t maxBytes =
      c->role == Role::Admin ? s->options.maxRequestBytes : s->options.maxReadOnlyRequestBytes;
  auto touch = [&] { c->deadline = std::chrono::steady_clock::now() + s->options.idleTimeout; };
  for (;;) {
    touch();
    boost::system::error_code ec;
    // max_size = limit + 1 leaves room for the newline of a line of exactly `limit` bytes.
    std::size_t n =
        co_await asio::async_read_until(c->socket, asio::dynamic_buffer(buffer, maxBytes + 1), '\n',
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopped) break;
    std::string response;
    bool last = false;
    if (ec == asio::error::not_found) {
      // The line does not fit; there is no way to find the next request boundary, so answer
      // and hang up.
      response = encodeAdminResponse(errorResponse(
          reason::kAdminBadRequest, "request larger than " + std::to_string(maxBytes) +
                                        " bytes for the " + std::string(toString(c->role)) +
                                        " role (or not newline-terminated)"));
      last = true;
    } else if (ec) {
      break;  // peer closed, idle timeout or stop()
    } else {
      std::string_view line(buffer.data(), n - 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      // The idle timeout does not run while a request is being answered (a full audit verify
      // runs for seconds off the loop), only a generous bound does.
      c->deadline = std::chrono::steady_clock::now() + kRequestRunBudget;
      // `line` points into `buffer`, which is not touched until processLine returns.
      response = co_await processLine(s, *c, line);
      armDenialTimer(s);
      buffer.erase(0, n);
    }
    touch();            // the write gets its own idle budget: a client that never reads is dropped
    c->timer.cancel();  // the watchdog re-arms for the new, shorter deadline
    co_await asio::async_write(c->socket, asio::buffer(response),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec || last) break;
  }
  closeConnection(*c);
  s->connections.erase(c);
}

// A fresh socket's send buffer has room for one short line, so this cannot block.
void refuse(Stream::socket& socket, std::string_view code, const std::string& message) {
  boost::system::error_code ec;
  std::string line = encodeAdminResponse(errorResponse(code, message));
  asio::write(socket, asio::buffer(line), ec);
  socket.close(ec);
}

// Why a caller with `role` may not open another connection now; nullopt when it may.
std::optional<std::string> admission(const detail::AdminServerState& s, Role role, uid_t uid) {
  const auto& o = s.options;
  if (s.connections.size() >= o.maxConnections) {
    return "too many admin connections (" + std::to_string(o.maxConnections) + ")";
  }
  if (role == Role::Admin) return std::nullopt;
  std::size_t others = 0;
  std::size_t mine = 0;
  for (const auto& c : s.connections) {
    if (c->role != Role::Admin) ++others;
    if (c->role != Role::Admin && c->creds.uid == uid) ++mine;
  }
  std::size_t shared = o.maxConnections > o.reservedAdminConnections
                           ? o.maxConnections - o.reservedAdminConnections
                           : 0;
  if (others >= shared) {
    return "all " + std::to_string(shared) + " admin connections open to the " +
           std::string(toString(role)) + " role are in use";
  }
  if (mine >= o.maxConnectionsPerUid) {
    return "uid " + std::to_string(uid) + " already has " + std::to_string(mine) +
           " admin connections open";
  }
  return std::nullopt;
}

void armDenialTimer(const Shared& s) {
  auto next = s->denials.nextDeadline();
  if (!next || s->stopped) return;
  // An earlier deadline than the armed one only happens after a flush; re-arming is cheap.
  if (s->denialTimer.expiry() == *next) return;
  s->denialTimer.expires_at(*next);
  s->denialTimer.async_wait([s](const boost::system::error_code& ec) {
    if (ec || s->stopped) return;  // cancelled: stop() audits what is open
    auditDenials(*s, s->denials.takeExpired(std::chrono::steady_clock::now()));
    armDenialTimer(s);
  });
}

asio::awaitable<void> acceptLoop(Shared s) {
  while (!s->stopped) {
    boost::system::error_code ec;
    Stream::socket socket =
        co_await s->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopped || ec == asio::error::operation_aborted) break;
    if (ec) {
      // EMFILE and friends: back off briefly instead of spinning on the error.
      s->log(LogLevel::Warn, "admin.accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(s->executor, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto creds = peerCredentials(socket.native_handle());
    if (!creds) {
      s->log(LogLevel::Warn, "admin.peer_credentials_failed", {{"error", creds.error().message}});
      socket.close(ec);
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    Role role = s->roles.roleFor(*s->access, creds->uid, creds->gid, now);
    if (role == Role::None) {
      // Refused before it can hold a slot or a buffer: O(1) per connection (a cached role, one
      // short line, a counter).
      refuse(socket, reason::kAdminUnauthorised,
             "uid " + std::to_string(creds->uid) +
                 " has no admin access (root, the admin group or the read-only group only)");
      recordDenial(*s, *creds, role, kDeniedAtConnect);
      armDenialTimer(s);
      continue;
    }
    if (auto why = admission(*s, role, creds->uid)) {
      refuse(socket, reason::kAdminBadRequest, *why + "; retry later");
      // One log line per second at most: a flood of refused connections must not flood the log.
      if (now - s->lastBusyLog >= std::chrono::seconds(1)) {
        s->lastBusyLog = now;
        s->log(LogLevel::Warn, "admin.too_many_connections",
               {{"uid", creds->uid}, {"pid", creds->pid}, {"role", toString(role)}});
      }
      continue;
    }
    auto c = std::make_shared<Connection>(std::move(socket), *creds, role);
    s->connections.insert(c);
    c->deadline = std::chrono::steady_clock::now() + s->options.idleTimeout;
    asio::co_spawn(s->executor, serve(s, c), asio::detached);
    asio::co_spawn(s->executor, watchdog(c), asio::detached);
  }
}

}  // namespace

AdminServer::AdminServer(asio::any_io_executor executor, std::string socketPath,
                         std::shared_ptr<const RoleResolver> access, AdminHandler& handler,
                         AdminServerOptions options)
    : shared_(std::make_shared<detail::AdminServerState>(std::move(executor), std::move(access),
                                                         handler, options)),
      socketPath_(std::move(socketPath)) {
  if (!shared_->access) throw std::invalid_argument("AdminServer needs a RoleResolver");
}

AdminServer::~AdminServer() {
  stop();
}

Status AdminServer::start() {
  if (socketPath_.empty() || socketPath_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return makeError("config", "admin socket path \"" + socketPath_ + "\" is empty or too long");
  }
  struct stat st {};
  if (lstat(socketPath_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return makeError("io", "admin socket path " + socketPath_ + " exists and is not a socket");
    }
    // A socket file outlives its server after a crash. Remove it only if nobody answers on it.
    boost::system::error_code ec;
    Stream::socket probe(shared_->executor);
    probe.connect(Stream::endpoint(socketPath_), ec);
    if (!ec) {
      return makeError("io", "another server is listening on " + socketPath_);
    }
    if (unlink(socketPath_.c_str()) != 0 && errno != ENOENT) {
      return makeError("io",
                       "cannot remove stale socket " + socketPath_ + ": " + std::strerror(errno));
    }
  } else if (errno != ENOENT) {
    return makeError("io", "admin socket path " + socketPath_ + ": " + std::strerror(errno));
  }

  boost::system::error_code ec;
  auto& acceptor = shared_->acceptor;
  acceptor.open(Stream(), ec);
  if (!ec) acceptor.bind(Stream::endpoint(socketPath_), ec);
  if (ec) {
    acceptor.close(ec);
    return makeError("io", "cannot bind admin socket " + socketPath_ + ": " + ec.message());
  }
  bound_ = true;
  // World-connectable on purpose: access is decided per request from the caller's
  // kernel-reported credentials (SO_PEERCRED), not by file permissions. That lets the read-only
  // group connect without sharing a file group with admins, and gives a stranger a clear PB-9501
  // answer plus an audit record instead of a silent EACCES.
  if (chmod(socketPath_.c_str(), 0666) != 0) {
    std::string why = std::strerror(errno);
    stop();
    return makeError("io", "chmod admin socket " + socketPath_ + ": " + why);
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    stop();
    return makeError("io", "listen on admin socket " + socketPath_ + ": " + ec.message());
  }
  if (lstat(socketPath_.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
  }
  asio::co_spawn(shared_->executor, acceptLoop(shared_), asio::detached);
  return {};
}

void AdminServer::stop() {
  if (shared_->stopped.exchange(true)) return;
  asio::dispatch(shared_->executor, [s = shared_] {
    boost::system::error_code ignored;
    s->acceptor.close(ignored);
    for (const auto& c : s->connections) closeConnection(*c);
    s->denialTimer.cancel();
    auditDenials(*s, s->denials.takeAll());
  });
  if (bound_) {
    // Only remove the file we created: a successor may already have replaced it.
    struct stat st {};
    if (lstat(socketPath_.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_) {
      unlink(socketPath_.c_str());
    }
    bound_ = false;
  }
}

}  // namespace pb
