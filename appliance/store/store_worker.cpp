// SPDX-License-Identifier: Apache-2.0
#include "store/store_worker.hpp"

namespace pb {

StoreWorker::StoreWorker(boost::asio::any_io_executor loop, std::unique_ptr<Store> readOnly)
    : loop_(std::move(loop)), store_(std::move(readOnly)) {
  thread_ = std::thread([this] { threadMain(); });
}

StoreWorker::~StoreWorker() {
  stop();
}

void StoreWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  // The flag is set first, so the thread takes no new job once the running one returns.
  if (store_) store_->interrupt();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreWorker::enqueue(std::unique_ptr<Job> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job->run(nullptr);  // completes with an error, posted to the loop like any other result
}

void StoreWorker::threadMain() {
  for (;;) {
    std::unique_ptr<Job> job;
    bool stopped = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and nothing left to fail
      job = std::move(queue_.front());
      queue_.pop_front();
      stopped = stopping_;
    }
    job->run(stopped ? nullptr : store_.get());
  }
}

}  // namespace pb
