/**
 * Payloads for git-escape.test.ts: everything known to make the host's git run a program
 * (docs/security.md, "Git working copies"), planted from inside a session. Every payload only
 * touches a marker file in a tripwire directory on the host; the container has no such
 * directory, so a marker can only appear if the host's git ran the payload (inside the container
 * the payloads make their own private copy of the directory, which is harmless and never visible
 * on the host).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@berth/testkit';

/** Every hook git knows (githooks(5), git 2.39). */
export const ALL_HOOKS = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'pre-receive',
  'update',
  'proc-receive',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'pre-auto-gc',
  'post-rewrite',
  'sendemail-validate',
  'fsmonitor-watchman',
  'p4-changelist',
  'p4-prepare-changelist',
  'p4-post-changelist',
  'p4-pre-submit',
  'post-index-change',
] as const;

/** Single-quotes a string for sh. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface Tripwire {
  /** Host directory (mode 0777) the payloads touch their markers in. */
  dir: string;
  /** Programs git runs without a shell (gpg.program, core.askPass): they exist on the host only. */
  bin: string;
  /** A shell command that leaves `marker-NAME` in the tripwire directory. */
  payload(name: string): string;
  /** Names of the markers present now. */
  fired(): string[];
}

export function makeTripwire(): Tripwire {
  const dir = tempDir('berth-tripwire-');
  // Plain characters only: the path is embedded in git config values and ext:: URLs unquoted.
  if (!/^[A-Za-z0-9/._-]+$/.test(dir)) throw new Error(`unexpected temp dir ${dir}`);
  chmodSync(dir, 0o777);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  for (const name of ['gpg', 'askpass']) {
    writeFileSync(join(bin, name), `#!/bin/sh\ntouch ${dir}/marker-bin-${name}\nexit 1\n`, { mode: 0o755 });
  }
  return {
    dir,
    bin,
    payload: (name) => `mkdir -p ${dir} && touch ${dir}/marker-${name}`,
    fired: () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('marker-'))
        .map((f) => f.slice('marker-'.length))
        .sort(),
  };
}

/**
 * Step 1, run in the session: content that comes back to the host in berth's bundle. Committed
 * from inside the session, so it is part of the session branch the user later checks out.
 */
export function committedTrapsScript(t: Tripwire, hostObjectsDir: string): string {
  const P = t.payload;
  const hooks = ALL_HOOKS.join(' ');
  return `set -eu
cd /workspace
OBJ=${sq(hostObjectsDir)}
HOSTGIT=$(dirname "$OBJ")
# Attributes naming drivers: harmless on the host only because the host defines no such driver.
printf '%s\\n' '* filter=evil diff=evil merge=evil' '*.p filter=evilp' > .gitattributes
printf 'filtered\\n' > data.p
# A submodule whose URL is a command (ext::), with a gitlink so git sees a submodule there.
printf '%s\\n' '[submodule "sub"]' '	path = sub' ${sq(`\turl = ext::sh -c mkdir% -p% ${t.dir}% &&% touch% ${t.dir}/marker-ext-submodule`)} > .gitmodules
# husky-style hooks: run on the host only if the host repo sets core.hooksPath=.husky.
mkdir -p .husky
for h in ${hooks}; do
  printf '#!/bin/sh\\n%s\\nexit 0\\n' "mkdir -p ${t.dir} && touch ${t.dir}/marker-husky-$h" > ".husky/$h"
  chmod +x ".husky/$h"
done
# Symlinks into the host repo's .git (the container learns its path from the objects mount).
ln -s "$HOSTGIT/hooks" host-hooks-link
ln -s "$HOSTGIT/config" host-config-link
ln -s "$HOSTGIT/hooks/post-checkout" host-post-checkout-link
mkdir -p .devcontainer
printf '{ "initializeCommand": "%s" }\\n' ${sq(P('devcontainer-initialize'))} > .devcontainer/devcontainer.json
mkdir -p sub
git add -A
git update-index --add --cacheinfo "160000,$(git rev-parse HEAD),sub"
git commit -q -m 'planted: attributes, ext:: submodule, husky hooks, symlinks into the host .git'
git log --oneline -1
`;
}

/**
 * Step 2, run in the session: the clone's own .git (config, includes, config.worktree, hooks,
 * info/, a lazy-fetch trap) plus uncommitted work; then tries to write outside /workspace and
 * prints one `escape NAME blocked|WROTE: ...` line per attempt.
 */
export function localTrapsScript(t: Tripwire, hostObjectsDir: string): string {
  const P = t.payload;
  const hooks = ALL_HOOKS.join(' ');
  const lazyUrl = `ext::sh -c mkdir% -p% ${t.dir}% &&% touch% ${t.dir}/marker-lazy-fetch`;
  const cfg: Array<[string, string]> = [
    ['core.repositoryformatversion', '1'],
    ['core.pager', `${P('core-pager')}; cat`],
    ['diff.external', `${P('diff-external')};:`],
    ['core.sshCommand', `${P('core-sshcommand')};:`],
    ['core.askPass', `${t.bin}/askpass`],
    ['credential.helper', `!${P('credential-helper')};:`],
    ['uploadpack.packObjectsHook', `${P('packobjectshook')};:`],
    ['filter.evil.clean', `${P('filter-clean')}; cat`],
    ['filter.evil.smudge', `${P('filter-smudge')}; cat`],
    ['filter.evilp.process', `${P('filter-process')};:`],
    ['diff.evil.command', `${P('diff-driver-command')};:`],
    ['merge.evil.driver', `${P('merge-driver')};:`],
    ['merge.evil.name', 'evil'],
    ['gpg.program', `${t.bin}/gpg`],
    ['commit.gpgSign', 'true'],
    ['tag.gpgSign', 'true'],
    ['include.path', 'evil.inc'],
    ['includeIf.onbranch:**.path', 'evil-onbranch.inc'],
    // Lazy-fetch trap: a promisor remote whose URL is a command, and a missing blob in the index.
    ['extensions.partialClone', 'evil'],
    ['remote.evil.promisor', 'true'],
    ['remote.evil.url', lazyUrl],
    ['remote.evil.uploadpack', `${P('remote-uploadpack')};:`],
    ['remote.evil.receivepack', `${P('remote-receivepack')};:`],
    ['protocol.ext.allow', 'always'],
    ['protocol.allow', 'always'],
    // A remote reached over ssh, so a fetch runs core.sshCommand.
    ['remote.origin.url', 'ssh://evil.invalid/repo.git'],
    ['remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'],
    ['extensions.worktreeConfig', 'true'],
  ];
  const inc: Array<[string, string]> = [
    ['core.fsmonitor', `${P('core-fsmonitor')};:`],
    ['core.alternateRefsCommand', `${P('alternate-refs-command')};:`],
  ];
  const onBranch: Array<[string, string]> = [['diff.evil.textconv', `${P('diff-textconv')}; cat`]];
  const worktree: Array<[string, string]> = [
    ['core.hooksPath', '.husky'],
    ['core.editor', `${P('core-editor')};:`],
    ['sequence.editor', `${P('sequence-editor')};:`],
  ];
  const set = (file: string | null, pairs: Array<[string, string]>) =>
    pairs.map(([k, v]) => `git config ${file ? `-f ${sq(file)} ` : ''}${sq(k)} ${sq(v)}`).join('\n');
  const escapes: Array<[string, string]> = [
    ['objects-new-file', ': > "$OBJ/berth-escape-probe"'],
    [
      'objects-overwrite-loose',
      'f=$(find "$OBJ" -type f -path "*/[0-9a-f][0-9a-f]/*" | head -n 1); test -n "$f"; chmod u+w "$f" 2>/dev/null; printf junk > "$f"',
    ],
    ['objects-new-dir', 'mkdir "$OBJ/pack/berth-escape"'],
    ['objects-alternates', 'echo /workspace/.git/objects >> "$OBJ/info/alternates"'],
    ['objects-symlink', 'ln -s "$HOSTGIT/hooks" "$OBJ/berth-escape-link"'],
    ['objects-rename', 'mv "$OBJ/info" "$OBJ/info-moved"'],
    ['host-config', 'printf "[core]\\n\\tfsmonitor = x\\n" >> "$HOSTGIT/config"'],
    ['host-hooks', 'mkdir -p "$HOSTGIT/hooks" && cp .git/hooks/post-checkout "$HOSTGIT/hooks/post-checkout"'],
    ['host-info', 'mkdir -p "$HOSTGIT/info" && echo "* filter=evil" >> "$HOSTGIT/info/attributes"'],
    ['host-objects-parent', 'touch "$OBJ/../config.worktree"'],
    [
      'symlink-through',
      'ln -sfn "$HOSTGIT/hooks" .git/host-hooks && cp .git/hooks/post-checkout .git/host-hooks/',
    ],
  ];
  return `set -u
cd /workspace
OBJ=${sq(hostObjectsDir)}
HOSTGIT=$(dirname "$OBJ")
# The clone's .git/config
${set(null, cfg)}
# include.path and includeIf targets (relative to .git/)
${set('.git/evil.inc', inc)}
${set('.git/evil-onbranch.inc', onBranch)}
# .git/config.worktree (extensions.worktreeConfig above)
${worktree.map(([k, v]) => `git config --worktree ${sq(k)} ${sq(v)}`).join('\n')}
# Every hook in .git/hooks, executable (berth's working copies start with no hooks directory)
mkdir -p .git/hooks
for h in ${hooks}; do
  printf '#!/bin/sh\\n%s\\nexit 0\\n' "mkdir -p ${t.dir} && touch ${t.dir}/marker-hook-$h" > ".git/hooks/$h"
  chmod +x ".git/hooks/$h"
done
# info/ (berth's working copies start without one)
mkdir -p .git/info
printf '%s\\n' '* filter=evil diff=evil merge=evil' > .git/info/attributes
printf '%s\\n' 'secret-*' >> .git/info/exclude
# Uncommitted work, and a tracked file whose blob is missing (a lazy fetch needs it)
printf 'more\\n' >> README.md
printf 'new\\n' > notes.txt
printf 'lazy\\n' > lazy.txt
git update-index --add --cacheinfo 100644,1111111111111111111111111111111111111111,lazy.txt
# Escapes: each must fail
${escapes
  .map(
    ([name, cmd]) =>
      `if out=$( (${cmd}) 2>&1 ); then echo ${sq(`escape ${name} WROTE`)}; else echo "escape ${name} blocked: $(printf '%s' "$out" | tr '\\n' ' ' | cut -c1-160)"; fi`,
  )
  .join('\n')}
echo "mount $(grep ' /workspace ' /proc/self/mountinfo | cut -d' ' -f4)"
exit 0
`;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs git as the user would at a terminal: a real tty (so pagers and colours are live), the
 * process's own environment, no extra -c flags. `PAGER=cat` stands in for the user's pager so
 * a pager never waits for a key; a repo's core.pager still wins over it, as it would for `less`.
 */
export function userGit(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const cmd = ['git', ...args].map(sq).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd,
    encoding: 'utf8',
    input: '',
    timeout: 60_000,
    env: {
      ...process.env,
      PAGER: 'cat',
      EDITOR: 'true',
      GIT_AUTHOR_NAME: 'user',
      GIT_AUTHOR_EMAIL: 'user@host',
      GIT_COMMITTER_NAME: 'user',
      GIT_COMMITTER_EMAIL: 'user@host',
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run in the session: a reference-transaction hook that fires when berth's snapshot script moves
 * refs/berth/snapshot, and turns the script's stdout from a bundle into a git "gitfile". The
 * script prints the commit id, the hook then writes `gitdir: <host path of /workspace>/x\n` into
 * the script's stdout, and the script's own `git bundle create` appends the bundle. Read as a
 * gitfile, that names the directory `<workspace>/x\n<bundle header>\n\nPACK` (the path ends at the
 * pack's first NUL byte), which the hook has just made into a repository whose
 * refs/berth/snapshot is the real snapshot commit and whose config includes a FIFO. If the host's
 * git opens that FIFO, a process in the container records it in /workspace/.host-read-session-config.
 * (Without that writer the host's git would block on the FIFO for ever.)
 */
export function redirectFetchScript(): string {
  const hook = `#!/bin/sh
[ "$1" = committed ] || exit 0
while read -r old new ref; do
  [ "$ref" = refs/berth/snapshot ] || continue
  hostws=$(cat /workspace/.git/berth-host-workspace)
  base=$(cat /workspace/.git/berth-base)
  hdr=$(git bundle create --quiet - refs/berth/snapshot "^$base" 2>/dev/null | sed -n '/^$/q;p')
  dir="/workspace/x
$hdr

PACK"
  git init -q --bare "$dir" || exit 0
  echo "$hostws/.git/objects" > "$dir/objects/info/alternates"
  mkdir -p "$dir/refs/berth" && echo "$new" > "$dir/refs/berth/snapshot"
  rm -f /workspace/.trap-fifo && mkfifo /workspace/.trap-fifo
  git config -f "$dir/config" include.path "$hostws/.trap-fifo"
  # Every git process on the host that reads the config opens the FIFO once: keep feeding it.
  nohup sh -c 'while :; do printf "[berth]\\\\n\\\\tread = yes\\\\n" > /workspace/.trap-fifo && touch /workspace/.host-read-session-config; done' </dev/null >/dev/null 2>&1 &
  printf 'gitdir: %s/x\\n' "$hostws" > "/proc/$PPID/fd/1"
done
exit 0
`;
  return `set -eu
cd /workspace
git rev-parse HEAD > .git/berth-base
grep ' /workspace ' /proc/self/mountinfo | cut -d' ' -f4 > .git/berth-host-workspace
printf 'work\\n' > work.txt
git add work.txt && git commit -q -m work
mkdir -p .git/hooks
printf '%s' ${sq(hook)} > .git/hooks/reference-transaction
chmod +x .git/hooks/reference-transaction
cat .git/berth-host-workspace
`;
}

/**
 * Run in the session: moves HEAD to a commit whose tree has a `.git` directory holding a
 * post-checkout hook (made with mktree; `git add` refuses such paths). berth's snapshot commits on
 * top of it, so the bundle carries that tree to the host.
 */
export function dotGitTreeScript(t: Tripwire): string {
  return `set -eu
cd /workspace
blob=$(printf '#!/bin/sh\\n%s\\n' ${sq(t.payload('dotgit-post-checkout'))} | git hash-object -w --stdin)
hooks=$(printf '100755 blob %s\\tpost-checkout\\n' "$blob" | git mktree)
dotgit=$(printf '040000 tree %s\\thooks\\n' "$hooks" | git mktree)
tree=$( (git ls-tree HEAD; printf '040000 tree %s\\t.git\\n' "$dotgit") | git mktree)
commit=$(git commit-tree "$tree" -p HEAD -m 'a tree with a .git entry')
git update-ref HEAD "$commit"
printf 'after\\n' > after.txt
git ls-tree "$commit"
`;
}
