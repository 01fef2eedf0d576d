# shellcheck shell=bash
#
# scripts/services/postgres.sh - PostgreSQL for scripts/services.sh: one
# cluster on 127.0.0.1:$FLASHSALE_PG_PORT (default 5433) with the database
# `flashsale`, trusting 127.0.0.1/32 and its private unix socket. Files in
# .services/pg/: data/ (PGDATA), run/ (unix socket), postgresql.log.
#
# PostgreSQL must run as the `postgres` OS user (when invoked as root), which
# must be able to reach its data dir. If the repo is not traversable by
# `postgres` (e.g. it lives under /root), or the socket path would be too long
# for a unix socket, the files go to
# /var/tmp/flashsale-services-<hash of repo path>/pg instead (/var/tmp rather
# than /tmp so the database survives a reboot) and .services/pg is a symlink
# to it.
#
# Sourced after common.sh. Interface: postgres_missing, postgres_start,
# postgres_stop, postgres_status, postgres_connection.

PG_PORT=${FLASHSALE_PG_PORT:-5433}
NUMERIC_SETTINGS+=(PG_PORT)

PG_DB=flashsale
PG_SUPERUSER=postgres
PG_VERSION_WANTED=15

# Filled in by pg_locate.
PG_BIN=""
PG_BASE=""
PG_DATA=""
PG_RUN=""
PG_LOG=""
PG_AS_POSTGRES=0

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

# postgres_missing: prints what of PostgreSQL is not installed (nothing if all is).
postgres_missing() {
    [[ -n $(find_pg_bin) ]] || printf 'PostgreSQL binaries\n'
    if pg_user_needed && ! id -u postgres >/dev/null 2>&1; then
        printf "OS user 'postgres'\n"
    fi
}

postgres_connection() {
    printf '%s\n' "Host=$BIND_ADDR;Port=$PG_PORT;Database=$PG_DB;Username=$PG_SUPERUSER"
}

# pg_dir_usable DIR: the server user can reach DIR (and the socket path fits).
pg_dir_usable() {
    local dir=$1 sock="$1/pg/run/.s.PGSQL.$PG_PORT"
    ((${#sock} < 100)) || return 1
    pg_user_needed || return 0
    runuser -u postgres -- test -x "$dir" 2>/dev/null
}

# Decides where the PostgreSQL files live (see the top) and sets PG_* vars.
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
    wait_until "$START_TIMEOUT" pg_ready ||
        die_with_log "postgres does not accept connections on $BIND_ADDR:$PG_PORT within ${START_TIMEOUT}s" "$PG_LOG"
}

postgres_start() {
    local opts
    pg_locate
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

postgres_stop() {
    pg_locate
    if ! pg_is_running; then
        log "postgres: not running"
        return 0
    fi
    log "postgres: stopping (pid $(pg_pid))"
    pg_run "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" >&2 ||
        die_with_log "pg_ctl stop failed" "$PG_LOG"
    log "postgres: stopped"
}

postgres_status() {
    local pid=""
    pg_locate
    if pg_is_running; then pid=$(pg_pid); fi
    report_status postgres "$PG_PORT" "$pid" "(data $PG_DATA)" "does not accept connections" pg_ready
}
