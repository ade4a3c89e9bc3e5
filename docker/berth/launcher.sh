#!/bin/bash
# berth's container launcher (the image's ENTRYPOINT, under tini). Modes:
#   interactive        the daemon in the background, then a shell with `berth` on PATH (default)
#   daemon             the server only, on 0.0.0.0:8080 with auth on
#   cli <args...>      one-shot: the daemon, `berth <args...>`, its exit code, the daemon stopped
#   shell [args...]    a shell, no daemon
#
# berth drives the HOST's engine through the mounted socket, so every path it hands the engine
# (session working copies under $BERTH_HOME, the repository's objects) must mean the same on the
# host: $BERTH_HOME and the repository are mounted at the same path inside as outside.
# README "berth in a container" has the `docker run` lines.
set -euo pipefail

mode="${1:-interactive}"
[ $# -gt 0 ] && shift

die() {
  printf 'berth-launcher: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  -> %s\n' "$2" >&2
  exit "${3:-2}"
}

usage() {
  cat <<'EOF'
usage: berth-launcher interactive | daemon | cli <berth args...> | shell [args...]
  interactive   berth's daemon in the background and a shell with `berth` (the default)
  daemon        the server only, on 0.0.0.0:8080 (BERTH_ADMIN_USERNAME/BERTH_ADMIN_PASSWORD: first admin)
  cli ARGS      one-shot: `berth ARGS` against a daemon started (and stopped) around it
  shell         a shell, no daemon
EOF
}

case "$mode" in
  interactive | daemon | cli | shell) ;;
  -h | --help | help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

socket="${DOCKER_HOST:-unix:///var/run/docker.sock}"
socket="${socket#unix://}"
export BERTH_HOME="${BERTH_HOME:-/var/lib/berth}"

# The first mount point at exactly this path (mountinfo's 5th field), if any.
is_mount_point() {
  awk -v p="$1" '$5 == p { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# --- root: drop to the owner of the state directory, keeping the engine socket's group --------
# As root the launcher can serve any uid: it runs berth as the user who owns $BERTH_HOME (with the
# socket's group), so state and working copies stay theirs. It stays root only when $BERTH_HOME
# is root's own: then berth is what root on the host would be, and it needs root to chown a
# root-owned repository's session copies to the session user (BERTH_SESSION_UID, default 1000).
if [ "$(id -u)" = 0 ] && [ -z "${BERTH_LAUNCHER_DROPPED:-}" ] && [ -d "$BERTH_HOME" ]; then
  owner="$(stat -c %u "$BERTH_HOME")"
  if [ "$owner" != 0 ]; then
    groups="$(stat -c %g "$BERTH_HOME")"
    [ -S "$socket" ] && groups="$groups,$(stat -c %g "$socket")"
    export BERTH_LAUNCHER_DROPPED=1
    exec setpriv --reuid="$owner" --regid="$(stat -c %g "$BERTH_HOME")" --groups="$groups" \
      --inh-caps=-all --bounding-set=-all -- "$0" "$mode" "$@"
  fi
fi

# --- the workspace: /workspace points at the repository's own path ----------------------------
# /workspace is a symlink to /tmp/.berth-workspace, which the launcher points at BERTH_WORKSPACE
# (or at the working directory given with -w, when that is a mount). Both resolve to the host's
# path, so the repository objects berth mounts into sessions are found on the host too.
link=/tmp/.berth-workspace
if [ -d "$link" ] && [ ! -L "$link" ] && is_mount_point "$link"; then
  die 'the workspace is mounted at /workspace, a path the host engine cannot see' \
    'mount it at its own path and name it: -v "$PWD:$PWD" -e BERTH_WORKSPACE="$PWD"'
fi
workspace="${BERTH_WORKSPACE:-}"
if [ -z "$workspace" ] && [ "$PWD" != / ] && is_mount_point "$PWD"; then workspace="$PWD"; fi
if [ -n "$workspace" ]; then
  [ -d "$workspace" ] || die "BERTH_WORKSPACE=$workspace is not a directory in the container" \
    'mount the repository at its own path: -v "$PWD:$PWD" -e BERTH_WORKSPACE="$PWD"'
  ln -sfn "$workspace" "$link"
  cd /workspace
fi
[ -w "${HOME:-/nonexistent}" ] || export HOME=/tmp

# --- what berth needs: the engine socket and a state directory the host sees -------------------
check_engine() {
  [ -S "$socket" ] || die "no Docker Engine socket at $socket" \
    'mount the host engine: -v /var/run/docker.sock:/var/run/docker.sock'
  if [ ! -r "$socket" ] || [ ! -w "$socket" ]; then
    die "user $(id -u) may not use $socket (group $(stat -c %g "$socket"))" \
      "add its group: --group-add \"\$(stat -c %g /var/run/docker.sock)\" (or run with --user 0)"
  fi
}

check_home() {
  if ! is_mount_point "$BERTH_HOME"; then
    die "BERTH_HOME=$BERTH_HOME is not a directory mounted from the host" \
      'mount a host directory at the same path and name it: -v "$HOME/.berth:$HOME/.berth" -e BERTH_HOME="$HOME/.berth"'
  fi
  # berth makes its state private (0700; the socket's mode is its auth), which only the owner
  # may: a directory that is someone else's, however writable, would fail it part-way.
  local owner
  owner="$(stat -c %u "$BERTH_HOME")"
  if [ "$owner" != "$(id -u)" ] && [ "$(id -u)" != 0 ]; then
    die "BERTH_HOME=$BERTH_HOME belongs to uid $owner, but berth runs as uid $(id -u) here and must own its state" \
      "make it yours on the host (sudo chown -R \"\$(id -u):\$(id -g)\" $BERTH_HOME) and run with --user \"\$(id -u):\$(id -g)\"; or run with --user 0: berth then runs as its owner"
  fi
  [ -w "$BERTH_HOME" ] || die "user $(id -u) may not write to BERTH_HOME=$BERTH_HOME" \
    'run as its owner (--user "$(id -u):$(id -g)") or chown it on the host'
}

daemon_pid=''

daemon_answers() {
  berth daemon status 2>/dev/null | grep -q '^running'
}

# The daemon in the background, answered on its socket (or one that already answers for this
# BERTH_HOME, e.g. from another berth container: it is used and left running).
start_daemon() {
  if daemon_answers; then return 0; fi
  berth serve --log-level "${BERTH_LOG_LEVEL:-info}" >>"$BERTH_HOME/daemon.log" 2>&1 &
  daemon_pid=$!
  # By the clock, not by tries: each `berth daemon status` is a Node start of its own.
  local deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if daemon_answers; then return 0; fi
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      tail -n 5 "$BERTH_HOME/daemon.log" >&2 || true
      die 'the berth daemon exited while starting' "read $BERTH_HOME/daemon.log" 1
    fi
    sleep 0.1
  done
  stop_daemon
  die 'the berth daemon did not answer within 30 s' "read $BERTH_HOME/daemon.log" 1
}

stop_daemon() {
  [ -n "$daemon_pid" ] || return 0
  kill -TERM "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=''
}

case "$mode" in
  shell)
    exec bash "$@"
    ;;
  daemon)
    check_engine
    check_home
    export BERTH_HOST="${BERTH_HOST:-0.0.0.0}" BERTH_PORT="${BERTH_PORT:-8080}"
    if [ -z "${BERTH_ADMIN_USERNAME:-}" ] || [ -z "${BERTH_ADMIN_PASSWORD:-}" ]; then
      printf '%s\n' 'berth-launcher: no BERTH_ADMIN_USERNAME/BERTH_ADMIN_PASSWORD: unless an admin exists, make one with' \
        '  docker exec -it <container> berth user add --admin <name>' >&2
    fi
    exec berth serve --log-level "${BERTH_LOG_LEVEL:-info}"
    ;;
  cli)
    [ $# -gt 0 ] || die 'cli needs a berth command, e.g. `cli doctor`'
    # What berth answers by itself needs neither the engine nor the state nor a daemon.
    case "$1" in -V | --version | -h | --help | help) exec berth "$@" ;; esac
    check_engine
    check_home
    trap 'stop_daemon; exit 130' INT
    trap 'stop_daemon; exit 143' TERM
    start_daemon
    code=0
    berth "$@" || code=$?
    stop_daemon
    exit "$code"
    ;;
  interactive)
    check_engine
    check_home
    trap 'stop_daemon' EXIT
    start_daemon
    cat <<EOF
berth $(berth --version 2>/dev/null) is running (state: $BERTH_HOME, log: $BERTH_HOME/daemon.log).
  berth doctor            check the engine and images
  berth new NAME          a session from the repository here (${workspace:-none mounted: -e BERTH_WORKSPACE})
  berth ls                list sessions;  berth shell NAME  a shell in one
Leave this shell to stop the daemon; sessions keep running.
EOF
    code=0
    PS1='berth:\w\$ ' bash --norc -i || code=$?
    exit "$code"
    ;;
esac
