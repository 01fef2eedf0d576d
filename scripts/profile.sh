#!/usr/bin/env bash
# CPU profile of a running FlashSale server with Linux perf: where its CPU time goes, by library and by frame.
#   scripts/profile.sh <server-pid> [seconds=10] [out-dir=artifacts/profile]
# Start the server with DOTNET_PerfMapEnabled=1 (the JIT writes /tmp/perf-<pid>.map, so managed frames have names)
# and DOTNET_EnableWriteXorExecute=0 (else JIT code sits in an anonymous double mapping perf cannot name), warm it
# up, then run this while a load drives it (e.g. wrk with bench/wrk/purchase.lua; docs/benchmarks.md, "Profile").
# Prints the share of CPU samples per library (kernel, JIT code, runtime, JIT compiler, libc) and the frames with the
# largest inclusive share; keeps perf.data and the full report in <out-dir>. Installs Debian's linux-perf if missing.
set -euo pipefail
pid="${1:?usage: scripts/profile.sh <server-pid> [seconds] [out-dir]}"
seconds="${2:-10}"
out="${3:-artifacts/profile}"
if ! command -v perf >/dev/null 2>&1; then
  echo "profile.sh: installing linux-perf" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q --no-install-recommends linux-perf >&2
fi
[ -d "/proc/$pid" ] || { echo "profile.sh: no process $pid" >&2; exit 2; }
[ -f "/tmp/perf-$pid.map" ] || echo "profile.sh: /tmp/perf-$pid.map missing: start the server with DOTNET_PerfMapEnabled=1 to name managed frames" >&2
mkdir -p "$out"
echo "profile.sh: sampling process $pid at 999 Hz for $seconds s" >&2
perf record -F 999 -g -p "$pid" -o "$out/perf.data" -- sleep "$seconds" > "$out/record.log" 2>&1
perf report -i "$out/perf.data" --children --sort sym -g none -q > "$out/inclusive.txt" 2> /dev/null
echo "== CPU samples by library"
perf report -i "$out/perf.data" --no-children --sort dso -g none -q 2> /dev/null | awk 'NF { print "  " $0 }' | sed -n 1,8p
frames() { awk 'NF { printf "  %s  %s  ", $1, $2; $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); print substr($0, 1, 160) }'; }
echo "== kernel and native frames with the largest inclusive share"
grep -Ev '\[[A-Za-z][A-Za-z0-9_.]+\]' "$out/inclusive.txt" | grep -v ' 0x0000' | frames | sed -n "1,${PROFILE_TOP:-15}p" || true
echo "== managed frames with the largest inclusive share (named through the perf map)"
grep -E '\[[A-Za-z][A-Za-z0-9_.]+\] ' "$out/inclusive.txt" | frames | sed -n "1,${PROFILE_TOP:-40}p" || true
echo "profile.sh: full report in $out/inclusive.txt" >&2
