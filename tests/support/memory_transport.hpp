// SPDX-License-Identifier: Apache-2.0
// An in-memory FrameTransport pair: what one end writes the other reads, in order, on one
// executor. Session rules (SessionManager, stages) are unit-tested with it without TLS, sockets or
// certificates. Faithful where it matters to those rules: a read waits until a frame arrives, the
// peer closes (PB-0009) or the timeout passes (PB-0006), without sleeping; a write to a closed
// peer fails with PB-0009; close() is seen by the peer's pending read at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio on 1.74

#include <boost/asio/any_io_executor.hpp>

#include "net/frame_transport.hpp"

namespace pb::test {

struct TransportPair {
  std::unique_ptr<FrameTransport> appliance;  // hand this one to SessionManager::handle
  std::unique_ptr<FrameTransport> agent;      // the test plays the agent on this one
};

// `agentAddress` is what the appliance end reports as peerAddress() (rate limits, slot map).
TransportPair makeTransportPair(const boost::asio::any_io_executor& executor,
                                std::string agentAddress = "127.0.0.1");

}  // namespace pb::test
