# shellcheck shell=bash
#
# scripts/services/common.sh - what scripts/services.sh and every service file
# share: settings, logging and failing, processes and pid files, ports,
# waiting, status lines, the lock and the apt-get installation.
# Sourced by scripts/services.sh after it has set REPO_DIR and SERVICES_DIR.

BIND_ADDR=127.0.0.1
# shellcheck disable=SC2034 # each service bounds its waits with it
START_TIMEOUT=${FLASHSALE_START_TIMEOUT:-60}
STOP_TIMEOUT=60

# Names of the numeric settings validate_settings checks; each service file
# adds its ports.
NUMERIC_SETTINGS=()

# ---------------------------------------------------------------------------
# logging and failing

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

validate_settings() {
    local p
    for p in "${NUMERIC_SETTINGS[@]}" START_TIMEOUT; do
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
# processes

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

# pid_gone PID: the process has exited (it may still be an unreaped zombie).
pid_gone() { ! pid_alive "$1"; }

read_pidfile() {
    local pid=""
    if [[ -r $1 ]]; then read -r pid <"$1" 2>/dev/null || true; fi
    [[ $pid =~ ^[0-9]+$ ]] && printf '%s\n' "$pid"
    return 0
}

# proc_cmdline PID: the process's command line, NULs turned into spaces.
proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# wait_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds (0) or
# SECONDS have passed (1). CMD always runs at least once.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# wait_pid_gone PID SECONDS: 0 once PID has exited, 1 on timeout.
wait_pid_gone() { wait_until "$2" pid_gone "$1"; }

# kill_wait PID NAME: SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL.
kill_wait() {
    local pid=$1 name=$2
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # in case it was stopped (SIGSTOP)
    if ! wait_pid_gone "$pid" "$STOP_TIMEOUT"; then
        log "$name (pid $pid) did not exit after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
}

# ---------------------------------------------------------------------------
# ports and status lines

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

# report_status NAME PORT PID DETAIL PROBLEM PROBE...: prints NAME's status
# line on fd 3 (the real stdout) and returns 0 if it runs (PID is set) and
# PROBE succeeds: "running" with DETAIL after the address, "NOT READY" with
# PROBLEM if PID is set but PROBE fails, else "stopped" (returns 1 for both).
report_status() {
    local name=$1 port=$2 pid=$3 detail=$4 problem=$5
    shift 5
    if [[ -n $pid ]] && "$@"; then
        printf '%-9s running  pid %-7s %s:%s%s\n' "$name" "$pid" "$BIND_ADDR" "$port" "${detail:+ $detail}" >&3
        return 0
    elif [[ -n $pid ]]; then
        printf '%-9s NOT READY pid %-6s %s:%s %s\n' "$name" "$pid" "$BIND_ADDR" "$port" "$problem" >&3
    else
        printf '%-9s stopped\n' "$name" >&3
    fi
    return 1
}

# ---------------------------------------------------------------------------
# lock and packages

# Serialises start/stop so concurrent invocations cannot race (fd 9).
take_lock() {
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 300 9 || die "another scripts/services.sh is still running (lock $SERVICES_DIR/.lock)"
}

# ensure_packages SERVICE=PACKAGE...: installs with apt-get the PACKAGE of
# every SERVICE whose SERVICE_missing function names something missing (and
# iproute2 for `ss`). apt-get update only runs when an install is needed.
ensure_packages() {
    local spec pkgs=() missing
    for spec; do
        [[ -z $("${spec%%=*}_missing") ]] || pkgs+=("${spec#*=}")
    done
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
    for spec; do
        missing=$("${spec%%=*}_missing")
        [[ -z $missing ]] || die "${missing//$'\n'/, } still missing after apt-get install"
    done
}
