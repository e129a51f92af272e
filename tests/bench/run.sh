#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs the benchmarks quoted in the README. Run on an idle machine: the figures move
# with load. Usage: bash tests/bench/run.sh
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$top"
bash image/dev/bootstrap.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target admission_bench frame_decode_bench amt_facts_bench agent_tpm_bench checks_bench \
  kiosk_latency_bench flood_bench audit_verify_loop_bench
echo "== frame decode"
build/default/bin/frame_decode_bench
echo "== policy check evaluation per device (ratio to parsing the facts JSON)"
build/default/bin/checks_bench
echo "== admission throughput against one benchd"
build/default/bin/admission_bench "$@"
echo "== agent AMT fact collection against the AMT simulator"
build/default/bin/amt_facts_bench
echo "== agent-side TPM time per device (swtpm)"
build/default/bin/agent_tpm_bench 10
echo "== kiosk update latency (benchd -> DOM in headless Chromium) and page weight"
build/default/bin/kiosk_latency_bench
echo "== genuine devices' admission latency under connection floods, benchd RSS"
build/default/bin/flood_bench
echo "== event-loop lag while audit verify runs over 1,000,000 records (on the loop vs the worker)"
build/default/bin/audit_verify_loop_bench 1000000
