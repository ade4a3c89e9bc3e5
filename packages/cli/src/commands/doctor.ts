import { execFile } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BerthClient } from '@berth/api/node';
import type { Command } from 'commander';
import { action } from '../action.js';
import { config } from '../daemon-client.js';
import { dim, green, printJson, red, yellow } from '../output.js';

const run = promisify(execFile);

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  hint?: string;
}

function versionAtLeast(v: string, min: [number, number, number]): boolean {
  const parts = v.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

async function checks(): Promise<Check[]> {
  const cfg = config();
  const out: Check[] = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  out.push(
    nodeMajor >= 20
      ? { name: 'node', status: 'ok', detail: process.versions.node }
      : { name: 'node', status: 'fail', detail: process.versions.node, hint: 'install Node.js 20 or newer' },
  );
  const { imageTools } = await import('@berth/core');
  try {
    // Over the engine's API, as the daemon talks to it: berth's own image carries no docker CLI.
    const engine = await imageTools().engine();
    out.push({ name: 'docker engine', status: 'ok', detail: engine.version });
    const runc = await run('runc', ['--version']).then(
      (r) => /runc version (\S+)/.exec(r.stdout)?.[1] ?? '',
      () => '',
    );
    if (runc) {
      // CVE-2024-21626 ("Leaky Vessels") is fixed in runc 1.1.12.
      out.push(
        versionAtLeast(runc, [1, 1, 12])
          ? { name: 'runc', status: 'ok', detail: runc }
          : {
              name: 'runc',
              status: 'warn',
              detail: runc,
              hint: 'runc before 1.1.12 has a known escape (CVE-2024-21626): upgrade it',
            },
      );
    }
    const { gvisorInstallHint } = await import('@berth/core');
    const gvisor = cfg.isolation.gvisorRuntime;
    const registered = engine.runtimes.includes(gvisor);
    out.push({
      name: 'gvisor',
      status: registered || cfg.isolation.defaultRuntime !== 'gvisor' ? 'ok' : 'fail',
      detail: registered
        ? `${gvisor} registered: sessions may ask for --runtime gvisor`
        : `${gvisor} not registered (optional: stronger isolation with --runtime gvisor)`,
      ...(registered ? {} : { hint: gvisorInstallHint(gvisor) }),
    });
  } catch (err) {
    out.push({
      name: 'docker engine',
      status: 'fail',
      detail: `no engine answers (${err instanceof Error ? err.message : String(err)})`,
      hint: 'start Docker (`sudo systemctl start docker`, or `npm run setup` on Debian as root)',
    });
  }
  try {
    const { stdout } = await run('git', ['--version']);
    out.push({ name: 'git', status: 'ok', detail: stdout.trim().replace('git version ', '') });
  } catch {
    out.push({ name: 'git', status: 'fail', detail: 'not found', hint: 'install git' });
  }
  try {
    await mkdir(cfg.home, { recursive: true, mode: 0o700 });
    await access(cfg.home, constants.W_OK);
    out.push({ name: 'berth home', status: 'ok', detail: cfg.home });
  } catch {
    out.push({
      name: 'berth home',
      status: 'fail',
      detail: `${cfg.home} is not writable`,
      hint: 'set BERTH_HOME to a writable directory',
    });
  }
  const image = await imageTools()
    .status(cfg.defaultImage)
    .catch(() => null);
  out.push(
    image?.present
      ? { name: 'session image', status: 'ok', detail: cfg.defaultImage }
      : {
          name: 'session image',
          status: 'warn',
          detail: `${cfg.defaultImage} missing`,
          hint: 'build it with `berth image build`',
        },
  );
  // Reading the agents volume's manifest runs a short-lived container: only with the image there.
  const agents = image?.present
    ? await imageTools()
        .agents(cfg)
        .catch(() => null)
    : null;
  if (agents) {
    out.push(
      agents.installed
        ? {
            name: 'agents',
            status: 'ok',
            detail: `${agents.installed.tools.map((t) => `${t.bin} ${t.version}`).join(', ')} (${agents.volume})`,
          }
        : {
            name: 'agents',
            status: 'warn',
            detail: `not installed (${agents.pinned.map((t) => `${t.bin} ${t.version}`).join(', ')})`,
            hint: '`berth image agents` installs them; else the first agent session does',
          },
    );
  }
  const daemon = await new BerthClient({ socketPath: cfg.socketPath }).daemonInfo().catch(() => null);
  out.push({
    name: 'daemon',
    status: 'ok',
    detail: daemon ? `running (pid ${daemon.pid})` : 'not running (starts on the next command)',
  });
  return out;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the engine, git, images and the daemon')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const list = await checks();
        const failed = list.some((c) => c.status === 'fail');
        if (o.json) printJson({ ok: !failed, checks: list });
        else {
          for (const c of list) {
            const mark =
              c.status === 'ok' ? green('ok  ') : c.status === 'warn' ? yellow('warn') : red('FAIL');
            process.stdout.write(`${mark}  ${c.name.padEnd(14)} ${c.detail}\n`);
            if (c.hint) process.stdout.write(`      ${dim('→')} ${c.hint}\n`);
          }
        }
        return failed ? 1 : 0;
      }),
    );
}
