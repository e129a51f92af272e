// SPDX-License-Identifier: Apache-2.0
// StoreWorker: jobs run on the worker thread, results are delivered on the loop thread (callback
// and coroutine), errors and exceptions come back as errors, and stop() with work in flight
// interrupts the running job and fails the queued ones — each still delivered on the loop.
// No timing: the blocking job waits for the worker's interrupt, not for a clock.
#include "store/store_worker.hpp"

#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/fake_store.hpp"

namespace pb {
namespace {

namespace asio = boost::asio;

const Bytes kKey(32, 0x42);

// A store whose interrupt() releases a job blocked in waitForInterrupt().
class InterruptibleStore final : public test::FakeStore {
 public:
  explicit InterruptibleStore(const Clock& clock) : FakeStore(clock) {}
  void interrupt() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!interrupted_) {
      interrupted_ = true;
      released_.set_value();
    }
  }
  void waitForInterrupt() { released_.get_future().wait(); }

 private:
  std::mutex mutex_;
  bool interrupted_ = false;
  std::promise<void> released_;
};

class StoreWorkerTest : public ::testing::Test {
 protected:
  FixedClock clock_{1'780'000'000};
  asio::io_context io_{1};
};

TEST_F(StoreWorkerTest, ResultIsDeliveredOnTheLoopThread) {
  StoreWorker worker(io_.get_executor(), std::make_unique<test::FakeStore>(clock_));
  const auto loopThread = std::this_thread::get_id();
  std::thread::id jobThread;
  std::thread::id completionThread;
  std::optional<Result<int>> got;
  worker.run<int>(
      [&jobThread](Store&) -> Result<int> {
        jobThread = std::this_thread::get_id();
        return 42;
      },
      [&](Result<int> r) {
        completionThread = std::this_thread::get_id();
        got.emplace(std::move(r));
      });
  io_.run();  // returns once the completion ran: the job holds work on the loop
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(**got, 42);
  EXPECT_NE(jobThread, loopThread);
  EXPECT_EQ(completionThread, loopThread);
}

TEST_F(StoreWorkerTest, CoroutineResumesOnTheLoopThread) {
  StoreWorker worker(io_.get_executor(), std::make_unique<test::FakeStore>(clock_));
  const auto loopThread = std::this_thread::get_id();
  std::vector<std::thread::id> resumedOn;
  std::vector<int> results;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
          auto r = co_await worker.run<int>([i](Store&) -> Result<int> { return i * 10; },
                                            asio::use_awaitable);
          resumedOn.push_back(std::this_thread::get_id());
          results.push_back(r.ok() ? *r : -1);
        }
      },
      asio::detached);
  io_.run();
  EXPECT_EQ(results, (std::vector<int>{0, 10, 20}));
  for (auto id : resumedOn) EXPECT_EQ(id, loopThread);
}

TEST_F(StoreWorkerTest, ErrorsAndExceptionsPropagate) {
  StoreWorker worker(io_.get_executor(), std::make_unique<test::FakeStore>(clock_));
  std::vector<Error> errors;
  auto collect = [&](Result<int> r) {
    ASSERT_FALSE(r.ok());
    errors.push_back(r.error());
  };
  worker.run<int>([](Store&) -> Result<int> { return makeError("db", "disk on fire"); }, collect);
  worker.run<int>([](Store&) -> Result<int> { throw std::runtime_error("bug"); }, collect);
  io_.run();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, "db");
  EXPECT_EQ(errors[0].message, "disk on fire");
  EXPECT_EQ(errors[1].code, "worker");
  EXPECT_NE(errors[1].message.find("bug"), std::string::npos);
}

TEST_F(StoreWorkerTest, StopWithWorkInFlightInterruptsAndFailsTheQueue) {
  auto owned = std::make_unique<InterruptibleStore>(clock_);
  InterruptibleStore* store = owned.get();
  StoreWorker worker(io_.get_executor(), std::move(owned));
  const auto loopThread = std::this_thread::get_id();
  std::promise<void> started;
  std::vector<std::string> outcomes;
  std::vector<std::thread::id> deliveredOn;
  auto collect = [&](Result<int> r) {
    deliveredOn.push_back(std::this_thread::get_id());
    outcomes.push_back(r.ok() ? "ok" : r.error().code + ": " + r.error().message);
  };
  worker.run<int>(
      [&started, store](Store&) -> Result<int> {
        started.set_value();
        store->waitForInterrupt();  // a long query, until sqlite3_interrupt
        return makeError("db", "interrupted");
      },
      collect);
  bool secondRan = false;
  worker.run<int>(
      [&secondRan](Store&) -> Result<int> {
        secondRan = true;
        return 1;
      },
      collect);
  started.get_future().wait();
  worker.stop();  // returns once the worker thread is joined
  // After stop, new work completes with an error at once.
  worker.run<int>([](Store&) -> Result<int> { return 2; }, collect);
  EXPECT_TRUE(outcomes.empty());  // nothing is delivered before the loop runs
  io_.run();
  EXPECT_FALSE(secondRan);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0], "db: interrupted");
  EXPECT_EQ(outcomes[1].rfind("worker:", 0), 0u) << outcomes[1];
  EXPECT_EQ(outcomes[2].rfind("worker:", 0), 0u) << outcomes[2];
  for (auto id : deliveredOn) EXPECT_EQ(id, loopThread);
}

TEST_F(StoreWorkerTest, VerifiesARealChainOnItsOwnReadOnlyConnection) {
  char tmpl[] = "/tmp/pb-store-worker-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  {
    auto writer = Store::open(dir + "/inventory.db", kKey, clock_);
    ASSERT_TRUE(writer.ok()) << writer.error().message;
    for (int i = 0; i < 10; ++i) {
      AuditRecord r;
      r.actor = "benchd";
      r.action = "test.record";
      ASSERT_TRUE((*writer)->appendAudit(r).ok());
    }
    auto reader = Store::openReadOnly(dir + "/inventory.db", kKey, clock_);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    StoreWorker worker(io_.get_executor(), std::move(reader).value());
    std::optional<Result<AuditVerifyReport>> got;
    worker.run<AuditVerifyReport>(
        [](Store& ro) { return ro.verifyAuditIncremental(); },
        [&](Result<AuditVerifyReport> r) {
          // On the loop: the head is written by the writer.
          if (r.ok() && r->ok) {
            EXPECT_TRUE((*writer)->recordVerifiedHead(r->headSeq, r->headHash).ok());
          }
          got.emplace(std::move(r));
        });
    io_.run();
    ASSERT_TRUE(got && got->ok());
    EXPECT_TRUE((*got)->ok);
    EXPECT_EQ((*got)->records, 10);
    auto next = (*writer)->verifyAuditIncremental();
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->fromSeq, 11);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pb
