// SPDX-License-Identifier: Apache-2.0
#include "kiosk/kiosk_feed.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace pb {

namespace {
// Upper bound of sessions read for the tiles of unregistered devices in a snapshot.
constexpr int kMaxSessionsScanned = 2048;
}  // namespace

std::int64_t kioskNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

KioskFeed::KioskFeed(Store& store, const Clock& clock, KioskHeader header,
                     std::vector<KioskSlot> slots, KioskPolicy policy, std::int64_t since,
                     std::size_t unregisteredPerSlot)
    : store_(store),
      clock_(clock),
      header_(std::move(header)),
      slots_(std::move(slots)),
      policy_(policy),
      since_(since),
      unregisteredPerSlot_(std::max<std::size_t>(1, unregisteredPerSlot)) {
  for (const auto& s : slots_) slotLabels_[s.id] = s.label.empty() ? s.id : s.label;
}

TileContext KioskFeed::context() const {
  TileContext ctx;
  ctx.slotLabels = &slotLabels_;
  ctx.policy = policy_;
  return ctx;
}

std::map<std::string, int> KioskFeed::counts() const {
  std::map<std::string, int> c;
  for (const auto& [key, verdict] : verdictByKey_) ++c[verdict];
  return c;
}

void KioskFeed::remember(const nlohmann::json& tile) {
  verdictByKey_[tile.at("key").get<std::string>()] = tile.at("verdict").get<std::string>();
}

std::vector<std::string> KioskFeed::keepUnregistered(const nlohmann::json& tile) {
  const std::string key = tile.at("key").get<std::string>();
  auto& keys = unregisteredBySlot_[tile.value("slot", "")];
  keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
  keys.push_back(key);
  std::vector<std::string> evicted;
  while (keys.size() > unregisteredPerSlot_) {
    evicted.push_back(keys.front());
    verdictByKey_.erase(keys.front());
    keys.pop_front();
  }
  return evicted;
}

Result<nlohmann::json> KioskFeed::snapshot() {
  auto devices = store_.listDevices(std::nullopt);
  if (!devices.ok()) return devices.error().withContext("kiosk snapshot: devices");
  auto sessions = store_.listSessions(false, kMaxSessionsScanned);
  if (!sessions.ok()) return sessions.error().withContext("kiosk snapshot: sessions");

  const TileContext ctx = context();
  verdictByKey_.clear();
  unregisteredBySlot_.clear();
  nlohmann::json tiles = nlohmann::json::array();
  for (const auto& d : *devices) {
    if (!d.state) continue;  // registered but never on the bench
    tiles.push_back(tileFromDevice(d, ctx));
    remember(tiles.back());
  }
  // Unregistered devices exist only as sessions; newest first, so the first of a key wins.
  // At most unregisteredPerSlot_ of them per slot: the newest.
  std::map<std::string, bool> seen;
  std::map<std::string, std::vector<nlohmann::json>> newestBySlot;
  for (const auto& s : *sessions) {
    if (!s.deviceId.empty() || s.startedAt < since_) continue;
    nlohmann::json tile = tileFromSession(s, ctx);
    if (!seen.emplace(tile.at("key").get<std::string>(), true).second) continue;
    auto& kept = newestBySlot[s.slot];
    if (kept.size() < unregisteredPerSlot_) kept.push_back(std::move(tile));
  }
  for (auto& [slot, kept] : newestBySlot) {
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {  // oldest first
      (void)keepUnregistered(*it);
      remember(*it);
      tiles.push_back(std::move(*it));
    }
  }
  nlohmann::json slots = nlohmann::json::array();
  for (const auto& s : slots_) slots.push_back({{"id", s.id}, {"label", slotLabels_.at(s.id)}});
  return nlohmann::json{{"type", "snapshot"},
                        {"seq", seq_},
                        {"server_time_ms", kioskNowMs()},
                        {"header", headerJson(header_, clock_, counts())},
                        {"slots", std::move(slots)},
                        {"tiles", std::move(tiles)}};
}

std::vector<nlohmann::json> KioskFeed::onSessionChange(const std::string& sessionId,
                                                       const std::string& deviceId) {
  const std::int64_t changedAt = kioskNowMs();
  nlohmann::json tile;
  if (!deviceId.empty()) {
    auto d = store_.findDevice(deviceId);
    if (!d.ok() || !*d || !(*d)->state) return {};
    tile = tileFromDevice(**d, context());
  } else {
    auto s = store_.findSession(sessionId);
    if (!s.ok() || !*s) return {};
    tile = tileFromSession(**s, context());
  }
  const auto before = counts();
  std::vector<std::string> evicted;
  if (deviceId.empty()) evicted = keepUnregistered(tile);
  remember(tile);
  std::vector<nlohmann::json> out;
  out.push_back({{"type", "tile"}, {"seq", ++seq_}, {"changed_at_ms", changedAt}, {"tile", tile}});
  for (const auto& key : evicted) {
    out.push_back({{"type", "remove"}, {"seq", ++seq_}, {"key", key}});
  }
  auto after = counts();
  if (after != before) {
    out.push_back(
        {{"type", "header"}, {"seq", ++seq_}, {"header", headerJson(header_, clock_, after)}});
  }
  return out;
}

nlohmann::json KioskFeed::setHeader(KioskHeader header) {
  header_ = std::move(header);
  return {{"type", "header"}, {"seq", ++seq_}, {"header", headerJson(header_, clock_, counts())}};
}

}  // namespace pb
