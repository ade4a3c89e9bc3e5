import { existsSync, readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `berth.pid` names the daemon that owns a BERTH_HOME: its pid and its start, which together
 * identify one process. A pid alone does not: after `docker rm -f` of berth's container, the OOM
 * killer or a reboot, the same pid soon names another process (in the next container pid 7 is
 * usually the launcher). Only node builtins here: the CLI loads this on commands that stay light.
 */
export interface DaemonProcess {
  pid: number;
  /** The boot and the clock tick it started at (/proc/PID/stat field 22); null without /proc. */
  start: string | null;
}

export function pidFilePath(home: string): string {
  return join(home, 'berth.pid');
}

const hasProc = existsSync('/proc/self/stat');
let bootId: string | undefined;

/** The live process with this pid, as the pid file records it; null when none runs (or a zombie). */
export function processWithPid(pid: number): DaemonProcess | null {
  if (!hasProc) {
    // Without /proc (not Linux) kill(0) is all there is to go on.
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
    }
    return { pid, start: null };
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2, the command name, may hold spaces and parentheses: the rest follows the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19]; // field 22
  // A killed daemon nobody has reaped yet still has a pid: it is not running.
  if (!startTicks || state === 'Z' || state === 'X') return null;
  bootId ??= readBootId();
  return { pid, start: `${bootId}/${startTicks}` };
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

function format(p: DaemonProcess): string {
  return p.start ? `${p.pid}\nstart ${p.start}\n` : `${p.pid}\n`;
}

function parse(text: string): DaemonProcess | null {
  const [first, second] = text.split('\n');
  const pid = Number(first?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const start = second?.startsWith('start ') ? second.slice('start '.length).trim() : null;
  return { pid, start: start || null };
}

/** Is the process this pid file text names the one that wrote it, and still running? */
function ownerOf(text: string): DaemonProcess | null {
  const recorded = parse(text);
  if (!recorded) return null;
  const live = processWithPid(recorded.pid);
  // A file with no start (an older berth's) is trusted only where no start can be read.
  return live && live.start === recorded.start ? live : null;
}

/** Is this process (as read from the pid file) still the one running? */
export function stillRunning(p: DaemonProcess): boolean {
  return processWithPid(p.pid)?.start === p.start;
}

/** The daemon process that `berth.pid` names, when it is that very process and it runs here. */
export function readDaemonProcess(home: string): DaemonProcess | null {
  try {
    return ownerOf(readFileSync(pidFilePath(home), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Takes `berth.pid` for this process, exclusively: a file whose process runs is another daemon's
 * (an error); one whose pid is gone or names another process is stale and replaced.
 */
export async function takePidFile(home: string): Promise<void> {
  const file = pidFilePath(home);
  const self = processWithPid(process.pid) ?? { pid: process.pid, start: null };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, format(self), { mode: 0o600, flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text === null) continue; // removed meanwhile
    const owner = ownerOf(text);
    if (owner && owner.pid !== process.pid) {
      throw new Error(`a berth daemon already runs for ${home} (pid ${owner.pid})`);
    }
    await removeIfUnchanged(file, text);
  }
  throw new Error(`could not take ${file}; another daemon is starting`);
}

/**
 * Removes a stale pid file unless a daemon starting at the same moment has just replaced it: it
 * is moved aside first (atomic) and put back when what was moved is not the stale text.
 */
async function removeIfUnchanged(file: string, stale: string): Promise<void> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch {
    return; // gone already
  }
  const moved = await readFile(aside, 'utf8').catch(() => stale);
  if (moved !== stale) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Removes `berth.pid` when it names this process (a daemon that replaced it keeps its own). */
export async function releasePidFile(home: string): Promise<void> {
  const file = pidFilePath(home);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text !== null && parse(text)?.pid === process.pid) await rm(file, { force: true });
}
