// SPDX-License-Identifier: Apache-2.0
// The admin commands. AdminServer decides *whether* a caller may run a command; an AdminHandler
// decides *what* it does. StoreAdminHandler implements every command over the inventory.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <sys/types.h>

#include "admin/admin_protocol.hpp"
#include "admin/denial_audit.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "store/store.hpp"

namespace pb {

// One authorised, well-formed request together with who sent it.
struct AdminCall {
  std::string cmd;
  nlohmann::json args = nlohmann::json::object();
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  Role role = Role::None;
};

class AdminHandler {
 public:
  virtual ~AdminHandler() = default;
  // Runs a command the caller is allowed to run (the server checked the role and the argument
  // names) and returns the complete response object (okResponse / errorResponse).
  virtual nlohmann::json handle(const AdminCall& call) = 0;
  // What the server calls: may suspend (heavy work off the loop) and completes on the server's
  // executor. The default answers with handle().
  virtual boost::asio::awaitable<nlohmann::json> handleAsync(const AdminCall& call) {
    co_return handle(call);
  }
  // Records one uid's refused requests of one window in the audit log (action "admin.denied",
  // actor "uid:<n>", details with the count and the refused commands).
  virtual void auditDenied(const DenialSummary& denials) = 0;
};

// kMaxApprovalTtlHours, kMaxAuditTail and kMaxAdminReasonBytes are in admin_commands.hpp.

struct StoreAdminHandlerOptions {
  int defaultApprovalTtlHours = 24;  // approve without ttl_hours; 1..kMaxApprovalTtlHours
  Logger* logger = nullptr;          // reports audit writes that failed; nullptr: silent
  // Runs "policy.show" and "policy.load" (benchd's PolicyManager); unset: those commands fail.
  std::function<nlohmann::json(const AdminCall& call, const std::string& actor)> policyCommands =
      {};
  // Runs a read-only store job off the event loop and resumes on the loop (benchd: a StoreWorker
  // with its own read-only connection). Used by `audit verify`; unset: the job runs on the loop.
  using ReadJob = std::function<Result<AuditVerifyReport>(Store& readOnly)>;
  std::function<boost::asio::awaitable<Result<AuditVerifyReport>>(ReadJob)> runOffLoop = {};
  // "policy.load" when set (benchd: its dry run evaluates the devices off the loop); unset:
  // policyCommands.
  std::function<boost::asio::awaitable<nlohmann::json>(const AdminCall& call,
                                                       const std::string& actor)>
      policyLoadAsync = {};
};

// @par Thread Safety
// Not thread-safe: it drives the Store, which its owner serialises (benchd runs the admin server
// on the store's strand).
class StoreAdminHandler final : public AdminHandler {
 public:
  // statusProvider: benchd's live facts for `status` (bench id, version, uptime, policy name and
  // hash, open sessions, listener port); the handler adds device counts and the audit size.
  StoreAdminHandler(Store& store, const Clock& clock,
                    std::function<nlohmann::json()> statusProvider,
                    StoreAdminHandlerOptions options = {});

  nlohmann::json handle(const AdminCall& call) override;
  boost::asio::awaitable<nlohmann::json> handleAsync(const AdminCall& call) override;
  void auditDenied(const DenialSummary& denials) override;

 private:
  // One per registered command (admin_commands.hpp), over arguments already validated.
  nlohmann::json status(const AdminArgs& args, const std::string& actor);
  nlohmann::json devices(const AdminArgs& args, const std::string& actor);
  nlohmann::json deviceShow(const AdminArgs& args, const std::string& actor);
  nlohmann::json registryImport(const AdminArgs& args, const std::string& actor);
  nlohmann::json registryList(const AdminArgs& args, const std::string& actor);
  nlohmann::json approve(const AdminArgs& args, const std::string& actor);
  nlohmann::json block(const AdminArgs& args, const std::string& actor);
  nlohmann::json unblock(const AdminArgs& args, const std::string& actor);
  nlohmann::json auditVerify(const AdminArgs& args, const std::string& actor);
  nlohmann::json auditTail(const AdminArgs& args, const std::string& actor);
  nlohmann::json setBlocked(const AdminArgs& args, const std::string& actor, bool blocked);
  nlohmann::json finishVerify(Result<AuditVerifyReport> report);

  Store& store_;
  const Clock& clock_;
  std::function<nlohmann::json()> statusProvider_;
  StoreAdminHandlerOptions options_;
};

// JSON forms shared by the handler and tests (and readable by benchctl's renderer).
nlohmann::json deviceToJson(const DeviceRecord& d);
nlohmann::json registryToJson(const DeviceRecord& d);
nlohmann::json sessionToJson(const SessionRecord& s);
nlohmann::json approvalToJson(const Approval& a);
nlohmann::json checkRunToJson(const CheckRun& run);
nlohmann::json auditRecordToJson(const AuditRecord& r);
nlohmann::json auditReportToJson(const AuditVerifyReport& r);

}  // namespace pb
