#!/usr/bin/env bash
# Runs every test of every test project against real Redis, RabbitMQ and PostgreSQL, and ends with the
# line "N passed, N failed, N skipped" summed over all projects. Exits non-zero on any failure.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh --filter Race   # extra arguments go to `dotnet test`
#
# Services already running (scripts/services.sh start) are used and left running; services this
# script had to start are stopped again when it ends.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

started_services=0
if ! bash scripts/services.sh status >/dev/null 2>&1; then
  started_services=1
fi
cleanup() {
  if [ "$started_services" = 1 ]; then
    echo "test.sh: stopping the services it started" >&2
    bash scripts/services.sh stop >&2 || true
  fi
}
trap cleanup EXIT

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test.sh: installing chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q --no-install-recommends chromium >&2
fi

# The alerting rules' tests run promtool and a real Prometheus (Debian's prometheus package; the script
# also makes sure the package left no system-wide Prometheus running) and yamllint.
bash scripts/prometheus.sh install
if ! command -v yamllint >/dev/null 2>&1; then
  echo "test.sh: installing yamllint for the alerting rules' tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 && apt-get install -y -q --no-install-recommends yamllint >&2
fi

echo "test.sh: starting services (scripts/services.sh start)" >&2
settings="$(bash scripts/services.sh start)"
while IFS= read -r line; do
  [ -n "$line" ] && export "${line?}"
done <<< "$settings"

echo "test.sh: building" >&2
dotnet build FlashSale.sln -c Debug -nologo -v quiet -warnaserror >&2

log="$(mktemp)"
status=0
dotnet test FlashSale.sln -c Debug --no-build -nologo -m:1 "$@" 2>&1 | tee "$log" || status=$?

# One summary line per test project: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total: ..."
read -r passed failed skipped projects < <(awk '
  /(Passed|Failed)! +- +Failed: / {
    gsub(",", "");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
    n++
  }
  END { printf "%d %d %d %d\n", p, f, s, n }' "$log")
rm -f "$log"

expected_projects=$(find tests -name '*.Tests.csproj' | wc -l)
if [ $# -eq 0 ] && [ "$projects" -lt "$expected_projects" ]; then
  echo "test.sh: only $projects of $expected_projects test projects reported results" >&2
  status=1
fi
if [ "$failed" -gt 0 ]; then status=1; fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
