#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint step of tests/run.sh (and so of CI): clang-format-14 must leave every C++ file unchanged,
# and clang-tidy-14 (the repository's .clang-tidy, warnings are errors) must pass on every
# translation unit of the default configuration: product code, tests, benchmarks and fuzz targets
# built by it. What stays excluded, and why, is in tests/README.md ("Lint").
# Usage: bash tests/lint.sh [format|tidy]   (both without an argument; PB_JOBS=N parallelism;
#        run image/dev/bootstrap.sh first). tests/run.sh runs "format" only, for now: see
#        tests/README.md for the clang-tidy findings still open and its cost.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$top"
jobs="${PB_JOBS:-$(nproc)}"

what="${1:-all}"

if [ "$what" = all ] || [ "$what" = format ]; then
  echo "== clang-format check"
  git ls-files -z '*.cpp' '*.hpp' '*.h' '*.cc' | xargs -0 clang-format-14 --dry-run -Werror
fi
[ "$what" = all ] || [ "$what" = tidy ] || exit 0

echo "== clang-tidy (build/lint: configure only, no precompiled headers)"
# Configure only: clang-tidy needs compile_commands.json, not objects. A separate directory keeps
# GCC's precompiled headers (.gch, which clang would try to load) out of the compile commands.
cmake --preset lint >/dev/null
# Boost 1.74 enables co_await for clang only through <experimental/coroutine>, which libstdc++ 12
# lacks; clang 14 implements C++20 coroutines, so tell Asio to use <coroutine> as it does for GCC.
# The regex leaves out sources generated into build/ (kiosk assets, policy template).
run-clang-tidy-14 -p build/lint -quiet -j "$jobs" \
  -extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 -extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 \
  "^$top/(appliance|drivers|policy|tests)/"
