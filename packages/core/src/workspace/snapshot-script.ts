/**
 * Runs inside the session's container, as the session's user: commits everything in /workspace
 * (tracked, untracked, already-committed) onto HEAD without touching the session's own index,
 * prints the commit id on the first line, then a bundle of it against the base. The host never
 * runs git in the session's clone; it only reads this output.
 * $1: commit message, $2: base commit. Exits NO_GIT_EXIT when the image has no git.
 */
export const SNAPSHOT_SCRIPT = `set -eu
command -v git >/dev/null 2>&1 || { echo 'berth: this image has no git' >&2; exit 97; }
cd /workspace
idx=$(mktemp)
trap 'rm -f "$idx"' EXIT
cp .git/index "$idx" 2>/dev/null || true
export GIT_INDEX_FILE="$idx"
[ -s "$idx" ] || git read-tree HEAD
git add -A
tree=$(git write-tree)
head=$(git rev-parse --verify HEAD)
if [ "$tree" = "$(git rev-parse --verify 'HEAD^{tree}')" ]; then c=$head; else c=$(git commit-tree "$tree" -p "$head" -m "$1"); fi
echo "$c"
if [ "$c" != "$2" ]; then
  git update-ref refs/berth/snapshot "$c"
  git bundle create --quiet - refs/berth/snapshot "^$2"
fi
`;

export const SNAPSHOT_REF = 'refs/berth/snapshot';
/** The script's exit code when the image it runs in has no git. */
export const NO_GIT_EXIT = 97;
