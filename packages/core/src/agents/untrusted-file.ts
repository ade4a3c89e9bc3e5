import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Reads a file in a directory a session's agent can write, without trusting it: no link followed
 * (it could point anywhere on the host), nothing but a regular file (a FIFO would block the
 * daemon), at most `maxBytes` (a bigger one is not read at all). Null when there is nothing usable.
 */
export async function readUntrustedFile(path: string, maxBytes: number): Promise<Buffer | null> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile() || st.size > maxBytes) return null;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead);
  } catch {
    return null;
  } finally {
    await handle?.close().catch(() => {});
  }
}
