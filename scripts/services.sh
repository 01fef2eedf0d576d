#!/usr/bin/env bash
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
# (<repo> is the parent of this script's directory, so any cwd works):
#   .services/redis/      redis.conf, data/ (AOF), redis.pid, redis.log
#   .services/pg/         data/ (PGDATA), run/ (unix socket), postgresql.log
#   .services/rabbitmq/   rabbitmq.conf, enabled_plugins, mnesia/, log/,
#                         rabbitmq.pid, home/.erlang.cookie (private cookie)
# PostgreSQL must run as the `postgres` OS user, which must be able to reach
# its data dir. If the repo is not traversable by `postgres` (e.g. it lives
# under /root), or the socket path would be too long for a unix socket, the
# PostgreSQL files go to /var/tmp/flashsale-services-<hash of repo path>/pg
# instead (/var/tmp rather than /tmp so the database survives a reboot) and
# .services/pg is a symlink to it.
#
# Every server listens on 127.0.0.1 only, on non-default ports so it never
# clashes with the system-wide services (which are never used). One unavoidable
# exception: epmd always adds the IPv6 loopback [::1] to the addresses it is
# given (ERL_EPMD_ADDRESS), and RabbitMQ cannot run without epmd - so epmd
# listens on 127.0.0.1:4370 and [::1]:4370, both loopback-only.
#   Redis 6380 (FLASHSALE_REDIS_PORT), PostgreSQL 5433 (FLASHSALE_PG_PORT),
#   RabbitMQ AMQP 5673 (FLASHSALE_RABBIT_PORT), Erlang distribution 25673
#   (FLASHSALE_RABBIT_DIST_PORT), epmd 4370 (FLASHSALE_EPMD_PORT).
#   FLASHSALE_START_TIMEOUT (seconds, default 60) bounds each wait.
# Redis and RabbitMQ run as the invoking user (root here); PostgreSQL as
# `postgres` when invoked as root. Auth: Postgres trusts 127.0.0.1/32 (and its
# private unix socket); RabbitMQ's guest user may only log in from loopback.

set -euo pipefail
umask 077

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(dirname -- "$SCRIPT_DIR")
SERVICES_DIR="$REPO_DIR/.services"

BIND_ADDR=127.0.0.1
REDIS_PORT=${FLASHSALE_REDIS_PORT:-6380}
PG_PORT=${FLASHSALE_PG_PORT:-5433}
RABBIT_PORT=${FLASHSALE_RABBIT_PORT:-5673}
RABBIT_DIST_PORT=${FLASHSALE_RABBIT_DIST_PORT:-25673}
EPMD_PORT=${FLASHSALE_EPMD_PORT:-4370}
START_TIMEOUT=${FLASHSALE_START_TIMEOUT:-60}
STOP_TIMEOUT=60

PG_DB=flashsale
PG_SUPERUSER=postgres
PG_VERSION_WANTED=15
RABBIT_NODE=flashsale@localhost
RABBIT_SBIN=/usr/lib/rabbitmq/bin

REDIS_DIR="$SERVICES_DIR/redis"
REDIS_CONF="$REDIS_DIR/redis.conf"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

RABBIT_DIR="$SERVICES_DIR/rabbitmq"
RABBIT_PIDFILE="$RABBIT_DIR/rabbitmq.pid"
RABBIT_LOG_DIR="$RABBIT_DIR/log"
RABBIT_STARTUP_LOG="$RABBIT_LOG_DIR/startup.log"

# Filled in by pg_locate.
PG_BIN=""
PG_BASE=""
PG_DATA=""
PG_RUN=""
PG_LOG=""
PG_AS_POSTGRES=0

# ---------------------------------------------------------------------------
# helpers

log() { printf '[services] %s\n' "$*" >&2; }

die() {
    log "ERROR: $*"
    exit 1
}

# die_with_log MESSAGE LOGFILE...: fail, showing the tail of the given logs.
die_with_log() {
    local msg=$1 f
    shift
    log "ERROR: $msg"
    for f in "$@"; do
        if [[ -s $f ]]; then
            printf -- '----- last lines of %s -----\n' "$f" >&2
            tail -n 40 -- "$f" >&2 || true
            printf -- '-----\n' >&2
        fi
    done
    exit 1
}

# Runs a command that may leave a daemon behind, without handing it our
# stdout (fd 3, possibly a $(...) pipe) or the lock (fd 9): a daemon keeping
# them open would make `$(scripts/services.sh start)` hang forever.
spawn() { "$@" 3>&- 9>&- </dev/null; }

# proc_state PID: the one-letter state from /proc/PID/stat (R, S, Z, ...).
proc_state() {
    local stat=""
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s\n' "${stat%% *}"
}

# pid_alive PID: the process exists and is not a zombie (a killed daemon
# whose parent, init, has not reaped it yet must not count as running).
pid_alive() {
    [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null && [[ $(proc_state "$1") != Z ]]
}

# pid_exists PID: like pid_alive, but zombies count too.
pid_exists() { [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null; }

read_pidfile() {
    local pid=""
    if [[ -r $1 ]]; then read -r pid <"$1" 2>/dev/null || true; fi
    [[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
    return 0
}

# proc_cmdline PID: the process's command line, NULs turned into spaces.
proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# kill_wait PID NAME: SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL.
kill_wait() {
    local pid=$1 name=$2 deadline=$((SECONDS + STOP_TIMEOUT))
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # in case it was stopped (SIGSTOP)
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            log "$name (pid $pid) did not exit after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            return 0
        fi
        sleep 0.2
    done
}

# wait_pid_gone PID SECONDS: 0 once PID has exited, 1 on timeout.
wait_pid_gone() {
    local pid=$1 deadline=$((SECONDS + $2))
    while pid_alive "$pid"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# tcp_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
tcp_open() {
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash
    timeout 2 bash -c 'exec 5<>"/dev/tcp/$1/$2"' _ "$BIND_ADDR" "$1" 2>/dev/null
}

# port_users PORT: `ss` lines of the listening sockets on PORT (any address).
port_users() {
    if command -v ss >/dev/null 2>&1; then
        ss -Hltnp "( sport = :$1 )" 2>/dev/null || true
    fi
}

# require_port_free PORT WHAT: fail clearly if something already listens.
require_port_free() {
    local port=$1 what=$2 users
    users=$(port_users "$port")
    if [[ -n $users ]] || tcp_open "$port"; then
        die "cannot start $what: port $port is already in use:
${users:-  (something accepts connections on $BIND_ADDR:$port)}"
    fi
}

validate_settings() {
    local p
    for p in REDIS_PORT PG_PORT RABBIT_PORT RABBIT_DIST_PORT EPMD_PORT START_TIMEOUT; do
        if ! [[ ${!p} =~ ^[1-9][0-9]{0,4}$ ]] || ((${!p} > 65535)); then
            die "$p must be a number in 1..65535 (got '${!p}')"
        fi
    done
    # Paths are written into config files and command lines with quotes.
    case $REPO_DIR in
        *[\'\"\\$'\n']*) die "repository path must not contain quotes, backslashes or newlines: $REPO_DIR" ;;
    esac
}

# ---------------------------------------------------------------------------
# packages

find_pg_bin() {
    local d
    if [[ -n ${FLASHSALE_PG_BIN:-} ]]; then
        printf '%s\n' "$FLASHSALE_PG_BIN"
        return 0
    fi
    if [[ -x /usr/lib/postgresql/$PG_VERSION_WANTED/bin/pg_ctl ]]; then
        printf '%s\n' "/usr/lib/postgresql/$PG_VERSION_WANTED/bin"
        return 0
    fi
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d && -x $d/pg_ctl ]] && printf '%s\n' "$d"
    return 0
}

pg_user_needed() { ((EUID == 0)); }

# Installs redis-server, rabbitmq-server and postgresql with apt-get if any
# of them is missing. apt-get update only runs when an install is needed.
ensure_packages() {
    local pkgs=() pg_bin
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        pkgs+=(redis-server)
    fi
    [[ -x $RABBIT_SBIN/rabbitmq-server && -x $RABBIT_SBIN/rabbitmqctl ]] ||
        pkgs+=(rabbitmq-server)
    pg_bin=$(find_pg_bin)
    if [[ -z $pg_bin ]] || { pg_user_needed && ! id -u postgres >/dev/null 2>&1; }; then
        pkgs+=(postgresql)
    fi
    command -v ss >/dev/null 2>&1 || pkgs+=(iproute2)
    ((${#pkgs[@]} == 0)) && return 0

    ((EUID == 0)) || die "missing packages (${pkgs[*]}); run as root or install them with apt-get"
    log "installing missing packages: ${pkgs[*]}"
    log "(apt may fail to start the system services, e.g. 'policy-rc.d denied'; that is fine, they are never used)"
    export DEBIAN_FRONTEND=noninteractive
    spawn apt-get update -q || die "apt-get update failed"
    if ! spawn apt-get install -y -q --no-install-recommends "${pkgs[@]}"; then
        log "apt-get install reported an error; checking whether the programs are usable anyway"
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        die "redis-server/redis-cli still missing after apt-get install"
    fi
    [[ -x $RABBIT_SBIN/rabbitmq-server ]] || die "rabbitmq-server still missing after apt-get install"
    [[ -n $(find_pg_bin) ]] || die "PostgreSQL binaries still missing after apt-get install"
    if pg_user_needed; then
        id -u postgres >/dev/null 2>&1 || die "OS user 'postgres' still missing after apt-get install"
    fi
}

# ---------------------------------------------------------------------------
# Redis

redis_cli() { timeout 10 redis-cli -h "$BIND_ADDR" -p "$REDIS_PORT" "$@" 2>/dev/null; }

redis_ping() { [[ $(redis_cli ping || true) == PONG ]]; }

# Prints the pid of our redis-server if its pid file names a live redis.
redis_pid() {
    local pid
    pid=$(read_pidfile "$REDIS_PIDFILE")
    if [[ -n $pid ]] && pid_alive "$pid" && [[ $(proc_cmdline "$pid") == *redis-server* ]]; then
        printf '%s\n' "$pid"
    fi
    return 0
}

redis_write_conf() {
    mkdir -p -- "$REDIS_DIR/data"
    cat >"$REDIS_CONF" <<EOF
# Generated by scripts/services.sh - edits are overwritten on start.
bind $BIND_ADDR
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$REDIS_PIDFILE"
logfile "$REDIS_LOG"
dir "$REDIS_DIR/data"
# Durability: every write is fsync'ed to the AOF before it is acknowledged,
# so an accepted purchase is never lost. No RDB snapshots.
appendonly yes
appendfsync always
save ""
# Never silently drop keys (stock counters, reservations) under memory pressure.
maxmemory-policy noeviction
EOF
}

redis_wait_ready() {
    local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
    until redis_ping; do
        if [[ -n $pid ]] && ! pid_alive "$pid"; then
            die_with_log "redis-server exited during startup" "$REDIS_LOG"
        fi
        ((SECONDS < deadline)) ||
            die_with_log "redis did not answer PING on $BIND_ADDR:$REDIS_PORT within ${START_TIMEOUT}s" "$REDIS_LOG"
        sleep 0.2
    done
}

redis_start() {
    local pid deadline
    pid=$(redis_pid)
    if [[ -n $pid ]]; then
        log "redis: already running (pid $pid)"
        redis_wait_ready "$pid"
        return 0
    fi
    rm -f -- "$REDIS_PIDFILE"
    require_port_free "$REDIS_PORT" redis
    redis_write_conf
    log "redis: starting on $BIND_ADDR:$REDIS_PORT"
    spawn redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1 ||
        die_with_log "redis-server failed to start" "$REDIS_LOG"
    deadline=$((SECONDS + START_TIMEOUT))
    pid=$(redis_pid)
    while [[ -z $pid ]]; do
        ((SECONDS < deadline)) || die_with_log "redis-server wrote no pid file" "$REDIS_LOG"
        sleep 0.1
        pid=$(redis_pid)
    done
    redis_wait_ready "$pid"
    log "redis: ready (pid $pid)"
}

redis_stop() {
    local pid
    pid=$(redis_pid)
    if [[ -z $pid ]]; then
        log "redis: not running"
        rm -f -- "$REDIS_PIDFILE"
        return 0
    fi
    log "redis: stopping (pid $pid)"
    # SHUTDOWN fsyncs the AOF; SIGTERM does the same if the command fails.
    if redis_cli shutdown >/dev/null || ! pid_alive "$pid"; then
        wait_pid_gone "$pid" "$STOP_TIMEOUT" || kill_wait "$pid" redis
    else
        kill_wait "$pid" redis
    fi
    rm -f -- "$REDIS_PIDFILE"
    log "redis: stopped"
}

redis_status() {
    local pid
    pid=$(redis_pid)
    if [[ -n $pid ]] && redis_ping; then
        printf 'redis     running  pid %-7s %s:%s\n' "$pid" "$BIND_ADDR" "$REDIS_PORT" >&3
        return 0
    elif [[ -n $pid ]]; then
        printf 'redis     NOT READY pid %-6s %s:%s does not answer PING\n' "$pid" "$BIND_ADDR" "$REDIS_PORT" >&3
    else
        printf 'redis     stopped\n' >&3
    fi
    return 1
}

# ---------------------------------------------------------------------------
# PostgreSQL

# pg_dir_usable DIR: the server user can reach DIR (and the socket path fits).
pg_dir_usable() {
    local dir=$1 sock="$1/pg/run/.s.PGSQL.$PG_PORT"
    ((${#sock} < 100)) || return 1
    pg_user_needed || return 0
    runuser -u postgres -- test -x "$dir" 2>/dev/null
}

# Decides where the PostgreSQL files live (see header) and sets PG_* vars.
pg_locate() {
    local fallback hash
    PG_BIN=$(find_pg_bin)
    if pg_user_needed; then PG_AS_POSTGRES=1; else PG_AS_POSTGRES=0; fi
    hash=$(printf '%s' "$REPO_DIR" | sha256sum | cut -c1-12)
    fallback="/var/tmp/flashsale-services-$hash/pg"
    if [[ -L $SERVICES_DIR/pg ]]; then
        # Fallback chosen earlier; use the real path (postgres cannot follow
        # a symlink inside a directory it cannot traverse).
        PG_BASE=$(readlink -- "$SERVICES_DIR/pg")
    elif [[ -e $SERVICES_DIR/pg ]]; then
        PG_BASE="$SERVICES_DIR/pg"
    elif [[ -d $SERVICES_DIR ]] && pg_dir_usable "$SERVICES_DIR"; then
        PG_BASE="$SERVICES_DIR/pg"
    elif [[ ! -d $SERVICES_DIR ]] && pg_dir_usable "$REPO_DIR"; then
        PG_BASE="$SERVICES_DIR/pg"
    else
        PG_BASE=$fallback
    fi
    PG_DATA="$PG_BASE/data"
    PG_RUN="$PG_BASE/run"
    PG_LOG="$PG_BASE/postgresql.log"
}

# pg_run CMD...: run as the postgres OS user when we are root.
pg_run() {
    if ((PG_AS_POSTGRES)); then
        (cd -- "$PG_BASE" 2>/dev/null || cd /; spawn runuser -u postgres -- "$@")
    else
        spawn "$@"
    fi
}

# Creates PG_BASE (or the /var/tmp fallback plus the .services/pg symlink).
pg_prepare_dirs() {
    local owner
    if [[ $PG_BASE != "$SERVICES_DIR/pg" ]]; then
        log "postgres: $SERVICES_DIR is not reachable by the postgres user; using $PG_BASE"
        mkdir -p -- "$(dirname -- "$PG_BASE")"
        chmod 755 -- "$(dirname -- "$PG_BASE")"
        [[ -L $SERVICES_DIR/pg ]] || ln -sfn -- "$PG_BASE" "$SERVICES_DIR/pg"
    fi
    mkdir -p -- "$PG_BASE"
    if ((PG_AS_POSTGRES)); then
        owner=$(stat -c %U -- "$PG_BASE")
        [[ $owner == postgres ]] || chown postgres: -- "$PG_BASE"
    fi
    chmod 700 -- "$PG_BASE"
    pg_run mkdir -p -- "$PG_RUN"
    pg_run touch -- "$PG_LOG"
}

pg_pid() { read_pidfile "$PG_DATA/postmaster.pid"; }

pg_is_running() {
    local pid
    [[ -n $PG_BIN ]] || return 1
    pid=$(pg_pid)
    [[ -n $pid ]] && pid_alive "$pid" || return 1
    pg_run "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# A postmaster killed hard stays a zombie until init reaps it; until then the
# new postmaster would refuse to start ("lock file already exists").
pg_wait_reaped() {
    local pid deadline=$((SECONDS + START_TIMEOUT))
    pid=$(pg_pid)
    [[ -n $pid ]] && pid_exists "$pid" && ! pid_alive "$pid" || return 0
    log "postgres: waiting for the dead postmaster (pid $pid) to be reaped"
    while pid_exists "$pid"; do
        ((SECONDS < deadline)) || die "postgres: old postmaster pid $pid is still a zombie; cannot start"
        sleep 0.5
    done
}

pg_ready() {
    "$PG_BIN/pg_isready" -q -h "$BIND_ADDR" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -t 2 >/dev/null 2>&1
}

pg_psql() {
    PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BIND_ADDR" -p "$PG_PORT" \
        -U "$PG_SUPERUSER" "$@"
}

pg_initdb() {
    local locale_opt=(--no-locale) bin_major data_major
    bin_major=$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
    if [[ -f $PG_DATA/PG_VERSION ]]; then
        read -r data_major <"$PG_DATA/PG_VERSION"
        [[ $data_major == "$bin_major" ]] ||
            die "postgres: $PG_DATA was created by PostgreSQL $data_major but the binaries in $PG_BIN are $bin_major; remove that directory to start afresh"
        return 0
    fi
    if [[ -d $PG_DATA ]] && [[ -n $(ls -A -- "$PG_DATA") ]]; then
        die "postgres: $PG_DATA exists but is not an initialised data directory; remove it to start afresh"
    fi
    if grep -qiE '^c\.utf-?8$' <<<"$(locale -a 2>/dev/null)"; then
        locale_opt=(--locale=C.UTF-8)
    fi
    log "postgres: initdb $PG_DATA (PostgreSQL $bin_major, UTF8)"
    pg_run "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" -E UTF8 "${locale_opt[@]}" \
        --auth-local=trust --auth-host=trust >"$PG_BASE/initdb.log" 2>&1 ||
        die_with_log "initdb failed" "$PG_BASE/initdb.log"
    # Trust only the private unix socket (dir is 0700) and 127.0.0.1; the
    # server listens on 127.0.0.1 only.
    cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Generated by scripts/services.sh. The server listens on 127.0.0.1 only.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
    if ((PG_AS_POSTGRES)); then chown postgres: -- "$PG_DATA/pg_hba.conf"; fi
    chmod 600 -- "$PG_DATA/pg_hba.conf"
}

pg_ensure_db() {
    local exists
    exists=$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" 2>&1) ||
        die_with_log "postgres: cannot query pg_database: $exists" "$PG_LOG"
    if [[ $exists != 1 ]]; then
        log "postgres: creating database $PG_DB"
        pg_psql -d postgres -c "CREATE DATABASE $PG_DB OWNER $PG_SUPERUSER ENCODING 'UTF8'" >&2 ||
            die_with_log "postgres: CREATE DATABASE $PG_DB failed" "$PG_LOG"
    fi
}

pg_wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until pg_ready; do
        ((SECONDS < deadline)) ||
            die_with_log "postgres does not accept connections on $BIND_ADDR:$PG_PORT within ${START_TIMEOUT}s" "$PG_LOG"
        sleep 0.2
    done
}

pg_start() {
    local opts
    if pg_is_running; then
        log "postgres: already running (pid $(pg_pid))"
        pg_wait_ready
        pg_ensure_db
        return 0
    fi
    pg_prepare_dirs
    pg_initdb
    pg_wait_reaped
    require_port_free "$PG_PORT" postgres
    opts="-c listen_addresses=$BIND_ADDR -c port=$PG_PORT"
    opts+=" -c unix_socket_directories='$PG_RUN'"
    opts+=" -c max_connections=200 -c fsync=on -c synchronous_commit=on"
    log "postgres: starting on $BIND_ADDR:$PG_PORT"
    pg_run "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -o "$opts" >&2 ||
        die_with_log "pg_ctl start failed" "$PG_LOG"
    pg_wait_ready
    pg_ensure_db
    log "postgres: ready (pid $(pg_pid))"
}

pg_stop() {
    if ! pg_is_running; then
        log "postgres: not running"
        return 0
    fi
    log "postgres: stopping (pid $(pg_pid))"
    pg_run "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" >&2 ||
        die_with_log "pg_ctl stop failed" "$PG_LOG"
    log "postgres: stopped"
}

pg_status() {
    if pg_is_running && pg_ready; then
        printf 'postgres  running  pid %-7s %s:%s (data %s)\n' "$(pg_pid)" "$BIND_ADDR" "$PG_PORT" "$PG_DATA" >&3
        return 0
    elif pg_is_running; then
        printf 'postgres  NOT READY pid %-6s %s:%s does not accept connections\n' "$(pg_pid)" "$BIND_ADDR" "$PG_PORT" >&3
    else
        printf 'postgres  stopped\n' >&3
    fi
    return 1
}

# ---------------------------------------------------------------------------
# RabbitMQ

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
        cd -- "$RABBIT_DIR"
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

# epmd_names: output of `epmd -names` for our epmd; fails if none runs.
epmd_names() {
    local e
    e=$(epmd_bin)
    [[ -n $e ]] || return 1
    ERL_EPMD_PORT=$EPMD_PORT spawn "$e" -port "$EPMD_PORT" -names 2>/dev/null
}

epmd_kill() {
    local e
    e=$(epmd_bin)
    [[ -n $e ]] || return 0
    ERL_EPMD_PORT=$EPMD_PORT spawn "$e" -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
}

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
                "$RABBIT_STARTUP_LOG" "$RABBIT_LOG_DIR/$RABBIT_NODE.log"
        if rabbitmqctl_ -q await_startup --timeout "$left" >/dev/null 2>&1; then
            break
        fi
        pid_alive "$pid" ||
            die_with_log "rabbitmq node exited during startup" \
                "$RABBIT_STARTUP_LOG" "$RABBIT_LOG_DIR/$RABBIT_NODE.log"
        sleep 1
    done
    until tcp_open "$RABBIT_PORT"; do
        ((SECONDS < deadline)) ||
            die_with_log "rabbitmq does not accept AMQP connections on $BIND_ADDR:$RABBIT_PORT" \
                "$RABBIT_LOG_DIR/$RABBIT_NODE.log"
        sleep 0.2
    done
}

rabbit_start() {
    local pid deadline
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
    deadline=$((SECONDS + START_TIMEOUT))
    until pid=$(read_pidfile "$RABBIT_PIDFILE") && [[ -n $pid ]] && pid_alive "$pid"; do
        ((SECONDS < deadline)) ||
            die_with_log "rabbitmq node did not come up (no live pid in $RABBIT_PIDFILE)" \
                "$RABBIT_STARTUP_LOG" "$RABBIT_LOG_DIR/$RABBIT_NODE.log"
        sleep 0.2
    done
    rabbit_wait_ready "$pid"
    log "rabbitmq: ready (pid $pid)"
}

rabbit_stop() {
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

rabbit_status() {
    local pid
    pid=$(rabbit_pid)
    if [[ -n $pid ]] && tcp_open "$RABBIT_PORT"; then
        printf 'rabbitmq  running  pid %-7s %s:%s (node %s)\n' "$pid" "$BIND_ADDR" "$RABBIT_PORT" "$RABBIT_NODE" >&3
        return 0
    elif [[ -n $pid ]]; then
        printf 'rabbitmq  NOT READY pid %-6s %s:%s is not accepting AMQP connections\n' "$pid" "$BIND_ADDR" "$RABBIT_PORT" >&3
    else
        printf 'rabbitmq  stopped\n' >&3
    fi
    return 1
}

epmd_status() {
    if epmd_names >/dev/null; then
        printf 'epmd      running  %s:%s\n' "$BIND_ADDR" "$EPMD_PORT" >&3
    fi
    return 0
}

# ---------------------------------------------------------------------------
# commands

print_env() {
    local style=$1 redis rabbit pg
    redis="$BIND_ADDR:$REDIS_PORT"
    rabbit="amqp://guest:guest@$BIND_ADDR:$RABBIT_PORT/"
    pg="Host=$BIND_ADDR;Port=$PG_PORT;Database=$PG_DB;Username=$PG_SUPERUSER"
    if [[ $style == export ]]; then
        printf "export ConnectionStrings__Redis='%s'\n" "$redis" >&3
        printf "export ConnectionStrings__RabbitMq='%s'\n" "$rabbit" >&3
        printf "export ConnectionStrings__Postgres='%s'\n" "$pg" >&3
    else
        printf 'ConnectionStrings__Redis=%s\n' "$redis" >&3
        printf 'ConnectionStrings__RabbitMq=%s\n' "$rabbit" >&3
        printf 'ConnectionStrings__Postgres=%s\n' "$pg" >&3
    fi
}

# Serialises start/stop so concurrent invocations cannot race (fd 9).
take_lock() {
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 300 9 || die "another scripts/services.sh is still running (lock $SERVICES_DIR/.lock)"
}

cmd_start() {
    local t0=$SECONDS
    mkdir -p -- "$SERVICES_DIR"
    chmod 755 -- "$SERVICES_DIR" # postgres must be able to traverse it
    take_lock
    ensure_packages
    pg_locate
    redis_start
    pg_start
    rabbit_start
    log "all services ready ($((SECONDS - t0))s)"
    print_env plain
}

cmd_stop() {
    if [[ ! -d $SERVICES_DIR ]]; then
        log "nothing to stop ($SERVICES_DIR does not exist)"
        return 0
    fi
    take_lock
    pg_locate
    rabbit_stop
    redis_stop
    pg_stop
}

cmd_status() {
    local rc=0
    pg_locate
    redis_status || rc=3
    pg_status || rc=3
    rabbit_status || rc=3
    epmd_status
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
