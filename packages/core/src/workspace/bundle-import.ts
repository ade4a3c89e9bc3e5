/**
 * Bringing a session's work back into the user's repository: the bundle a session sends back is
 * untrusted, so it must start as a git bundle does, its pack is checked strictly (index-pack
 * --strict in a scratch repository of berth's own) before anything is fetched, and the fetch runs
 * with hooks off and fsck on, taking one ref and no tags. GitWorkspaces.importBundle delegates
 * here.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../errors/berth-error.js';
import { FETCH_ONLY_REFS, git, gitWithInput } from './host-git.js';
import type { RepoInfo } from './repo-inspection.js';

const BUNDLE_SIGNATURES = [Buffer.from('# v2 git bundle\n'), Buffer.from('# v3 git bundle\n')];
/** A bundle's header (its refs and prerequisites) ends within this many bytes, or it is refused. */
const BUNDLE_HEADER_MAX = 1024 * 1024;

/** Up to `max` bytes from the start of a file. */
async function readHead(path: string, max: number): Promise<Buffer> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await h.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/**
 * Brings a bundle made inside a session into the user's repo under `targetRef`. The bundle is
 * untrusted: hooks off, objects checked, no submodules, no tags.
 */
export async function importBundle(
  repo: RepoInfo,
  bundleFile: string,
  sourceRef: string,
  targetRef: string,
): Promise<string> {
  // git fetch treats a path that is not a bundle as a repository (a `gitdir:` file would send it
  // into the session's own clone, config and all): only ever hand it a real bundle.
  const head = await readHead(bundleFile, BUNDLE_HEADER_MAX);
  if (!BUNDLE_SIGNATURES.some((sig) => head.subarray(0, sig.length).equals(sig))) {
    throw new GitError('the session sent back something that is not a git bundle', {
      hint: 'its git may be broken or tampered with; cancel the session or inspect it with `berth shell`',
    });
  }
  const headerEnd = head.indexOf('\n\n');
  if (headerEnd < 0) throw new GitError('the session sent back a bundle with no pack');
  const dir = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
  try {
    await checkBundleObjects(repo, bundleFile, headerEnd + 2, dir);
    await git(repo.root, [
      '-c',
      'core.hooksPath=/dev/null',
      '-c',
      'transfer.fsckObjects=true',
      '-c',
      'fetch.fsckObjects=true',
      'fetch',
      ...FETCH_ONLY_REFS,
      '--end-of-options',
      bundleFile,
      `+${sourceRef}:${targetRef}`,
    ]);
    const rev = await git(repo.root, ['rev-parse', '--verify', `${targetRef}^{commit}`]);
    return rev.stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Before git 2.46 a fetch from a bundle skips fsck whatever the config says, so the pack (the
 * file from `packStart` on, streamed) is checked first, strictly, in a scratch repository of
 * berth's own that borrows the user's objects (for the thin pack's bases). A tree holding
 * `.git`, a malformed object: refused.
 */
async function checkBundleObjects(
  repo: RepoInfo,
  bundleFile: string,
  packStart: number,
  scratch: string,
): Promise<void> {
  const quarantine = join(scratch, 'quarantine.git');
  await git(scratch, ['init', '--quiet', '--bare', quarantine]);
  await writeFile(join(quarantine, 'objects', 'info', 'alternates'), `${repo.objectsDir}\n`);
  const pack = createReadStream(bundleFile, { start: packStart });
  await gitWithInput(quarantine, ['index-pack', '--strict', '--fix-thin', '--stdin'], pack).catch((err) => {
    throw new GitError(`the session's work failed git's object checks: ${(err as Error).message}`, {
      hint: 'it holds objects git refuses (such as a path named .git); fix the history inside the session',
      cause: err,
    });
  });
}
