// SPDX-License-Identifier: Apache-2.0
// `audit verify` runs off the event loop: with the real AdminServer, StoreAdminHandler, SQLite
// store and StoreWorker, a `status` request sent while a verification is in flight is answered
// before the verification finishes. Ordering, not timing: the verification job is held on the
// worker until the status answer has arrived, which can only happen if the loop is free.
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "admin/admin_client.hpp"
#include "admin/admin_handler.hpp"
#include "admin/admin_server.hpp"
#include "store/store_worker.hpp"
#include "test_support.hpp"

namespace pb {
namespace {

using nlohmann::json;

const Bytes kKey(32, 0x42);

json call(const std::string& socket, const std::string& cmd, const json& args = json::object()) {
  auto client = AdminClient::connect(socket);
  if (!client) return json{{"client_error", client.error().message}};
  auto r = client->call(cmd, args);
  if (!r) return json{{"client_error", r.error().message}};
  return *r;
}

TEST(AdminOffloadTest, StatusIsAnsweredWhileAuditVerifyRunsOnTheWorker) {
  test::AdminTempDir dir;
  FixedClock clock(1'780'000'000);
  const std::string db = dir.path() + "/inventory.db";
  auto store = Store::open(db, kKey, clock);
  ASSERT_TRUE(store.ok()) << store.error().message;
  constexpr int kRecords = 200;
  for (int i = 0; i < kRecords; ++i) {
    AuditRecord r;
    r.actor = "benchd";
    r.action = "test.record";
    ASSERT_TRUE((*store)->appendAudit(r).ok());
  }
  auto readOnly = Store::openReadOnly(db, kKey, clock);
  ASSERT_TRUE(readOnly.ok()) << readOnly.error().message;

  boost::asio::io_context io(1);
  StoreWorker worker(io.get_executor(), std::move(readOnly).value());
  std::promise<void> verifyStarted;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::once_flag startedOnce;
  StoreAdminHandlerOptions hopt;
  hopt.runOffLoop = [&](StoreAdminHandlerOptions::ReadJob job) {
    return worker.run<AuditVerifyReport>(
        [job = std::move(job), released, &verifyStarted, &startedOnce](Store& ro) {
          std::call_once(startedOnce, [&] { verifyStarted.set_value(); });
          released.wait();  // held on the worker until the test saw the status answer
          return job(ro);
        },
        boost::asio::use_awaitable);
  };
  StoreAdminHandler handler(
      **store, clock, [] { return json::object(); }, hopt);
  const std::string socket = dir.path() + "/admin.sock";
  AdminServer server(io.get_executor(), socket, std::make_shared<test::FixedRole>(Role::Admin),
                     handler);
  ASSERT_TRUE(server.start().ok());
  std::thread loop([&] { io.run(); });

  std::mutex mutex;
  std::vector<std::string> answered;
  json verify;
  std::thread verifier([&] {
    verify = call(socket, "audit.verify");
    std::lock_guard<std::mutex> lock(mutex);
    answered.push_back("audit.verify");
  });
  verifyStarted.get_future().wait();
  json status = call(socket, "status");
  {
    std::lock_guard<std::mutex> lock(mutex);
    answered.push_back("status");
  }
  release.set_value();
  verifier.join();

  EXPECT_EQ(answered, (std::vector<std::string>{"status", "audit.verify"}));
  ASSERT_TRUE(status.value("ok", false)) << status.dump();
  EXPECT_EQ(status["result"]["audit_records"], kRecords);
  ASSERT_TRUE(verify.value("ok", false)) << verify.dump();
  EXPECT_TRUE(verify["result"]["ok"].get<bool>());
  EXPECT_EQ(verify["result"]["records"], kRecords);
  EXPECT_EQ(verify["result"]["head_seq"], kRecords);

  // The loop recorded the verified head: the next run checks nothing old; --full checks all.
  json again = call(socket, "audit.verify");
  ASSERT_TRUE(again.value("ok", false)) << again.dump();
  EXPECT_EQ(again["result"]["records"], 0);
  EXPECT_FALSE(again["result"]["full"].get<bool>());
  json full = call(socket, "audit.verify", json{{"full", true}});
  ASSERT_TRUE(full.value("ok", false)) << full.dump();
  EXPECT_EQ(full["result"]["records"], kRecords);
  EXPECT_TRUE(full["result"]["full"].get<bool>());
  json bad = call(socket, "audit.verify", json{{"full", "yes"}});
  EXPECT_FALSE(bad.value("ok", true)) << bad.dump();

  server.stop();
  worker.stop();
  loop.join();
}

}  // namespace
}  // namespace pb
