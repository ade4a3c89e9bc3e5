import type WebSocket from 'ws';

/**
 * Joins this terminal to a terminal WebSocket (shell or attach): raw keystrokes out, screen
 * bytes in, resizes followed. Resolves with the remote exit code; rejects with the server's problem.
 */
export function runTerminal(ws: WebSocket): Promise<number> {
  const stdin = process.stdin;
  const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  return new Promise<number>((resolve, reject) => {
    let code = 0;
    let problem: { detail: string; hint?: string; code: string } | null = null;
    const onResize = () => ws.send(JSON.stringify({ type: 'resize', ...size() }));
    const onData = (d: Buffer) => ws.send(d, { binary: true });
    const restore = () => {
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      process.stdout.off('resize', onResize);
    };
    ws.on('open', () => {
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.on('end', () => ws.send(JSON.stringify({ type: 'stdin-end' })));
      stdin.resume();
      process.stdout.on('resize', onResize);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        process.stdout.write(data);
        return;
      }
      const msg = JSON.parse(data.toString('utf8')) as {
        type: string;
        code?: number;
        problem?: typeof problem;
      };
      if (msg.type === 'exit') code = msg.code ?? 0;
      if (msg.type === 'error') problem = msg.problem ?? null;
    });
    ws.on('close', () => {
      restore();
      if (problem) reject(Object.assign(new Error(problem.detail), problem));
      else resolve(code);
    });
    ws.on('error', (err) => {
      restore();
      reject(err);
    });
  });
}
