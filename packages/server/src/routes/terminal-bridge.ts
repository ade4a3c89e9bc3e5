import type { InteractiveExec } from '@berth/core';
import type { WebSocket } from '@fastify/websocket';
import { toProblem } from '../problems.js';

/**
 * Screen bytes the daemon holds for one slow reader before the program behind the terminal is
 * made to wait (its writes block, as on a real terminal nobody scrolls): memory stays bounded
 * whatever the session prints, and nothing is dropped.
 */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/**
 * Joins a WebSocket to a TTY: binary frames are terminal bytes both ways, text frames are JSON
 * control (`resize`, `stdin-end` in; `exit`, `error` out). `onInput` hears of every keystroke.
 * Whatever either side does (a program that floods, a peer that dies mid-write, an engine
 * restart), it ends this terminal only.
 */
export async function bridgeTerminal(
  socket: WebSocket,
  open: () => Promise<InteractiveExec>,
  onInput: () => void = () => {},
): Promise<void> {
  let term: InteractiveExec;
  try {
    term = await open();
  } catch (err) {
    socket.send(JSON.stringify({ type: 'error', problem: toProblem(err) }));
    socket.close(1011, 'could not open a terminal');
    return;
  }
  const { stream } = term;
  stream.on('error', () => {
    if (socket.readyState === socket.OPEN) socket.close(1011, 'the terminal broke off');
  });
  socket.on('error', () => stream.destroy());
  stream.on('data', (d: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(d, { binary: true }, () => {
      if (stream.isPaused() && socket.bufferedAmount < LOW_WATER) stream.resume();
    });
    if (socket.bufferedAmount > HIGH_WATER) stream.pause();
  });
  // Keystrokes wait for an earlier resize to land, so a program sees the size it was sent; once
  // the program is gone, they go nowhere (a write after its end would be an error).
  const writable = () => stream.writable && !stream.destroyed;
  let ordered: Promise<unknown> = Promise.resolve();
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      onInput();
      ordered = ordered.then(() => writable() && stream.write(data));
      return;
    }
    try {
      const msg = JSON.parse(data.toString('utf8')) as { type?: string; cols?: number; rows?: number };
      if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
        ordered = ordered.then(() => term.resize(Math.min(msg.cols!, 1000), Math.min(msg.rows!, 1000)));
      } else if (msg.type === 'stdin-end') {
        ordered = ordered.then(() => writable() && stream.end());
      }
    } catch {
      // Unknown control frames are ignored, never fatal.
    }
  });
  socket.on('close', () => stream.destroy());
  void term.exited.then((code) => {
    if (socket.readyState === socket.OPEN) {
      socket.send(JSON.stringify({ type: 'exit', code }));
      socket.close(1000, 'exited');
    }
  });
}
