// SPDX-License-Identifier: Apache-2.0
// The kiosk page's static files, compiled into the binary (embed_assets.cmake generates the table
// from the allow-list in CMakeLists.txt). Nothing is ever served from the file system.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace pb {

struct KioskAsset {
  std::string_view path;         // URL path, "/kiosk.js"
  std::string_view contentType;  // "text/javascript; charset=utf-8"
  std::string_view body;
};

std::span<const KioskAsset> kioskAssets();
// nullptr when `path` is not one of the assets ("/" is index.html).
const KioskAsset* findKioskAsset(std::string_view path);
// Sum of the asset sizes in bytes: what a browser downloads for the page.
std::size_t kioskPageWeight();

}  // namespace pb
