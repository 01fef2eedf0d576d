#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
#
# scripts/services.sh - run the flash-sale system's backing services (Redis,
# PostgreSQL, RabbitMQ) as private, project-local processes.
#
# Usage: scripts/services.sh start|stop|status|env
#
#   start   Installs missing packages with apt-get, then starts Redis,
#           PostgreSQL and RabbitMQ unless they already run (idempotent: a
#           running service is left alone), waits until each one accepts
#           connections and prints on STDOUT exactly these plain KEY=VALUE
#           lines (with the actual ports) and nothing else:
#             ConnectionStrings__Redis=127.0.0.1:6380
#             ConnectionStrings__RabbitMq=amqp://guest:guest@127.0.0.1:5673/
#             ConnectionStrings__Postgres=Host=127.0.0.1;Port=5433;Database=flashsale;Username=postgres
#           All progress messages go to STDERR. Exit status is non-zero (with
#           the tail of the failing service's log on STDERR) on failure.
#   stop    Stops all three cleanly, plus the epmd started for RabbitMQ;
#           a no-op for services that are not running.
#   status  Prints which services are running; exit 0 if all three are,
#           3 otherwise.
#   env     Prints `export KEY='VALUE'` lines (quoted, safe for eval); starts
#           nothing.
#
# Using the output:
#   export $(scripts/services.sh start)              # values contain no blanks
#   env $(scripts/services.sh start) dotnet test     # for a single command
#   scripts/services.sh start >/dev/null && eval "$(scripts/services.sh env)"
# Do NOT eval the output of `start`: the Postgres value contains ';', which
# the shell would take as command separators. Use `env` for eval.
#
# Everything (config, data, logs, pid files) lives under <repo>/.services/
# (<repo> is the parent of this script's directory, so any cwd works), in
# redis/, pg/ and rabbitmq/. PostgreSQL's files go to
# /var/tmp/flashsale-services-<hash of repo path>/pg instead, with .services/pg
# a symlink to it, when the `postgres` OS user cannot reach the repo.
#
# Every server listens on 127.0.0.1 only, on non-default ports so it never
# clashes with the system-wide services (which are never used); the one
# exception, epmd, also listens on the IPv6 loopback [::1]. Ports:
#   Redis 6380 (FLASHSALE_REDIS_PORT), PostgreSQL 5433 (FLASHSALE_PG_PORT),
#   RabbitMQ AMQP 5673 (FLASHSALE_RABBIT_PORT), Erlang distribution 25673
#   (FLASHSALE_RABBIT_DIST_PORT), epmd 4370 (FLASHSALE_EPMD_PORT).
#   FLASHSALE_START_TIMEOUT (seconds, default 60) bounds each wait.
# Redis and RabbitMQ run as the invoking user (root here); PostgreSQL as
# `postgres` when invoked as root. Auth: Postgres trusts 127.0.0.1/32 (and its
# private unix socket); RabbitMQ's guest user may only log in from loopback.
#
# Each service lives in its own file under scripts/services/ (redis.sh,
# postgres.sh, rabbitmq.sh: <svc>_missing, <svc>_start, <svc>_stop,
# <svc>_status, <svc>_connection), on top of scripts/services/common.sh.

set -euo pipefail
umask 077

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname -- "$SCRIPT_DIR")
SERVICES_DIR="$REPO_DIR/.services"

source "$SCRIPT_DIR/services/common.sh"
source "$SCRIPT_DIR/services/redis.sh"
source "$SCRIPT_DIR/services/postgres.sh"
source "$SCRIPT_DIR/services/rabbitmq.sh"

# print_env plain|export: the connection strings as KEY=VALUE or
# `export KEY='VALUE'` lines on fd 3.
print_env() {
    local format='ConnectionStrings__%s=%s\n'
    [[ $1 == export ]] && format="export ConnectionStrings__%s='%s'\n"
    # shellcheck disable=SC2059 # the format is one of the two above
    printf "$format" Redis "$(redis_connection)" RabbitMq "$(rabbitmq_connection)" \
        Postgres "$(postgres_connection)" >&3
}

cmd_start() {
    local t0=$SECONDS
    mkdir -p -- "$SERVICES_DIR"
    chmod 755 -- "$SERVICES_DIR" # postgres must be able to traverse it
    take_lock
    ensure_packages redis=redis-server postgres=postgresql rabbitmq=rabbitmq-server
    redis_start
    postgres_start
    rabbitmq_start
    log "all services ready ($((SECONDS - t0))s)"
    print_env plain
}

cmd_stop() {
    if [[ ! -d $SERVICES_DIR ]]; then
        log "nothing to stop ($SERVICES_DIR does not exist)"
        return 0
    fi
    take_lock
    rabbitmq_stop
    redis_stop
    postgres_stop
}

cmd_status() {
    local rc=0
    redis_status || rc=3
    postgres_status || rc=3
    rabbitmq_status || rc=3
    return "$rc"
}

usage() {
    printf 'Usage: %s start|stop|status|env\n' "$0" >&2
}

main() {
    # From here on STDOUT is STDERR; fd 3 is the real STDOUT, used only for
    # the KEY=VALUE / status lines, so no stray tool output can reach it.
    exec 3>&1 1>&2
    validate_settings
    case ${1:-} in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        env) print_env export ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
