#!/usr/bin/env bash
# Prints a deploy/.env for deploy/compose.yaml: every secret it needs, freshly random (hex, so they need no quoting
# inside the connection strings). Compose reads deploy/.env by itself; keep the file out of the repository.
#
#   deploy/compose-env.sh > deploy/.env && chmod 600 deploy/.env
set -euo pipefail

random_hex() { od -An -vtx1 -N"$1" /dev/urandom | tr -d ' \n'; }

echo "# deploy/.env for deploy/compose.yaml, made by deploy/compose-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "FLASHSALE_ADMIN_KEY=$(random_hex 24)"
echo "FLASHSALE_SIGNING_KEY=$(random_hex 32)"
echo "FLASHSALE_TOKEN_SECRET=$(random_hex 32)"
echo "FLASHSALE_WEBHOOK_SECRET=$(random_hex 32)"
echo "REDIS_PASSWORD=$(random_hex 24)"
echo "RABBITMQ_PASSWORD=$(random_hex 24)"
echo "POSTGRES_PASSWORD=$(random_hex 24)"
