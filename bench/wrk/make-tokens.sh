#!/usr/bin/env bash
# Writes N user tokens (one per line) from a server with dev tokens on, for bench/wrk/purchase.lua; users wrk-1 … wrk-N.
#   bench/wrk/make-tokens.sh http://127.0.0.1:5080 1000 > /tmp/tokens.txt
set -euo pipefail
url="${1:?server url}"; count="${2:-1000}"
for i in $(seq 1 "$count"); do
  answer=$(curl -sf -XPOST "$url/api/dev/token" -H 'content-type: application/json' -d "{\"userId\":\"wrk-$i\"}")
  token=$(sed -nE 's/.*"token":"([^"]+)".*/\1/p' <<< "$answer")
  if [ -z "$token" ]; then echo "make-tokens.sh: no token in the answer for wrk-$i: $answer" >&2; exit 1; fi
  printf '%s\n' "$token"
done
