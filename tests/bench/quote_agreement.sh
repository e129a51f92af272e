#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Figure 2 of issue 3: `benchctl quote verify` against Debian 12's `tpm2_checkquote` on the same
# files. N genuine quote sets from one swtpm (ECDSA P-256 AK, sha256:0,1,2,3,7, a fresh nonce each),
# each checked three ways: as made (both must accept), with a wrong nonce (both must reject), and
# with the PCR file's selection rewritten to PCR indices the quote never signed but with the same
# values (tpm2-tools CVE-2024-29039: 5.4 accepts it, we must reject). Prints the agreement and the
# time ratio. Usage: bash tests/bench/quote_agreement.sh [N] (default 1000)
set -euo pipefail
n="${1:-1000}"
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
benchctl="${BENCHCTL:-$top/build/dev/bin/benchctl}"
work="$(mktemp -d)"
swtpm_pid=""
cleanup() {
  [[ -n "$swtpm_pid" ]] && kill "$swtpm_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free consecutive port pair for the swtpm TCTI (command port N, control port N+1).
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 20000))
  mkdir -p "$work/state"
  swtpm socket --tpm2 --server type=tcp,bindaddr=127.0.0.1,port=$port \
    --ctrl type=tcp,bindaddr=127.0.0.1,port=$((port + 1)) --tpmstate dir="$work/state" \
    --flags not-need-init,startup-clear --pid file="$work/swtpm.pid" --log file=/dev/null &
  swtpm_pid=$!
  for _ in $(seq 1 50); do [[ -s "$work/swtpm.pid" ]] && break; kill -0 "$swtpm_pid" 2>/dev/null || break; sleep 0.05; done
  [[ -s "$work/swtpm.pid" ]] && break
  swtpm_pid=""
done
[[ -n "$swtpm_pid" ]] || { echo "cannot start swtpm" >&2; exit 1; }
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
flush() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -s >/dev/null 2>&1; }

cd "$work"
tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null; flush
tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub >/dev/null; flush
tpm2_pcrextend 3:sha256="$(echo boot | sha256sum | cut -c1-64)" >/dev/null

echo "generating $n quote sets ..."
for i in $(seq 1 "$n"); do
  mkdir -p "q$i"
  nonce="$(head -c 32 /dev/urandom | xxd -p -c 64)"
  echo "$nonce" > "q$i/nonce"
  tpm2_quote -c ak.ctx -l sha256:0,1,2,3,7 -q "$nonce" -m "q$i/msg" -s "q$i/sig" -o "q$i/pcrs" -g sha256 >/dev/null
  flush
  # Forged selection: PCRs 0,1,2,3,7 -> 8,9,10,11,15 (same values, so the same digest).
  python3 - "q$i/pcrs" "q$i/pcrs.forged" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[7:10] = bytes([0x00, 0x8f, 0x00])  # select[0..2] of the first TPMS_PCR_SELECTION
open(sys.argv[2], "wb").write(b)
PY
done

ours_ok=0 theirs_ok=0 agree_valid=0 agree_nonce=0 we_reject_they_accept=0 they_reject_we_accept=0
t_ours=0 t_theirs=0
now_ns() { date +%s%N; }
check() {  # $1 set dir, $2 nonce, $3 pcr file; sets rc_ours rc_theirs
  local t0 t1
  t0=$(now_ns)
  "$benchctl" quote verify --ak-pub ak.pub --msg "$1/msg" --sig "$1/sig" --pcrs "$3" --nonce "$2" >/dev/null 2>&1 && rc_ours=0 || rc_ours=1
  t1=$(now_ns); t_ours=$((t_ours + t1 - t0)); t0=$t1
  tpm2_checkquote -u ak.pub -m "$1/msg" -s "$1/sig" -f "$3" -g sha256 -q "$2" >/dev/null 2>&1 && rc_theirs=0 || rc_theirs=1
  t1=$(now_ns); t_theirs=$((t_theirs + t1 - t0))
}
for i in $(seq 1 "$n"); do
  nonce="$(cat "q$i/nonce")"
  check "q$i" "$nonce" "q$i/pcrs"
  [[ $rc_ours == 0 && $rc_theirs == 0 ]] && agree_valid=$((agree_valid + 1))
  wrong="00${nonce:2}"
  [[ "$wrong" == "$nonce" ]] && wrong="ff${nonce:2}"
  check "q$i" "$wrong" "q$i/pcrs"
  [[ $rc_ours == 1 && $rc_theirs == 1 ]] && agree_nonce=$((agree_nonce + 1))
  check "q$i" "$nonce" "q$i/pcrs.forged"
  [[ $rc_ours == 1 && $rc_theirs == 0 ]] && we_reject_they_accept=$((we_reject_they_accept + 1))
  [[ $rc_ours == 0 && $rc_theirs == 1 ]] && they_reject_we_accept=$((they_reject_we_accept + 1))
done
echo "valid sets accepted by both:                 $agree_valid / $n"
echo "wrong-nonce sets rejected by both:           $agree_nonce / $n"
echo "forged-selection sets: we reject, it accepts: $we_reject_they_accept / $n"
echo "forged-selection sets: it rejects, we accept: $they_reject_we_accept / $n"
awk -v a="$t_ours" -v b="$t_theirs" -v n="$n" 'BEGIN {
  printf "time per check: benchctl %.2f ms, tpm2_checkquote %.2f ms, ratio %.2f\n", a/1e6/(3*n), b/1e6/(3*n), a/b }'
