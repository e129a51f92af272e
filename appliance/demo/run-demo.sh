#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo bench: builds provbench, starts a real benchd on loopback with a fresh state directory,
# signs the demo policy with a key it generates, imports the demo asset register, blocks one device,
# runs a simulated fleet of fourteen devices (one per admission outcome, then the firmware/AMT
# checks and TPM attestation with AMT simulators and real swtpms), then approves the quarantined
# device and shows it through.
# Installs missing Debian packages first. Usage: bash appliance/demo/run-demo.sh
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
demo="$top/appliance/demo"
cd "$top"
bash image/dev/bootstrap.sh

echo "== building (build/default)"
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target benchd benchctl bench-agent provbench-sim provbench-sim-agent
bin="$top/build/default/bin"

state="$(mktemp -d /tmp/provbench-demo.XXXXXX)"
benchd_pid=""
cleanup() {
  if [ -n "$benchd_pid" ] && kill -0 "$benchd_pid" 2>/dev/null; then
    kill -TERM "$benchd_pid"
    wait "$benchd_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# The demo policy trusts the simulated TPM manufacturer, whose CA provbench-sim writes here.
sed -e "s|/var/lib/provbench/tpm-roots|$state/tpm-roots|" "$demo/policy.yaml" >"$state/policy.yaml"
# Policies load only when signed by a trusted key: the demo plays the admin's workstation too.
"$bin/benchctl" policy keygen --out "$state/signing" >/dev/null
"$bin/benchctl" policy sign "$state/policy.yaml" --key "$state/signing/signing-key.pem" >/dev/null
sed -e "s|@STATE_DIR@|$state|g" -e "s|@POLICY@|$state/policy.yaml|g" \
  "$demo/bench.demo.yaml.in" >"$state/bench.yaml"

echo "== starting benchd (state in $state, log in $state/benchd.log)"
mkfifo "$state/ready"
"$bin/benchd" --config "$state/bench.yaml" --ready-fd 3 3>"$state/ready" 2>"$state/benchd.log" &
benchd_pid=$!
# benchd writes one JSON line when it listens; reading the FIFO waits for exactly that.
read -r ready <"$state/ready"
port="$(sed -E 's/.*"agent_port":([0-9]+).*/\1/' <<<"$ready")"
export PROVBENCH_ADMIN_SOCKET="$state/admin.sock"
kiosk_port="$(sed -E 's/.*"kiosk_port":([0-9]+).*/\1/' <<<"$ready")"
echo "   benchd is ready: agents on 127.0.0.1:$port, admin socket $PROVBENCH_ADMIN_SOCKET"
echo "   kiosk display: http://127.0.0.1:$kiosk_port/ (open it in a browser on this machine)"

step() { echo; echo "\$ $*"; "$@"; }

step "$bin/benchctl" registry import "$demo/registry.csv"
step "$bin/benchctl" block dev-000003 --reason "reported stolen (ticket INC-4711)"

echo
echo "== the fleet arrives: fourteen devices connect at once. Admitted devices go on to the"
echo "   firmware/AMT checks and TPM attestation (each has an AMT simulator and a real swtpm)"
"$bin/provbench-sim" --fleet "$demo/fleet.yaml" --appliance "127.0.0.1:$port" \
  --pin "$state/keys/agent.pin" --workdir "$state/sim" --tpm-roots "$state/tpm-roots" || true

step "$bin/benchctl" devices
echo
echo "== the spoofed-serial device turns out to be a genuine mainboard swap: an admin approves it"
step "$bin/benchctl" approve dev-000006 --reason "mainboard replaced under RMA 88123, verified by J. Doe"
"$bin/provbench-sim" --fleet "$demo/fleet-after-approval.yaml" --appliance "127.0.0.1:$port" \
  --pin "$state/keys/agent.pin" --workdir "$state/sim2" --tpm-roots "$state/tpm-roots" || true
step "$bin/benchctl" device show dev-000006
step "$bin/benchctl" audit verify

cat <<TXT

== try next (benchd keeps running while this script waits; Ctrl-C stops it)
  export PROVBENCH_ADMIN_SOCKET=$PROVBENCH_ADMIN_SOCKET
  $bin/benchctl status
  $bin/benchctl devices --state blocked
  $bin/benchctl device show dev-000001 --json
  $bin/benchctl audit tail -n 10
  $bin/benchctl reasons
TXT
if [ -t 0 ]; then
  read -r -p "Press Enter to stop the demo bench... " _ || true
fi
