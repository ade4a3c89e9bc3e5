import { BERTH_VERSION, BerthClient } from '@berth/api';
import type { Command } from 'commander';
import { action } from '../action.js';
import { config, readPid } from '../daemon-client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  const daemon = program.command('daemon').description('the background daemon that owns every session');

  daemon
    .command('status')
    .description('is the daemon running? (pid, socket, version)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const cfg = config();
        const info = await new BerthClient({ socketPath: cfg.socketPath }).daemonInfo().catch(() => null);
        const status = info
          ? {
              running: true,
              pid: info.pid,
              socket: info.socket,
              version: info.version,
              home: info.home,
              startedAt: info.startedAt,
            }
          : {
              running: false,
              pid: null,
              socket: cfg.socketPath,
              version: BERTH_VERSION,
              home: cfg.home,
              startedAt: null,
            };
        if (o.json) printJson(status);
        else if (info)
          process.stdout.write(`running (pid ${info.pid}, socket ${info.socket}, version ${info.version})\n`);
        else process.stdout.write(`not running (socket ${cfg.socketPath}); any berth command starts it\n`);
        return 0;
      }),
    );

  daemon
    .command('stop')
    .description('stop the daemon (sessions keep running; the next command starts it again)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const cfg = config();
        const info = await new BerthClient({ socketPath: cfg.socketPath }).daemonInfo().catch(() => null);
        const pid = info?.pid ?? readPid(cfg);
        let stopped = false;
        if (pid) {
          try {
            process.kill(pid, 'SIGTERM');
            const deadline = Date.now() + 15_000;
            while (Date.now() < deadline) {
              process.kill(pid, 0);
              await new Promise((r) => setTimeout(r, 100));
            }
          } catch {
            stopped = true; // kill(pid, 0) throws once it is gone
          }
        }
        if (o.json) printJson({ stopped, pid: pid ?? null });
        else process.stdout.write(stopped ? `daemon stopped (pid ${pid})\n` : 'no daemon was running\n');
        return 0;
      }),
    );
}
