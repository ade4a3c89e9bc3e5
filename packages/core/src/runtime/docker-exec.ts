import { type Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EngineError } from '../errors/berth-error.js';
import { envList } from './docker-create-options.js';
import { BoundedOutput, EXEC_OUTPUT_LIMIT, endProcessTree } from './exec-output.js';
import type { ExecOptions, ExecResult, InteractiveExec, LogChunk } from './runtime.js';

/** Splits Docker's multiplexed stdout/stderr frames (8-byte header, then payload). */
export async function* demuxFrames(source: AsyncIterable<Buffer>): AsyncGenerator<LogChunk> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const stream = pending[0] === 2 ? 'stderr' : 'stdout';
      yield { stream, data: pending.subarray(8, 8 + size) };
      pending = pending.subarray(8 + size);
    }
  }
}

/** The engine's exec of a command: its output attached, stdin and a TTY as asked. */
function execSpec(opts: ExecOptions, io: { stdin: boolean; tty: boolean }): Docker.ExecCreateOptions {
  return {
    Cmd: opts.cmd,
    Env: envList(opts.env),
    ...(opts.user ? { User: opts.user } : {}),
    ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
    AttachStdin: io.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: io.tty,
  };
}

/** Errors of an exec's connection that mean it ended, not that it failed. */
const ENDS = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'EPIPE', 'ECONNRESET']);

/** Runs a command in the container to its end (or its output's limit), its output in memory or a sink. */
export async function runExec(docker: Docker, id: string, opts: ExecOptions): Promise<ExecResult> {
  const container = docker.getContainer(id);
  const hasStdin = opts.stdin !== undefined;
  // Watched from the first moment: a source may fail while the exec is still being made.
  const source = opts.stdin instanceof Readable ? opts.stdin : null;
  let sourceError: Error | null = source?.errored ?? null;
  let live: Duplex | null = null;
  source?.once('error', (err) => {
    sourceError = err;
    live?.destroy();
  });
  // The exec owns a stream it is given: whatever happens, it is read no further once it is done.
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec(execSpec(opts, { stdin: hasStdin, tty: false }));
    stream = await exec.start({ hijack: true, stdin: hasStdin });
    live = stream;
  } catch (err) {
    source?.destroy();
    throw err;
  }
  const limit = opts.maxOutputBytes ?? EXEC_OUTPUT_LIMIT;
  const stdout = new BoundedOutput(limit, opts.stdout);
  const stderr = new BoundedOutput(limit);
  let truncated = false;
  if (source) {
    // pipe() ends the write half when the source ends: the command reads end of input.
    if (sourceError) stream.destroy();
    else source.pipe(stream);
  } else if (hasStdin) stream.end(opts.stdin);
  try {
    // Read as it is taken (a sink's backpressure reaches the command), never past the limit.
    for await (const frame of demuxFrames(stream)) {
      const kept = await (frame.stream === 'stderr' ? stderr : stdout).take(frame.data);
      if (!kept) {
        truncated = true;
        break;
      }
    }
  } catch (err) {
    // A connection the engine closes without an end is an end, and so is one it closed while
    // stdin was still being written (the command exited first); anything else is a failure.
    if (!ENDS.has((err as { code?: string }).code ?? '')) throw err;
  } finally {
    if (source) {
      source.unpipe(stream);
      source.destroy();
    }
    stream.destroy();
  }
  let info = await exec.inspect();
  if ((truncated || sourceError) && info.Running && info.Pid) {
    await endProcessTree(info.Pid, info.ContainerID);
    info = await settled(exec, info);
  }
  if (sourceError) {
    throw new EngineError(
      `the input of a command in container ${id} failed: ${(sourceError as Error).message}`,
      {
        hint: 'what fed it failed (the message says why); nothing it started was left running',
      },
    );
  }
  return {
    exitCode: info.Running ? -1 : (info.ExitCode ?? -1),
    stdout: stdout.bytes(),
    stderr: stderr.bytes(),
    truncated,
  };
}

/** The exec once the engine has seen its process end (a few hundred ms at most), or as it is. */
async function settled(exec: Docker.Exec, info: Docker.ExecInspectInfo): Promise<Docker.ExecInspectInfo> {
  for (let i = 0; i < 20 && info.Running; i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = await exec.inspect();
  }
  return info;
}

/** A command on a TTY in the container: its raw stream, a resize, and its exit code once it ends. */
export async function openTerminal(
  docker: Docker,
  id: string,
  opts: ExecOptions & { cols?: number; rows?: number },
): Promise<InteractiveExec> {
  const exec = await docker.getContainer(id).exec(execSpec(opts, { stdin: true, tty: true }));
  const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
  const resize = async (cols: number, rows: number) => {
    await exec.resize({ w: cols, h: rows }).catch(() => undefined);
  };
  if (opts.cols && opts.rows) await resize(opts.cols, opts.rows);
  const exited = new Promise<number>((resolve) => {
    const done = () => {
      exec.inspect().then(
        (i) => resolve(i.ExitCode ?? -1),
        () => resolve(-1),
      );
    };
    stream.once('end', done);
    stream.once('close', done);
  });
  // The socket Docker hands over has no error listener: a peer gone mid-write (EPIPE) or the
  // engine restarting (ECONNRESET) would otherwise take the whole process down. It ends the
  // terminal instead; whoever holds it hears of it through their own listener and \`exited\`.
  stream.on('error', () => stream.destroy());
  return { stream, resize, exited };
}
