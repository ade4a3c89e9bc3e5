import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';

export function register(program: Command): void {
  program
    .command('shell')
    .description('an interactive shell in a session’s /workspace (TTY; resizes with your terminal)')
    .argument('<name>', 'session name or id')
    .action(
      action(async (name: string) => {
        const client = await connect();
        const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
        const ws = client.shell(name, size());
        const stdin = process.stdin;
        return await new Promise<number>((resolve, reject) => {
          let code = 0;
          let problem: { detail: string; hint?: string; code: string } | null = null;
          const restore = () => {
            if (stdin.isTTY) stdin.setRawMode(false);
            stdin.pause();
            process.stdout.off('resize', onResize);
          };
          const onResize = () => ws.send(JSON.stringify({ type: 'resize', ...size() }));
          ws.on('open', () => {
            if (stdin.isTTY) stdin.setRawMode(true);
            stdin.on('data', (d: Buffer) => ws.send(d, { binary: true }));
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
      }),
    );
}
