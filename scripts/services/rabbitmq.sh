# shellcheck shell=bash
#
# scripts/services/rabbitmq.sh - RabbitMQ for scripts/services.sh: the node
# flashsale@localhost with AMQP on 127.0.0.1:$FLASHSALE_RABBIT_PORT (default
# 5673), Erlang distribution on $FLASHSALE_RABBIT_DIST_PORT (25673) and its
# own epmd on $FLASHSALE_EPMD_PORT (4370); the guest user may only log in
# from loopback. epmd always adds the IPv6 loopback [::1] to the addresses it
# is given (ERL_EPMD_ADDRESS), so it listens on 127.0.0.1 and [::1], both
# loopback-only. Files in .services/rabbitmq/: rabbitmq.conf,
# enabled_plugins, mnesia/, log/, rabbitmq.pid and home/.erlang.cookie (a
# private cookie shared by the server and rabbitmqctl).
# Sourced after common.sh. Interface: rabbitmq_missing, rabbitmq_start,
# rabbitmq_stop (also stops our epmd), rabbitmq_status (also reports epmd),
# rabbitmq_connection.

RABBIT_PORT=${FLASHSALE_RABBIT_PORT:-5673}
RABBIT_DIST_PORT=${FLASHSALE_RABBIT_DIST_PORT:-25673}
EPMD_PORT=${FLASHSALE_EPMD_PORT:-4370}
NUMERIC_SETTINGS+=(RABBIT_PORT RABBIT_DIST_PORT EPMD_PORT)

RABBIT_NODE=flashsale@localhost
RABBIT_SBIN=/usr/lib/rabbitmq/bin

RABBIT_DIR="$SERVICES_DIR/rabbitmq"
RABBIT_PIDFILE="$RABBIT_DIR/rabbitmq.pid"
RABBIT_LOG_DIR="$RABBIT_DIR/log"
RABBIT_STARTUP_LOG="$RABBIT_LOG_DIR/startup.log"
RABBIT_NODE_LOG="$RABBIT_LOG_DIR/$RABBIT_NODE.log"

# rabbitmq_missing: prints what of RabbitMQ is not installed (nothing if all is).
rabbitmq_missing() {
    [[ -x $RABBIT_SBIN/rabbitmq-server && -x $RABBIT_SBIN/rabbitmqctl ]] ||
        printf 'rabbitmq-server\n'
}

rabbitmq_connection() { printf '%s\n' "amqp://guest:guest@$BIND_ADDR:$RABBIT_PORT/"; }

# Environment shared by the server and every rabbitmqctl call.
rabbit_export_env() {
    export RABBITMQ_NODENAME=$RABBIT_NODE
    export RABBITMQ_USE_LONGNAME=false
    export RABBITMQ_NODE_IP_ADDRESS=$BIND_ADDR
    export RABBITMQ_NODE_PORT=$RABBIT_PORT
    export RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
    export ERL_EPMD_ADDRESS=$BIND_ADDR
    export ERL_EPMD_PORT=$EPMD_PORT
    export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia"
    export RABBITMQ_LOG_BASE=$RABBIT_LOG_DIR
    export RABBITMQ_PID_FILE=$RABBIT_PIDFILE
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config"
    # Our own (empty) env file, so /etc/rabbitmq/rabbitmq-env.conf is ignored.
    export RABBITMQ_CONF_ENV_FILE="$RABBIT_DIR/rabbitmq-env.conf"
    # Erlang distribution (server and CLI nodes) listens on loopback only.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    # Private Erlang cookie in $HOME/.erlang.cookie, shared by server and CLI.
    export HOME="$RABBIT_DIR/home"
    export ERL_CRASH_DUMP="$RABBIT_LOG_DIR/erl_crash.dump"
}

# rabbit_run CMD...: run a RabbitMQ/Erlang tool with our environment.
rabbit_run() {
    (
        rabbit_export_env
        cd -- "$RABBIT_DIR" || exit
        spawn "$@"
    )
}

rabbitmqctl_() { rabbit_run "$RABBIT_SBIN/rabbitmqctl" -n "$RABBIT_NODE" "$@"; }

epmd_bin() {
    local e
    if command -v epmd >/dev/null 2>&1; then
        command -v epmd
        return 0
    fi
    for e in /usr/lib/erlang/erts-*/bin/epmd; do
        [[ -x $e ]] && printf '%s\n' "$e"
    done | tail -n 1
}

# epmd_run ARG...: runs our epmd's binary against our port; fails if there is
# no epmd binary.
epmd_run() {
    local e
    e=$(epmd_bin)
    [[ -n $e ]] || return 1
    ERL_EPMD_PORT=$EPMD_PORT spawn "$e" -port "$EPMD_PORT" "$@"
}

# epmd_names: output of `epmd -names` for our epmd; fails if none runs.
epmd_names() { epmd_run -names 2>/dev/null; }

epmd_kill() { epmd_run -kill >/dev/null 2>&1 || true; }

# True if PID is a beam process started by this script for this repo.
is_our_beam() {
    local pid=$1
    pid_alive "$pid" || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam* ]] || return 1
    # Process substitution, not a pipe: grep -q quitting early must not turn
    # into a SIGPIPE failure under pipefail.
    grep -Fxq "RABBITMQ_MNESIA_BASE=$RABBIT_DIR/mnesia" \
        < <(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)
}

# Prints the pid of our RabbitMQ node: from the pid file, or else by looking
# for a beam process carrying our RABBITMQ_MNESIA_BASE (pid file lost).
rabbit_pid() {
    local pid p
    pid=$(read_pidfile "$RABBIT_PIDFILE")
    if [[ -n $pid ]] && is_our_beam "$pid"; then
        printf '%s\n' "$pid"
        return 0
    fi
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        if is_our_beam "$p"; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    return 0
}

# rabbit_pidfile_alive: the pid file names a live process.
rabbit_pidfile_alive() {
    local pid
    pid=$(read_pidfile "$RABBIT_PIDFILE")
    [[ -n $pid ]] && pid_alive "$pid"
}

rabbit_write_conf() {
    mkdir -p -- "$RABBIT_DIR/home" "$RABBIT_DIR/mnesia" "$RABBIT_LOG_DIR"
    chmod 700 -- "$RABBIT_DIR" "$RABBIT_DIR/home"
    if [[ ! -s $RABBIT_DIR/home/.erlang.cookie ]]; then
        rm -f -- "$RABBIT_DIR/home/.erlang.cookie"
        od -An -tx1 -N16 /dev/urandom | tr -d ' \n' | tr 'a-f' 'A-F' >"$RABBIT_DIR/home/.erlang.cookie"
        chmod 400 -- "$RABBIT_DIR/home/.erlang.cookie"
    fi
    : >"$RABBIT_DIR/rabbitmq-env.conf"
    printf '[].\n' >"$RABBIT_DIR/enabled_plugins"
    cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/services.sh - edits are overwritten on start.
# AMQP listener, node name and distribution port come from RABBITMQ_* env vars.
loopback_users.guest = true
log.file.level = info
log.console = false
EOF
}

# A beam of ours that does not answer (e.g. left over from a killed run, or
# its cookie was deleted) would block a new node with the same name.
rabbit_clear_stale() {
    local pid names addrs
    pid=$(rabbit_pid)
    if [[ -n $pid ]]; then
        log "rabbitmq: stale node (pid $pid) does not respond; killing it"
        kill_wait "$pid" rabbitmq
    fi
    rm -f -- "$RABBIT_PIDFILE"
    if names=$(epmd_names); then
        if grep -q "^name ${RABBIT_NODE%@*} " <<<"$names"; then
            die "rabbitmq: a node named ${RABBIT_NODE%@*} is still registered with epmd on port $EPMD_PORT but is not ours:
$names"
        fi
        # An epmd listening beyond loopback (not started by us) is replaced.
        addrs=$(port_users "$EPMD_PORT" | awk '{print $4}')
        if grep -qvE '^(127\.0\.0\.1|\[::1\]):' <<<"$addrs"; then
            if grep -q '^name ' <<<"$names"; then
                die "rabbitmq: epmd on port $EPMD_PORT listens on non-loopback addresses and serves other nodes"
            fi
            log "rabbitmq: replacing epmd on port $EPMD_PORT that listens beyond $BIND_ADDR"
            epmd_kill
        fi
    fi
}

rabbit_wait_ready() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT)) left
    while :; do
        left=$((deadline - SECONDS))
        ((left > 0)) ||
            die_with_log "rabbitmq did not finish booting within ${START_TIMEOUT}s" \
                "$RABBIT_STARTUP_LOG" "$RABBIT_NODE_LOG"
        if rabbitmqctl_ -q await_startup --timeout "$left" >/dev/null 2>&1; then
            break
        fi
        pid_alive "$pid" ||
            die_with_log "rabbitmq node exited during startup" "$RABBIT_STARTUP_LOG" "$RABBIT_NODE_LOG"
        sleep 1
    done
    wait_until "$((deadline - SECONDS))" tcp_open "$RABBIT_PORT" ||
        die_with_log "rabbitmq does not accept AMQP connections on $BIND_ADDR:$RABBIT_PORT" "$RABBIT_NODE_LOG"
}

rabbitmq_start() {
    local pid
    pid=$(rabbit_pid)
    if [[ -n $pid ]]; then
        if rabbitmqctl_ -q --timeout 15 ping >/dev/null 2>&1; then
            log "rabbitmq: already running (pid $pid)"
            [[ $(read_pidfile "$RABBIT_PIDFILE") == "$pid" ]] || printf '%s\n' "$pid" >"$RABBIT_PIDFILE"
            rabbit_wait_ready "$pid"
            return 0
        fi
    fi
    rabbit_clear_stale
    require_port_free "$RABBIT_PORT" "rabbitmq (AMQP)"
    require_port_free "$RABBIT_DIST_PORT" "rabbitmq (Erlang distribution)"
    rabbit_write_conf
    log "rabbitmq: starting node $RABBIT_NODE on $BIND_ADDR:$RABBIT_PORT (dist $RABBIT_DIST_PORT, epmd $EPMD_PORT)"
    : >"$RABBIT_STARTUP_LOG"
    rabbit_run "$RABBIT_SBIN/rabbitmq-server" -detached >>"$RABBIT_STARTUP_LOG" 2>&1 ||
        die_with_log "rabbitmq-server -detached failed" "$RABBIT_STARTUP_LOG"
    wait_until "$START_TIMEOUT" rabbit_pidfile_alive ||
        die_with_log "rabbitmq node did not come up (no live pid in $RABBIT_PIDFILE)" \
            "$RABBIT_STARTUP_LOG" "$RABBIT_NODE_LOG"
    pid=$(read_pidfile "$RABBIT_PIDFILE")
    rabbit_wait_ready "$pid"
    log "rabbitmq: ready (pid $pid)"
}

rabbitmq_stop() {
    local pid names
    pid=$(rabbit_pid)
    if [[ -n $pid ]]; then
        log "rabbitmq: stopping (pid $pid)"
        if rabbitmqctl_ -q --timeout 30 stop >/dev/null 2>&1; then
            wait_pid_gone "$pid" "$STOP_TIMEOUT" || kill_wait "$pid" rabbitmq
        else
            log "rabbitmq: rabbitmqctl stop failed; sending SIGTERM"
            kill_wait "$pid" rabbitmq
        fi
        log "rabbitmq: stopped"
    else
        log "rabbitmq: not running"
    fi
    rm -f -- "$RABBIT_PIDFILE"
    # The epmd on our private port was started by our node; stop it too
    # unless some other node still uses it.
    if names=$(epmd_names); then
        if grep -q '^name ' <<<"$names"; then
            log "epmd on port $EPMD_PORT still serves other nodes; leaving it running"
        else
            log "epmd: stopping (port $EPMD_PORT)"
            epmd_kill
        fi
    fi
}

# Prints the rabbitmq line and, if our epmd runs, an epmd line; the exit
# status is the rabbitmq node's alone.
rabbitmq_status() {
    local rc=0
    report_status rabbitmq "$RABBIT_PORT" "$(rabbit_pid)" "(node $RABBIT_NODE)" \
        "is not accepting AMQP connections" tcp_open "$RABBIT_PORT" || rc=1
    if epmd_names >/dev/null; then
        printf 'epmd      running  %s:%s\n' "$BIND_ADDR" "$EPMD_PORT" >&3
    fi
    return "$rc"
}
