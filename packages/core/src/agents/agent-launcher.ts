import tarStream from 'tar-stream';

/** Where the launcher and the agent's argv live in the container: root-owned, read-only to the agent. */
export const LAUNCHER_DIR = '/berth/agent';
export const LAUNCHER = `${LAUNCHER_DIR}/launcher.sh`;
/** API keys, one file each, exported into the agent's environment only (never the container's Env). */
export const SECRETS_MOUNT = '/run/berth/secrets';
/** A credential directory in `link` mode: mounted here, its entries symlinked into the profile's `to`. */
export const CREDENTIALS_MOUNT = '/run/berth/credentials';
export const TMUX_SESSION = 'agent';
/** Where the agent's status line goes (a host directory of the session's: agent-status.ts). */
export const STATUS_DIR = '/run/berth/status';
/** A session's writable copies of the logins its CLI refreshes (credential-refresh.ts). */
export const REFRESH_DIR = '/run/berth/refresh';
export const TMUX_TMPDIR = '/tmp';
/** Exit codes of `launcher.sh ready`. */
export const READY_NO_TMUX = 3;
export const READY_TIMEOUT = 4;

/**
 * The agent session's launcher (POSIX sh, so it also runs on busybox). Modes:
 *   boot        the container's command: starts a tmux server with session `agent` running `run`,
 *               then stays up; on SIGTERM it ends tmux so the agent hears a hangup.
 *   run         inside tmux: exports the API keys, then runs the first argv, or the resume argv
 *               once the agent has started before (a marker in the persistent HOME says so), and
 *               says `starting` before and `exited CODE` after it.
 *   ready       waits until the tmux session exists (exit 3: no tmux in the image; 4: timed out).
 *   status S [CODE|--if-starting]  writes the agent's status line (S one of starting, working,
 *               needs-input, idle, exited) for the daemon: what the seeded hooks run.
 *   notify JSON Codex's notify program: a finished turn is `idle`, an approval request `needs-input`.
 *   send        pastes stdin into the agent's terminal as one bracketed paste, then presses Enter.
 *   attach ID   records its tty under ID, then attaches to the agent's tmux session.
 *   detach ID   detaches the client that `attach ID` made (closing a WebSocket leaves no client).
 * Each argv word is its own file (argv/0, argv/1, ...), read back with `$(cat; printf x)` so
 * no word is ever parsed by a shell: the prompt is untrusted text.
 */
export const LAUNCHER_SCRIPT = `#!/bin/sh
A=${LAUNCHER_DIR}
export TMUX_TMPDIR=${TMUX_TMPDIR}
export TERM="\${TERM:-xterm-256color}"
mode="\${1:-boot}"
case "$mode" in
boot)
  if ! command -v tmux >/dev/null 2>&1; then
    echo "berth: this image has no tmux; agent sessions need it" >&2
    exec sleep 2147483647
  fi
  rm -rf "$TMUX_TMPDIR/tmux-$(id -u)"
  tmux -u -f "$A/tmux.conf" new-session -d -s ${TMUX_SESSION} -x 160 -y 48 -c /workspace sh "$A/launcher.sh" run
  # The agent's screen also goes to the container's log (berth logs).
  tmux pipe-pane -t ${TMUX_SESSION} "cat >> /proc/$$/fd/1" 2>/dev/null
  # A profile without signals of its own: its terminal's activity, labelled a guess.
  if [ -f "$A/status-guess" ]; then
    (
      while sleep 2; do
        [ "$(tmux display-message -p -t ${TMUX_SESSION} '#{pane_dead}' 2>/dev/null)" = 0 ] || continue
        cur=$(cat ${STATUS_DIR}/state 2>/dev/null)
        case "$cur" in exited*) continue ;; esac
        a=$(tmux display-message -p -t ${TMUX_SESSION} '#{window_activity}' 2>/dev/null) || continue
        case "$a" in ''|*[!0-9]*) continue ;; esac
        if [ $(($(date +%s) - a)) -le 3 ]; then s=working; else s=idle; fi
        # Against the line itself, not a memory of it: berth writes there too (a prompt it sent).
        case "$cur" in "$s "*) ;; *) sh "$A/launcher.sh" status "$s" ;; esac
      done
    ) &
  fi
  trap 'tmux kill-server 2>/dev/null; exit 0' TERM INT HUP
  while :; do sleep 2147483647 & wait $!; done
  ;;
run)
  sh "$A/launcher.sh" status starting
  # Keys the agent reads from their files instead (Claude Code's apiKeyHelper): not exported.
  withheld=" $(cat "$A/withheld" 2>/dev/null) "
  if [ -d ${SECRETS_MOUNT} ]; then
    for f in ${SECRETS_MOUNT}/*; do
      [ -f "$f" ] || continue
      n=\${f##*/}
      case "$n" in ''|[0-9]*|*[!A-Za-z0-9_]*) continue ;; esac
      case "$withheld" in *" $n "*) continue ;; esac
      v=$(cat "$f"; printf x)
      export "$n=\${v%x}"
    done
  fi
  export BERTH_PROMPT_FILE="$A/prompt"
  if [ -f "$A/credentials-target" ] && [ -d ${CREDENTIALS_MOUNT} ]; then
    t=$(cat "$A/credentials-target")
    mkdir -p "$t"
    for f in ${CREDENTIALS_MOUNT}/* ${CREDENTIALS_MOUNT}/.[!.]* ${CREDENTIALS_MOUNT}/..?*; do
      [ -e "$f" ] || continue
      n=\${f##*/}
      rm -rf "$t/$n"
      # A login the CLI refreshes: its writable copy, which berth keeps for the next session.
      if [ -f "${REFRESH_DIR}/$n" ]; then ln -s "${REFRESH_DIR}/$n" "$t/$n"; else ln -s "$f" "$t/$n"; fi
    done
  fi
  marker="$HOME/.berth/agent-started"
  dir="$A/argv"
  if [ -f "$marker" ]; then dir="$A/resume"; fi
  mkdir -p "$HOME/.berth" && : > "$marker"
  set --
  i=0
  while [ -f "$dir/$i" ]; do
    w=$(cat "$dir/$i"; printf x)
    set -- "$@" "\${w%x}"
    i=$((i + 1))
  done
  cd /workspace 2>/dev/null
  # A CLI that says nothing as it takes the prompt it started with: working. Without one, idle
  # (\`always\`: it has no start signal of its own either).
  if [ -f "$A/signal-on-start" ]; then
    if [ "$dir" = "$A/argv" ] && [ -s "$A/prompt" ]; then
      sh "$A/launcher.sh" status working
    elif [ "$(cat "$A/signal-on-start")" = always ]; then
      sh "$A/launcher.sh" status idle
    fi
  fi
  # Not exec: the exit code is the agent's last signal. A trap (not an ignore) leaves the
  # agent's own Ctrl-C handling as it is, and keeps this shell waiting for it.
  trap : INT QUIT
  "$@"
  rc=$?
  sh "$A/launcher.sh" status exited "$rc"
  exit "$rc"
  ;;
status)
  case "$2" in starting|working|needs-input|idle|exited) ;; *) exit 2 ;; esac
  d=${STATUS_DIR}
  [ -d "$d" ] && [ -w "$d" ] || exit 0
  # \`status S --if-starting\`: only a first signal (a start hook that may run after the first prompt's).
  if [ "\${3:-}" = --if-starting ]; then
    case "$(cat "$d/state" 2>/dev/null)" in starting*) ;; *) exit 0 ;; esac
    set -- "$1" "$2"
  fi
  code="\${3:--}"
  case "$code" in -|[0-9]|[0-9][0-9]|[0-9][0-9][0-9]) ;; *) code=- ;; esac
  printf '%s %s %s.%s\n' "$2" "$code" "$$" "$(date +%s)" > "$d/.state.$$" && mv -f "$d/.state.$$" "$d/state"
  exit 0
  ;;
notify)
  j=
  for a in "$@"; do j=$a; done
  case "$j" in
  *'"type":"agent-turn-complete"'*) exec sh "$A/launcher.sh" status idle ;;
  *'"type":"approval-requested"'*) exec sh "$A/launcher.sh" status needs-input ;;
  esac
  exit 0
  ;;
send)
  # A TUI that has just started may drop what arrives before it draws: from its start, wait for
  # 3 s, something drawn, and then a second of quiet (its first screen done, however loaded the
  # machine), 20 s at most. Long after its start, no wait at all.
  c=$(tmux display-message -p -t ${TMUX_SESSION} '#{session_created}' 2>/dev/null)
  case "$c" in ''|*[!0-9]*) c=0 ;; esac
  while :; do
    now=$(date +%s)
    [ $((now - c)) -ge 20 ] && break
    a=$(tmux display-message -p -t ${TMUX_SESSION} '#{window_activity}' 2>/dev/null)
    case "$a" in ''|*[!0-9]*) a=0 ;; esac
    [ $((now - c)) -ge 3 ] && [ "$a" -gt "$c" ] && [ $((now - a)) -ge 1 ] && break
    sleep 0.5 2>/dev/null || sleep 1
  done
  tmux load-buffer -b berth-send - || exit 5
  # Working from the moment it goes in: written here, in order with what the agent writes after
  # (a prompt that ends the agent at once leaves it exited, not working).
  sh "$A/launcher.sh" status working
  tmux paste-buffer -p -d -b berth-send -t ${TMUX_SESSION} || exit 5
  # Apart from the paste: an Enter inside it would be a newline in the agent's input.
  sleep 0.3 2>/dev/null || sleep 1
  tmux send-keys -t ${TMUX_SESSION} Enter
  ;;
ready)
  command -v tmux >/dev/null 2>&1 || exit ${READY_NO_TMUX}
  i=0
  while [ $i -lt 100 ]; do
    tmux has-session -t ${TMUX_SESSION} 2>/dev/null && exit 0
    sleep 0.1 2>/dev/null || sleep 1
    i=$((i + 1))
  done
  exit ${READY_TIMEOUT}
  ;;
attach)
  case "$2" in *[!a-f0-9]*|'') exit 2 ;; esac
  i=0
  while [ $i -lt 50 ] && ! tmux has-session -t ${TMUX_SESSION} 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  tty > "$TMUX_TMPDIR/berth-attach-$2" 2>/dev/null
  exec tmux -u attach-session -t ${TMUX_SESSION}
  ;;
detach)
  case "$2" in *[!a-f0-9]*|'') exit 2 ;; esac
  f="$TMUX_TMPDIR/berth-attach-$2"
  [ -f "$f" ] || exit 0
  t=$(cat "$f")
  rm -f "$f"
  tmux detach-client -t "$t" 2>/dev/null
  exit 0
  ;;
esac
`;

const TMUX_CONF = `# berth: the agent's terminal
set -g remain-on-exit on
set -g history-limit 50000
set -g status-right " berth: C-b d detaches "
set -g window-size latest
`;

/** The launcher, tmux.conf, prompt and both argvs as a tar for the container's `/`, owned by root. */
export async function launcherArchive(opts: {
  first: string[];
  resume: string[];
  prompt: string | null;
  /** Where a `link`-mode credential directory's entries are symlinked; null for none. */
  linkCredentialsTo?: string | null;
  /** Key names the launcher does not export (the agent reads their files). */
  withheldEnv?: string[];
  /** The profile has no signals of its own: the launcher guesses from the terminal's activity. */
  guessStatus?: boolean;
  /**
   * The CLI gives no signal as it takes its first prompt: the launcher says working. `always`:
   * nor any as it starts without one, so the launcher says idle then.
   */
  signalOnStart?: 'prompt' | 'always' | null;
}): Promise<Buffer> {
  const pack = tarStream.pack();
  const root = { uid: 0, gid: 0, mtime: new Date() };
  pack.entry({ ...root, name: 'berth', type: 'directory', mode: 0o755 });
  pack.entry({ ...root, name: LAUNCHER_DIR.slice(1), type: 'directory', mode: 0o755 });
  const file = (name: string, body: string, mode = 0o644) =>
    pack.entry({ ...root, name: `${LAUNCHER_DIR.slice(1)}/${name}`, mode }, body);
  file('launcher.sh', LAUNCHER_SCRIPT, 0o755);
  file('tmux.conf', TMUX_CONF);
  file('prompt', opts.prompt ?? '');
  if (opts.linkCredentialsTo) file('credentials-target', opts.linkCredentialsTo);
  if (opts.withheldEnv?.length) file('withheld', opts.withheldEnv.join(' '));
  if (opts.guessStatus) file('status-guess', '');
  if (opts.signalOnStart) file('signal-on-start', opts.signalOnStart);
  for (const [dir, words] of [
    ['argv', opts.first],
    ['resume', opts.resume],
  ] as const) {
    pack.entry({ ...root, name: `${LAUNCHER_DIR.slice(1)}/${dir}`, type: 'directory', mode: 0o755 });
    words.forEach((w, i) => {
      file(`${dir}/${i}`, w);
    });
  }
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** A tar holding one directory entry: the state volume's root, owned by the session's user. */
export async function ownedDirArchive(name: string, uid: number, gid: number): Promise<Buffer> {
  const pack = tarStream.pack();
  pack.entry({ name, type: 'directory', mode: 0o700, uid, gid, mtime: new Date() });
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
