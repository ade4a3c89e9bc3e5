import { BERTH_VERSION } from '@berth/api';
import { BerthClient } from '@berth/api/node';
import { readDaemonProcess, stillRunning } from '@berth/server/pid-file';
import type { Command } from 'commander';
import { action } from '../action.js';
import { config } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';

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
        // Only a process the pid file identifies for real is signalled: a stale file's pid may be
        // anyone's now, and a daemon answering from another pid namespace (a container sharing
        // this BERTH_HOME) has no process here to signal.
        const daemonProcess = readDaemonProcess(cfg.home);
        if (info && daemonProcess?.pid !== info.pid) {
          throw new CliError(
            `the daemon answering at ${cfg.socketPath} (pid ${info.pid}) is not the process ${cfg.home}/berth.pid identifies here`,
            EXIT.daemon,
            'it runs in another container or pid namespace: stop it where it runs (e.g. `docker stop` its container)',
          );
        }
        const pid = daemonProcess?.pid ?? null;
        let stopped = false;
        if (daemonProcess) {
          try {
            process.kill(daemonProcess.pid, 'SIGTERM');
          } catch {
            // gone meanwhile
          }
          const deadline = Date.now() + 15_000;
          while (stillRunning(daemonProcess)) {
            if (Date.now() > deadline) {
              throw new CliError(
                `the daemon (pid ${daemonProcess.pid}) did not stop within 15 s`,
                EXIT.daemon,
                `read ${cfg.home}/daemon.log; \`kill -9 ${daemonProcess.pid}\` ends it (sessions keep running)`,
              );
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          stopped = true;
        }
        if (o.json) printJson({ stopped, pid: pid ?? null });
        else process.stdout.write(stopped ? `daemon stopped (pid ${pid})\n` : 'no daemon was running\n');
        return 0;
      }),
    );
}
