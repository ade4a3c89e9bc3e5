// Image work runs in this process, not through the daemon: it is host administration, like
// `berth serve`. It moves behind the API (with streamed progress) with the team server.

import type { AgentToolsStatus } from '@berth/core';
import { DEFAULT_IMAGE } from '@berth/core/config';
import type { Command } from 'commander';
import { action } from '../action.js';
import { config } from '../daemon-client.js';
import { EXIT, printJson, progress } from '../output.js';

// The engine client loads only for the image commands themselves.
const core = () => import('@berth/core');

export function register(program: Command): void {
  const image = program.command('image').description('session images, built locally');

  image
    .command('build')
    .description('build the default session image from the Dockerfile berth ships')
    .option('--tag <tag>', 'image tag', DEFAULT_IMAGE)
    .option(
      '--base <image>',
      'base image (default: berth/base:bookworm when present, else debian:bookworm-slim)',
    )
    .option(
      '--ca-cert <path>',
      'extra CA certificate to trust inside (repeatable)',
      (v, p: string[]) => [...p, v],
      [],
    )
    .option('--no-host-ca', 'do not hand in the host’s extra CA certificates')
    .option('--no-host-proxy', 'do not hand the build this shell’s HTTP(S)_PROXY / NO_PROXY settings')
    .option('--json', 'print the result as JSON')
    .action(
      action(
        async (o: {
          tag: string;
          base?: string;
          caCert: string[];
          hostCa: boolean;
          hostProxy: boolean;
          json?: boolean;
        }) => {
          const { hostCaCertificates, imageTools, sessionProxyEnv } = await core();
          const certs = [...o.caCert, ...(o.hostCa ? await hostCaCertificates() : [])];
          const r = await imageTools().build({
            tag: o.tag,
            ...(o.base ? { base: o.base } : {}),
            caCertificates: certs,
            // This shell's own build, its proxy password included: the engine keeps build-time
            // proxy variables out of the image (sessions, by default, are not given one).
            ...(o.hostProxy
              ? { proxy: sessionProxyEnv({ ...process.env, BERTH_SESSION_PROXY: 'inherit-credentials' }) }
              : {}),
            onProgress: progress,
          });
          if (o.json) printJson(r);
          else process.stdout.write(`built ${r.tag} (${r.id.slice(7, 19)})\n`);
          return 0;
        },
      ),
    );

  image
    .command('bootstrap')
    .description('make the Debian base image with mmdebstrap, for builds with no registry')
    .option('--if-missing', 'do nothing when the base image exists')
    .option('--suite <suite>', 'Debian suite', 'bookworm')
    .option('--mirror <url>', 'Debian mirror', 'http://deb.debian.org/debian')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (o: { ifMissing?: boolean; suite: string; mirror: string; json?: boolean }) => {
        const { imageTools } = await core();
        const r = await imageTools().bootstrap({
          suite: o.suite,
          mirror: o.mirror,
          ifMissing: o.ifMissing === true,
          onProgress: progress,
        });
        if (o.json) printJson(r);
        else process.stdout.write(r.created ? `bootstrapped ${r.tag}\n` : `${r.tag} already present\n`);
        return 0;
      }),
    );

  image
    .command('status')
    .description('is the session image present, and which agent versions are installed?')
    .option('--tag <tag>', 'image tag', DEFAULT_IMAGE)
    .option('-q, --quiet', 'print nothing; exit 0 when the image is present, 3 when not')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { tag: string; quiet?: boolean; json?: boolean }) => {
        const { imageTools } = await core();
        const tools = imageTools();
        const s = await tools.status(o.tag);
        if (o.quiet) return s.present ? 0 : EXIT.notFound;
        const agents = await tools.agents(config());
        if (o.json) printJson({ ...s, agents });
        else {
          process.stdout.write(
            s.present
              ? `${s.tag} present (${s.id?.slice(7, 19)})\n`
              : `${s.tag} missing: build it with \`berth image build\`\n`,
          );
          process.stdout.write(`${agentsLine(agents)}\n`);
        }
        return s.present ? 0 : EXIT.notFound;
      }),
    );

  image
    .command('agents')
    .description(
      'install the pinned agents (claude, codex, gemini, opencode) into the volume agent sessions mount; the first agent session installs them otherwise',
    )
    .option('--force', 'install afresh even when installed (no agent session may be using them)')
    .option(
      '--prune',
      'also remove the agents volumes of other versions (an older berth’s) that no session uses',
    )
    .option('--json', 'print what is installed as JSON')
    .action(
      action(async (o: { force?: boolean; prune?: boolean; json?: boolean }) => {
        const { imageTools } = await core();
        const tools = imageTools();
        await tools.installAgents(config(), { force: o.force === true, onProgress: progress });
        // The versions an older berth pinned go, unless a session still mounts them.
        const pruned = o.prune ? await tools.pruneAgents(config()) : { removed: [], inUse: [] };
        const agents = await tools.agents(config());
        if (o.json) printJson({ ...agents, ...pruned });
        else {
          process.stdout.write(`${agentsLine(agents)}\n`);
          if (pruned.removed.length > 0)
            process.stdout.write(`removed older agents: ${pruned.removed.join(', ')}\n`);
          if (pruned.inUse.length > 0) {
            process.stdout.write(`kept older agents still in use: ${pruned.inUse.join(', ')}\n`);
          }
        }
        return 0;
      }),
    );
}

/** One line for people: the installed versions and the volume's size, or how to install them. */
export function agentsLine(a: AgentToolsStatus): string {
  if (!a.installed) {
    const pinned = a.pinned.map((t) => `${t.bin} ${t.version}`).join(', ');
    return `agents not installed (${pinned}): \`berth image agents\` installs them, or the first agent session does`;
  }
  const versions = a.installed.tools.map((t) => `${t.bin} ${t.version}`).join(', ');
  return `agents ${versions} in volume ${a.volume} (${(a.installed.sizeBytes / 1024 ** 2).toFixed(0)} MiB)`;
}
