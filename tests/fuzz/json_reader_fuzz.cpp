// SPDX-License-Identifier: Apache-2.0
// The one reader for untrusted JSON (core/json_reader.hpp) on arbitrary bytes: parseBoundedJson
// must never crash, hang or throw, and reading any accepted document with every kind of field
// read must end in either success or one error that names a path under "$" and carries the
// schema's code. Each key is read as the type its first byte selects, so the fuzzer reaches
// every type check, bound and the unknown-key refusal.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_reader.hpp"
#include "core/strict_json.hpp"

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kEnum{"sha1", "sha256", "sha384"};

void readObject(pb::JsonObjectReader& r, const json& j, int depth);

void readValue(pb::JsonObjectReader& r, const json& parent, const std::string& key, int depth) {
  switch (key.empty() ? 0 : static_cast<unsigned char>(key[0]) % 9) {
    case 0:
      (void)r.string(key);
      break;
    case 1:
      (void)r.integer(key, -5, 1000);
      break;
    case 2:
      (void)r.boolean(key);
      break;
    case 3:
      (void)r.hex(key, 16);
      break;
    case 4:
      (void)r.enumerated(key, kEnum);
      break;
    case 5:
      (void)r.optionalString(key);
      break;
    case 6:
      if (const json* a = r.array(key, 8)) {
        for (std::size_t i = 0; i < a->size(); ++i) {
          const json& v = (*a)[i];
          if (v.is_object() && depth < 8) {
            pb::JsonObjectReader c = r.child(v, pb::jsonIndexPath(r.path(key), i));
            readObject(c, v, depth + 1);
          } else {
            (void)r.checkUnsigned(v, pb::jsonIndexPath(r.path(key), i), 255);
          }
        }
      }
      break;
    case 7:
      if (const json* o = r.objectValue(key); o != nullptr && depth < 8) {
        pb::JsonObjectReader c = r.child(*o, r.path(key));
        readObject(c, *o, depth + 1);
      }
      break;
    default:
      (void)parent;  // left unread: finish() refuses it as an unknown key
      break;
  }
}

void readObject(pb::JsonObjectReader& r, const json& j, int depth) {
  for (const auto& [key, value] : j.items()) readValue(r, j, key, depth);
  (void)r.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = pb::parseBoundedJson(text, 16);
  if (!doc) {
    if (doc.error().message.empty()) __builtin_trap();
    return 0;
  }
  pb::JsonReadRules rules{.errorCode = "PB-FUZZ",
                          .maxString = 32,
                          .absentIsError = (size % 2) == 0,
                          .allowUnknownKeys = (size % 3) == 0};
  pb::JsonObjectReader r(*doc, "$", rules);
  if (doc->is_object()) readObject(r, *doc, 0);
  auto e = r.finish();
  if (!doc->is_object() && !e) __builtin_trap();  // a non-object is never read as one
  if (e && (e->code != "PB-FUZZ" || e->message.rfind("$", 0) != 0)) __builtin_trap();
  return 0;
}
