import { spawn } from 'node:child_process';
import type { PreviewTicket } from '@berth/api';
import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson, table } from '../output.js';

/** Opens a URL in the desktop's browser when there is an opener (xdg-open, open); false otherwise. */
function openInBrowser(url: string): boolean {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export function register(program: Command): void {
  program
    .command('preview')
    .description("show where a session's preview answers (its host port and its link through the server)")
    .argument('<name>', 'session name or id')
    .option('--restart', 'start (or restart) the dev server first, detecting the project again')
    .option('--command <cmd>', 'with --restart: the dev server command (run with sh -c)')
    .option('--port <port>', 'with --restart: the port it listens on inside the session', Number)
    .option('--open', 'open the preview in the browser')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          name: string,
          o: { restart?: boolean; command?: string; port?: number; open?: boolean; json?: boolean },
        ) => {
          const client = await connect();
          const session =
            o.restart || o.command !== undefined || o.port !== undefined
              ? await client.startPreview(name, {
                  ...(o.command !== undefined ? { command: ['sh', '-c', o.command] } : {}),
                  ...(o.port !== undefined ? { port: o.port } : {}),
                })
              : await client.getSession(name);
          const p = session.preview;
          if (!p || p.hostPort === null) {
            throw new CliError(
              `session '${session.name}' runs no preview`,
              EXIT.conflict,
              `start one with \`berth preview ${session.name} --restart\``,
            );
          }
          const hostUrl = `http://127.0.0.1:${p.hostPort}/`;
          // Through the server only when it listens on TCP; the host port always works on this machine.
          const ticket: PreviewTicket | null = await client.previewTicket(session.name).catch(() => null);
          if (o.open) openInBrowser(ticket?.url ?? hostUrl);
          if (o.json) {
            printJson({
              name: session.name,
              projectType: p.projectType,
              command: p.command,
              containerPort: p.containerPort,
              hostPort: p.hostPort,
              ready: p.ready ?? null,
              hostUrl,
              proxyUrl: ticket?.url ?? null,
              proxyOrigin: ticket?.origin ?? null,
              log: '/tmp/berth-preview.log',
            });
            return EXIT.ok;
          }
          const rows = [
            ['project', `${p.projectType}: ${p.command.join(' ')}`],
            ['ready', p.ready === false ? 'no (not answering)' : 'yes'],
            ['host port', hostUrl],
            [
              'via berth',
              ticket
                ? `${ticket.url}  (link valid until ${ticket.expiresAt})`
                : '- (the daemon is not on TCP: set BERTH_PORT)',
            ],
            ['log', `berth exec ${session.name} -- cat /tmp/berth-preview.log`],
          ];
          process.stdout.write(`${table(rows)}\n`);
          return EXIT.ok;
        },
      ),
    );
}
