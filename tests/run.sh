#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the formatting (clang-format, tests/lint.sh format), builds provbench and runs the whole
# test suite: unit and integration tests (ctest), the same again under AddressSanitizer +
# UndefinedBehaviorSanitizer, then each libFuzzer target for a short smoke run over its seed corpus.
# Installs missing Debian packages first.
# Usage: bash tests/run.sh   (PB_JOBS=N build parallelism; PB_SKIP_LINT=1 / PB_SKIP_ASAN=1 /
#        PB_SKIP_FUZZ=1 to skip a step locally; CI skips nothing)
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
bash image/dev/bootstrap.sh
jobs="${PB_JOBS:-$(nproc)}"

if [ "${PB_SKIP_LINT:-0}" != "1" ]; then
  bash tests/lint.sh format
fi

echo "== configure and build (build/default)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$jobs"

echo "== unit and integration tests"
ctest --preset default -j "$jobs" --timeout 300

if [ "${PB_SKIP_ASAN:-0}" != "1" ]; then
  echo "== the same tests under ASan + UBSan (build/asan)"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  ctest --preset asan -j "$jobs" --timeout 300
fi

if [ "${PB_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzz targets: smoke run over the seed corpora (build/fuzz)"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  ctest --test-dir build/fuzz -j "$jobs" --output-on-failure --timeout 300
fi
