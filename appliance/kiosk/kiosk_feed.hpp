// SPDX-License-Identifier: Apache-2.0
// The kiosk's live state: builds the snapshot a browser gets on connect and the incremental
// messages that follow a state change, from the store (through kiosk_view, the only place that
// decides what a tile holds).
//
// Messages (JSON, one per WebSocket text message):
//   {type: "snapshot", seq, server_time_ms, header, slots[{id,label}], tiles[]}
//   {type: "tile", seq, changed_at_ms, tile}
//   {type: "header", seq, header}
//   {type: "remove", seq, key}   a tile leaves the display
// `seq` increases by one per message after the snapshot's; a page that sees a gap reconnects and
// resynchronises. `changed_at_ms` is when benchd saw the committed change (for latency figures).
//
// @par Thread Safety
// Used on benchd's one thread, like the Store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "kiosk/kiosk_view.hpp"
#include "store/store.hpp"

namespace pb {

class KioskFeed {
 public:
  // `since` (Unix seconds): sessions of unregistered devices started before it are not shown
  // (benchd passes its start time: they are not on the bench any more).
  //
  // `unregisteredPerSlot`: tiles of unregistered devices kept per slot (and for the unassigned
  // row); the oldest goes (a "remove" message) when a newer one arrives, so a stream of
  // unregistered hellos cannot grow the snapshot or the page without bound.
  KioskFeed(Store& store, const Clock& clock, KioskHeader header, std::vector<KioskSlot> slots,
            KioskPolicy policy, std::int64_t since, std::size_t unregisteredPerSlot = 4);

  // Reloads every tile from the store and returns the snapshot message.
  Result<nlohmann::json> snapshot();
  // After a committed change of one session (and its device, when registered): the messages to
  // broadcast (a tile, and a header when the verdict counts changed). Errors are returned as an
  // empty list: the next snapshot repairs what a failed read missed.
  std::vector<nlohmann::json> onSessionChange(const std::string& sessionId,
                                              const std::string& deviceId);
  // A new header (e.g. policy reload): the message to broadcast.
  nlohmann::json setHeader(KioskHeader header);

  [[nodiscard]] std::uint64_t seq() const { return seq_; }

 private:
  TileContext context() const;
  std::map<std::string, int> counts() const;
  void remember(const nlohmann::json& tile);
  // Notes an unregistered tile as the newest of its slot; returns the keys pushed out.
  std::vector<std::string> keepUnregistered(const nlohmann::json& tile);

  Store& store_;
  const Clock& clock_;
  KioskHeader header_;
  std::vector<KioskSlot> slots_;
  std::map<std::string, std::string> slotLabels_;
  KioskPolicy policy_;
  std::int64_t since_;
  std::uint64_t seq_ = 0;
  std::map<std::string, std::string> verdictByKey_;  // tile key -> verdict, for the counts
  std::size_t unregisteredPerSlot_;
  // slot id ("" = unassigned) -> keys of its unregistered tiles, oldest first
  std::map<std::string, std::deque<std::string>> unregisteredBySlot_;
};

// Wall-clock milliseconds since the Unix epoch (what the page's Date.now() compares against).
std::int64_t kioskNowMs();

}  // namespace pb
