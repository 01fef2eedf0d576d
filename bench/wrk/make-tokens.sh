#!/usr/bin/env bash
# Writes N user tokens (one per line) from a server with dev tokens on, for bench/wrk/purchase.lua.
#   bench/wrk/make-tokens.sh http://127.0.0.1:5080 1000 > /tmp/tokens.txt
set -euo pipefail
url="${1:?server url}"; count="${2:-1000}"
for i in $(seq 1 "$count"); do
  curl -sf -XPOST "$url/api/dev/token" -H 'content-type: application/json' -d "{\"userId\":\"wrk-$i\"}" \
    | sed -E 's/.*"token":"([^"]+)".*/\1/'
done
