#!/usr/bin/env bash
# Starts the local Redis, RabbitMQ and PostgreSQL (installing them on first use) and runs one FlashSale
# server with both roles on http://127.0.0.1:5080 in Development (dev tokens on, admin key generated
# unless FlashSale__AdminKey is set). Extra arguments go to the server, e.g. --urls.
# Stop the services afterwards with: scripts/services.sh stop
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
settings="$(bash scripts/services.sh start)"
while IFS= read -r line; do
  [ -n "$line" ] && export "${line?}"
done <<< "$settings"
export FlashSale__Mode=Distributed
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
if [ $# -eq 0 ]; then set -- --urls http://127.0.0.1:5080; fi
exec dotnet run --project src/FlashSale.Server -c Release -- "$@"
