#!/usr/bin/env bash
# Installs wrk (Debian's package: wrk 4.1 with LuaJIT) when it is not on the PATH; bench compare and scripts/test.sh
# run it, so a fresh machine needs nothing by hand.
#   bash bench/wrk/install.sh
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then exit 0; fi
echo "install.sh: installing wrk" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 wrk >&2
command -v wrk >/dev/null 2>&1
