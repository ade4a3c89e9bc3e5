import type { InteractiveExec } from '@berth/core';
import type { WebSocket } from '@fastify/websocket';
import { toProblem } from '../problems.js';

/**
 * Joins a WebSocket to a TTY: binary frames are terminal bytes both ways, text frames are JSON
 * control (`resize`, `stdin-end` in; `exit`, `error` out). `onInput` hears of every keystroke.
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
  term.stream.on('data', (d: Buffer) => socket.send(d, { binary: true }));
  // Keystrokes wait for an earlier resize to land, so a program sees the size it was sent.
  let ordered: Promise<unknown> = Promise.resolve();
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      onInput();
      ordered = ordered.then(() => term.stream.write(data));
      return;
    }
    try {
      const msg = JSON.parse(data.toString('utf8')) as { type?: string; cols?: number; rows?: number };
      if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
        ordered = ordered.then(() => term.resize(Math.min(msg.cols!, 1000), Math.min(msg.rows!, 1000)));
      } else if (msg.type === 'stdin-end') {
        ordered = ordered.then(() => term.stream.end());
      }
    } catch {
      // Unknown control frames are ignored, never fatal.
    }
  });
  socket.on('close', () => term.stream.destroy());
  void term.exited.then((code) => {
    if (socket.readyState === socket.OPEN) {
      socket.send(JSON.stringify({ type: 'exit', code }));
      socket.close(1000, 'exited');
    }
  });
}
