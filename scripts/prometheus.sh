#!/usr/bin/env bash
#
# scripts/prometheus.sh - a private Prometheus on the loopback that scrapes local FlashSale servers
# and evaluates the project's alerting rules (deploy/prometheus/alerts.yml).
#
# Usage: scripts/prometheus.sh [run|install|config]
#
#   run      (the default) Installs Debian's prometheus if missing, writes the configuration and runs
#            Prometheus in the foreground on http://127.0.0.1:$FLASHSALE_PROMETHEUS_PORT until it is
#            stopped (Ctrl-C, SIGTERM) or the process FLASHSALE_PROMETHEUS_WATCH_PID names exits.
#            Progress goes to STDERR; the one STDOUT line is "prometheus: http://127.0.0.1:PORT/",
#            printed once Prometheus is ready.
#   install  Installs the Debian package `prometheus` (Prometheus and promtool) with apt-get if
#            missing, and leaves no system-wide Prometheus running: Debian's postinst may start one
#            listening on all addresses (in containers policy-rc.d usually denies it).
#   config   Prints the configuration `run` would use.
#
# Settings (environment):
#   FLASHSALE_PROMETHEUS_PORT      port of the web UI and API, on 127.0.0.1 only (default 9390)
#   FLASHSALE_PROMETHEUS_TARGETS   FlashSale servers to scrape, host:port, separated by commas
#                                  (default 127.0.0.1:5080, where scripts/run.sh serves)
#   FLASHSALE_ADMIN_KEY            the servers' admin key, sent as `Authorization: Bearer` (what
#                                  /metrics needs); FlashSale__AdminKey is used when it is unset
#   FLASHSALE_PROMETHEUS_INTERVAL  scrape and rule evaluation interval (default 1s)
#   FLASHSALE_PROMETHEUS_DIR       configuration, key, data and log (default <repo>/.services/prometheus;
#                                  the data is kept between runs)
#   FLASHSALE_PROMETHEUS_WATCH_PID stop when this process exits (the tests pass their own pid)
#
# The scrape job is named `flashsale` (the target alert matches jobs named *flashsale*).

set -euo pipefail
umask 077

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname -- "$SCRIPT_DIR")
RULES="$REPO_DIR/deploy/prometheus/alerts.yml"

BIND_ADDR=127.0.0.1
PORT=${FLASHSALE_PROMETHEUS_PORT:-9390}
TARGETS=${FLASHSALE_PROMETHEUS_TARGETS:-127.0.0.1:5080}
ADMIN_KEY=${FLASHSALE_ADMIN_KEY:-${FlashSale__AdminKey:-}}
INTERVAL=${FLASHSALE_PROMETHEUS_INTERVAL:-1s}
DIR=${FLASHSALE_PROMETHEUS_DIR:-$REPO_DIR/.services/prometheus}
WATCH_PID=${FLASHSALE_PROMETHEUS_WATCH_PID:-}
START_TIMEOUT=${FLASHSALE_START_TIMEOUT:-60}

# The pid file of Debian's system-wide Prometheus (/etc/init.d/prometheus).
SYSTEM_PIDFILE=/run/prometheus/prometheus.pid

log() { printf '[prometheus] %s\n' "$*" >&2; }

die() {
    log "ERROR: $*"
    exit 1
}

validate_settings() {
    if ! [[ $PORT =~ ^[1-9][0-9]{0,4}$ ]] || ((PORT > 65535)); then
        die "FLASHSALE_PROMETHEUS_PORT must be a port number (got '$PORT')"
    fi
    [[ $INTERVAL =~ ^[1-9][0-9]*(ms|s|m)$ ]] || die "FLASHSALE_PROMETHEUS_INTERVAL must be a duration like 1s or 15s (got '$INTERVAL')"
    [[ -z $WATCH_PID || $WATCH_PID =~ ^[0-9]+$ ]] || die "FLASHSALE_PROMETHEUS_WATCH_PID must be a pid (got '$WATCH_PID')"
    local target
    for target in ${TARGETS//,/ }; do
        [[ $target =~ ^[A-Za-z0-9.-]+:[0-9]{1,5}$ || $target =~ ^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$ ]] ||
            die "FLASHSALE_PROMETHEUS_TARGETS: '$target' is not host:port"
    done
    # Paths are written into the configuration with quotes.
    case $REPO_DIR$DIR in
        *[\'\"\\$'\n']*) die "paths must not contain quotes, backslashes or newlines: $DIR" ;;
    esac
}

# ---------------------------------------------------------------------------
# install

# system_prometheus_pid: the pid of a running system-wide Prometheus, if any.
system_prometheus_pid() {
    local pid=""
    if [[ -r $SYSTEM_PIDFILE ]]; then read -r pid <"$SYSTEM_PIDFILE" 2>/dev/null || true; fi
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */prometheus ]]; then
        printf '%s\n' "$pid"
    fi
    return 0
}

# Stops the system-wide Prometheus a package installation may have started (it listens on all
# addresses), through its own init script, which stops exactly the pid in its pid file.
stop_system_prometheus() {
    local pid
    pid=$(system_prometheus_pid)
    [[ -n $pid ]] || return 0
    log "stopping the system-wide prometheus (pid $pid) the package installation started"
    if [[ -x /etc/init.d/prometheus ]]; then /etc/init.d/prometheus stop >&2 || true; fi
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    die "the system-wide prometheus (pid $pid) did not stop"
}

cmd_install() {
    if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
        ((EUID == 0)) || die "prometheus is not installed; run as root or install it with apt-get"
        log "installing Debian's prometheus (Prometheus and promtool)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2 || die "apt-get update failed"
        if ! apt-get install -y -q --no-install-recommends prometheus </dev/null >&2; then
            log "apt-get install reported an error (a refused service start, say); checking the programs"
        fi
        if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
            die "prometheus/promtool still missing after apt-get install"
        fi
    fi
    stop_system_prometheus
}

# ---------------------------------------------------------------------------
# run

write_config() {
    local target quoted="" auth=""
    for target in ${TARGETS//,/ }; do quoted+="${quoted:+, }'$target'"; done
    if [[ -n $ADMIN_KEY ]]; then
        auth="    authorization:
      type: Bearer
      credentials_file: '$DIR/admin-key'"
    fi
    cat <<EOF
# Generated by scripts/prometheus.sh - edits are overwritten on start.
global:
  scrape_interval: $INTERVAL
  scrape_timeout: $INTERVAL
  evaluation_interval: $INTERVAL
rule_files:
  - '$RULES'
scrape_configs:
  - job_name: flashsale
    metrics_path: /metrics
$auth
    static_configs:
      - targets: [$quoted]
EOF
}

# alive PID: the process exists and is not a zombie (an exited child stays one until waited for).
alive() {
    local stat=""
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# ready: Prometheus answers 200 on /-/ready (plain bash, no curl needed).
ready() {
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash
    timeout 2 bash -c 'exec 5<>"/dev/tcp/$1/$2" && printf "GET /-/ready HTTP/1.0\r\n\r\n" >&5 && IFS= read -r line <&5 && [[ $line == "HTTP/"*" 200 "* ]]' \
        _ "$BIND_ADDR" "$PORT" 2>/dev/null
}

cmd_run() {
    cmd_install
    if ready; then die "something already answers on $BIND_ADDR:$PORT"; fi
    mkdir -p -- "$DIR/data"
    if [[ -n $ADMIN_KEY ]]; then
        printf '%s' "$ADMIN_KEY" >"$DIR/admin-key"
    else
        log "no FLASHSALE_ADMIN_KEY: scraping without a key (servers with FlashSale:Metrics:RequireAdminKey=false)"
    fi
    write_config >"$DIR/prometheus.yml"
    promtool check config "$DIR/prometheus.yml" >&2 || die "the generated configuration is invalid ($DIR/prometheus.yml)"

    log "starting on http://$BIND_ADDR:$PORT/ (scraping $TARGETS every $INTERVAL; log $DIR/prometheus.log)"
    prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
        --web.listen-address="$BIND_ADDR:$PORT" --storage.tsdb.retention.time=2d \
        </dev/null >>"$DIR/prometheus.log" 2>&1 &
    local pid=$!
    # Whatever ends this script (Ctrl-C, SIGTERM, an error) stops Prometheus with it.
    trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    local deadline=$((SECONDS + START_TIMEOUT))
    until ready; do
        if ! alive "$pid"; then
            tail -n 40 -- "$DIR/prometheus.log" >&2 || true
            die "prometheus exited during startup"
        fi
        ((SECONDS < deadline)) || die "prometheus was not ready within ${START_TIMEOUT}s"
        sleep 0.2
    done
    log "ready (pid $pid); alerts at http://$BIND_ADDR:$PORT/alerts"
    printf 'prometheus: http://%s:%s/\n' "$BIND_ADDR" "$PORT"

    while alive "$pid"; do
        if [[ -n $WATCH_PID ]] && ! alive "$WATCH_PID"; then
            log "process $WATCH_PID exited; stopping"
            exit 0
        fi
        sleep 1
    done
    wait "$pid" || die "prometheus exited with $? (log $DIR/prometheus.log)"
}

main() {
    validate_settings
    case ${1:-run} in
        run) cmd_run ;;
        install) cmd_install ;;
        config) write_config ;;
        -h | --help | help) sed -n '3,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
        *)
            printf 'Usage: %s [run|install|config]\n' "$0" >&2
            exit 2
            ;;
    esac
}

main "$@"
