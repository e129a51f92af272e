// SPDX-License-Identifier: Apache-2.0
// The kiosk's view model: the ONE place that decides what the kiosk display may see.
//
// Tiles are built from an explicit allow-list of fields (slot, model, serial, masked owner,
// state, reason, checks). Nothing else of a device record or a session — owner e-mail, EK hashes,
// session ids, identity facts beyond serial and model, and whatever later stages attach
// (credentials, tokens, escrow, PINs) — can reach a browser, because nothing here copies it.
// Keep it that way: add a field only after asking whether a passer-by may read it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/device_state.hpp"
#include "policy/check_result.hpp"
#include "policy/policy.hpp"
#include "store/store.hpp"

namespace pb {

// What the kiosk header shows. benchd fills it; other modules provide the data (development
// mode, risky settings, certificate expiry) as they come to exist.
struct KioskHeader {
  std::string benchId;
  std::string policyName;
  std::string policyHash;  // full hex; the kiosk shows the first 12 characters
  bool developmentMode = false;
  std::vector<std::string> riskySettings;  // one line per weakened policy setting
  // Expiry (Unix seconds) of the provisioning certificate; nullopt when there is none (yet).
  std::optional<std::int64_t> provisioningCertNotAfter;
};

struct KioskSlot {
  std::string id;
  std::string label;
};

// How a tile is classified at a glance. Colour on the page always comes with icon and text.
enum class KioskVerdict { InProgress, Ready, NeedsApproval, Blocked, Failed, NotAttestable };

std::string_view toString(KioskVerdict v);      // "in_progress", "ready", "needs_approval", …
std::string_view verdictLabel(KioskVerdict v);  // "IN PROGRESS", "READY", "NEEDS APPROVAL", …
KioskVerdict verdictFor(DeviceState state, std::string_view code);

// "Jane Doe" -> "J. D." (first character of up to four words, UTF-8 aware).
std::string maskOwnerName(std::string_view name);

struct TileContext {
  const std::map<std::string, std::string>* slotLabels = nullptr;  // slot id -> label
  KioskPolicy policy;
  // Check results recorded for the device (today: none; admission is derived from its state).
  const CheckResults* checks = nullptr;
};

// A registered device's tile. Key "dev-…".
nlohmann::json tileFromDevice(const DeviceRecord& device, const TileContext& ctx);
// The tile of a device without a record (an unregistered or unidentifiable device): only serial
// and model of its claimed identity are read. Key "u-" + hash of source and serial, so the same
// device reconnecting in the same slot replaces its tile.
nlohmann::json tileFromSession(const SessionRecord& session, const TileContext& ctx);

// {bench_id, policy_name, policy_hash, banners[], counts{verdict: n}}.
nlohmann::json headerJson(const KioskHeader& header, const Clock& clock,
                          const std::map<std::string, int>& counts);

// Device-supplied strings are cut to this many bytes (on a UTF-8 boundary) before display.
inline constexpr std::size_t kMaxTileStringBytes = 128;

}  // namespace pb
