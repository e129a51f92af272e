// SPDX-License-Identifier: Apache-2.0
#include "checks/hello_recorder.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "amt/amthi.hpp"
#include "core/bytes.hpp"
#include "core/reasons.hpp"

namespace pb {

HelloRecorder::HelloRecorder(Store& store, const Clock& clock, Logger& log,
                             std::chrono::seconds repeatAfter, std::size_t maxTracked)
    : store_(store),
      clock_(clock),
      log_(log),
      repeatAfter_(repeatAfter.count()),
      maxTracked_(std::max<std::size_t>(maxTracked, 1)) {}

bool HelloRecorder::isRepeat(const std::string& uuid, const std::string& digest, std::int64_t now) {
  auto it = seen_.find(uuid);
  if (it != seen_.end() && it->second.digest == digest && now - it->second.at < repeatAfter_) {
    return true;
  }
  if (it == seen_.end() && seen_.size() >= maxTracked_) {
    auto oldest = std::min_element(seen_.begin(), seen_.end(), [](const auto& a, const auto& b) {
      return a.second.at < b.second.at;
    });
    seen_.erase(oldest);
  }
  seen_[uuid] = Seen{now, digest};
  return false;
}

HelloRecorder::Outcome HelloRecorder::onHello(const AmtHello& hello, const std::string& peer) {
  const std::int64_t now = clock_.nowUnix();
  const std::string uuid = amthi::formatUuid(hello.uuid);
  nlohmann::json hashes = nlohmann::json::array();
  std::string digestInput = hello.adminCredentialsSet ? "1" : "0";
  for (const auto& h : hello.hashes) {
    const std::string_view name = helloHashTypeName(h.type);
    const std::string hex = toHex(h.hash);
    hashes.push_back(
        {{"algorithm", name.empty() ? "type-" + std::to_string(h.type) : std::string(name)},
         {"hash", hex}});
    digestInput += ":" + hex;
  }
  const std::string digest = toHex(sha256(std::string_view(digestInput)));
  if (isRepeat(uuid, digest, now)) return Outcome::Repeated;

  auto devices = store_.findDevicesByUuid(uuid);
  if (!devices.ok()) {
    log_.error("amt.hello_store_failed", {{"uuid", uuid}, {"error", devices.error().message}});
    return Outcome::StoreError;
  }
  if (devices->empty()) {
    log_.info("amt.hello_unregistered", {{"uuid", uuid}, {"peer", peer}});
    return Outcome::Unregistered;
  }
  nlohmann::json details{{"uuid", uuid},
                         {"peer", peer},
                         {"retry_count", hello.retryCount},
                         {"admin_credentials_set", hello.adminCredentialsSet},
                         {"hashes", hashes}};
  for (const auto& d : *devices) {
    AuditRecord r;
    r.actor = "benchd";
    r.action = "amt.hello_remote_configuration";
    r.deviceId = d.id;
    r.reason = std::string(reason::kAmtHelloRemoteConfiguration);
    r.details = details;
    if (auto st = store_.appendAudit(r); !st.ok()) {
      log_.error("amt.hello_store_failed", {{"uuid", uuid}, {"error", st.error().message}});
      seen_.erase(uuid);  // try again with the next hello
      return Outcome::StoreError;
    }
    log_.warn("amt.hello_remote_configuration", {{"device", d.id},
                                                 {"uuid", uuid},
                                                 {"peer", peer},
                                                 {"code", reason::kAmtHelloRemoteConfiguration},
                                                 {"hashes", hashes.size()}});
  }
  return Outcome::Recorded;
}

}  // namespace pb
