import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * Most bytes of stdout, and of stderr, that one exec keeps unless its caller asks for another
 * bound: what a session prints is untrusted, and an exec that prints 10 GB must not be held.
 */
export const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;

/**
 * One output stream of an exec, kept in memory or handed on to `sink` (with its backpressure),
 * up to `limit` bytes. `take` says false once a chunk would pass the limit: the caller stops
 * reading and ends the command; what came before the limit is kept.
 */
export class BoundedOutput {
  private readonly parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly sink?: Writable,
  ) {}

  async take(chunk: Buffer): Promise<boolean> {
    const room = this.limit - this.size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.size += kept.length;
    if (kept.length > 0) {
      if (!this.sink) this.parts.push(kept);
      else if (!this.sink.write(kept)) await waitForDrain(this.sink);
    }
    return kept.length === chunk.length;
  }

  /** What was kept (empty when it went to a sink). */
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function waitForDrain(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      sink.off('drain', done);
      sink.off('error', done);
      sink.off('close', done);
      if (err) reject(err);
      else resolve();
    };
    sink.once('drain', done);
    sink.once('error', done);
    sink.once('close', done);
  });
}

/**
 * Ends an exec's process and everything it started, given its host pid from the engine. Docker
 * has no call for it, and a command whose reader went away keeps running (its output is thrown
 * away). Only a process in the container's own cgroup is touched: with a remote engine, or a
 * sandbox (gVisor) whose processes are not the host's, the pid means something else and
 * nothing is done. Stopped first, so nothing forks while the tree is read.
 */
export async function endProcessTree(pid: number, containerId: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || !/^[0-9a-f]{64}$/.test(containerId)) return false;
  const tree = await descendants(pid, containerId);
  if (tree.length === 0) return false;
  for (const p of tree) signal(p, 'SIGSTOP');
  for (const p of tree) signal(p, 'SIGKILL');
  return true;
}

async function descendants(root: number, containerId: string): Promise<number[]> {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0 && seen.length < 10_000) {
    const pid = queue.shift()!;
    if (seen.includes(pid) || !(await inContainer(pid, containerId))) continue;
    seen.push(pid);
    queue.push(...(await childrenOf(pid)));
  }
  return seen;
}

async function inContainer(pid: number, containerId: string): Promise<boolean> {
  const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  return cgroup.includes(containerId);
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .split(' ')
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already, or not ours to signal (a rootless engine's uid map): nothing more to do.
  }
}
