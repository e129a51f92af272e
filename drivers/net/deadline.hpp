// SPDX-License-Identifier: Apache-2.0
// A per-operation deadline for Asio coroutines (Boost 1.74 has no cancellation slots or awaitable
// operators): arm it before an operation, and if the operation outlives the timeout the callback
// runs, typically cancelling or closing the socket so the pending operation completes with
// operation_aborted. Destroying the Deadline disarms it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp relies on it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace pb {

// @par Thread Safety
// Use on one executor (strand): the executor of the object the callback touches.
class Deadline {
 public:
  Deadline(const boost::asio::any_io_executor& ex, std::chrono::milliseconds timeout,
           std::function<void()> onExpire)
      : timer_(ex, timeout), state_(std::make_shared<State>()) {
    state_->onExpire = std::move(onExpire);
    // The handler holds only the shared state: it may run after this Deadline (and the coroutine
    // frame owning it) is gone, when the expiry was already queued as the operation completed.
    timer_.async_wait([state = state_](const boost::system::error_code& ec) {
      if (ec || state->disarmed) return;
      state->expired = true;
      if (state->onExpire) state->onExpire();
    });
  }
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void disarm() {
    if (state_->disarmed) return;
    state_->disarmed = true;
    state_->onExpire = nullptr;  // drop captured references now
    timer_.cancel();
  }
  [[nodiscard]] bool expired() const { return state_->expired; }

 private:
  struct State {
    bool disarmed = false;
    bool expired = false;
    std::function<void()> onExpire;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace pb
