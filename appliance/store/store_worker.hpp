// SPDX-License-Identifier: Apache-2.0
// One thread for the store's heavy reads (a full audit verification, …), with its own read-only
// connection (Store::openReadOnly; WAL lets it read while the loop's connection writes).
//
// Why: benchd runs everything on one event loop. An O(history) read on it (verifying a million
// audit records takes seconds) stalls every session past its io timeout. Here the job runs on the
// worker thread and its result is *posted* to the handler's associated executor (the loop), so a
// coroutine that co_awaits run() resumes on the loop thread, never on the worker. (Resuming Boost
// 1.74 coroutines on another thread trips AddressSanitizer; see benchd/main.cpp.)
//
// Jobs run one at a time in submission order. A job sees only the read-only Store it is given and
// must capture values, not references to loop-owned state (it runs on another thread).
//
// @par Thread Safety
// run() may be called from any thread. stop() and the destructor from the owner's thread; they
// interrupt the running job (sqlite3_interrupt: it fails with a "db" error), complete every
// queued job with a "worker" error, and join. Completions are posted, so they run only when the
// loop runs: destroy the worker before its io_context.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>  // must precede boost/asio/awaitable.hpp on Boost 1.74

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "core/result.hpp"
#include "store/store.hpp"

namespace pb {

class StoreWorker {
 public:
  StoreWorker(boost::asio::any_io_executor loop, std::unique_ptr<Store> readOnly);
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs job(store) on the worker thread and completes `token` with its Result<T> on the token's
  // associated executor (the loop by default). An exception thrown by the job becomes an error.
  template <class T, class CompletionToken>
  auto run(std::function<Result<T>(Store&)> job, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Result<T>)>(
        [this](auto handler, std::function<Result<T>(Store&)> fn) {
          using Handler = decltype(handler);
          enqueue(std::make_unique<JobImpl<T, Handler>>(std::move(fn), std::move(handler), loop_));
        },
        token, std::move(job));
  }

  // Idempotent. After it, run() completes at once with a "worker" error.
  void stop();

 private:
  struct Job {
    virtual ~Job() = default;
    // store == nullptr: the worker stopped before the job ran.
    virtual void run(Store* store) = 0;
  };

  template <class T, class Handler>
  struct JobImpl final : Job {
    JobImpl(std::function<Result<T>(Store&)> f, Handler h, const boost::asio::any_io_executor& loop)
        : fn(std::move(f)),
          handler(std::move(h)),
          // Keeps the loop's run() from returning while the job is out on the worker.
          work(boost::asio::prefer(loop, boost::asio::execution::outstanding_work.tracked)) {}

    void run(Store* store) override {
      std::optional<Result<T>> result;
      if (store == nullptr) {
        result.emplace(makeError("worker", "the store worker stopped before running the job"));
      } else {
        try {
          result.emplace(fn(*store));
        } catch (const std::exception& e) {
          result.emplace(makeError("worker", std::string("job failed: ") + e.what()));
        }
      }
      fn = nullptr;  // the job's captures die here, on the worker, before the hand-back
      auto ex = boost::asio::get_associated_executor(handler, work);
      // The handler and the work guard move into the posted function: they are invoked and
      // destroyed on the loop thread, never here.
      boost::asio::post(ex, [h = std::move(handler), r = std::move(*result),
                             w = std::move(work)]() mutable { std::move(h)(std::move(r)); });
    }

    std::function<Result<T>(Store&)> fn;
    Handler handler;
    boost::asio::any_io_executor work;
  };

  void enqueue(std::unique_ptr<Job> job);
  void threadMain();

  boost::asio::any_io_executor loop_;
  std::unique_ptr<Store> store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::thread thread_;
};

}  // namespace pb
