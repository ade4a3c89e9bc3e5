import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AgentSchemas } from '@berth/api';
import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson, table } from '../output.js';

type Profile = AgentSchemas.AgentProfile;

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function size(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Key values: from the environment (NAME=value berth auth setup …), else typed without echo, else stdin lines. */
async function readKeys(names: string[], fromEnv: boolean): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const missing = names.filter((n) => !(fromEnv && process.env[n]));
  for (const n of names) if (fromEnv && process.env[n]) out[n] = process.env[n] as string;
  if (missing.length === 0) return out;
  if (!process.stdin.isTTY) {
    const parts: Buffer[] = [];
    for await (const c of process.stdin) parts.push(c as Buffer);
    const lines = Buffer.concat(parts).toString('utf8').split(/\r?\n/);
    missing.forEach((n, i) => {
      const v = lines[i] ?? '';
      if (!v) {
        throw new CliError(
          `no value for ${n}`,
          EXIT.usage,
          `set it in the environment (${n}=… berth auth setup …) or pipe one line per key`,
        );
      }
      out[n] = v;
    });
    return out;
  }
  for (const n of missing) {
    process.stderr.write(`${n}: `);
    const rl = createInterface({ input: process.stdin, terminal: true });
    // Echo nothing while the key is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    const v = await new Promise<string>((resolve) => rl.question('', resolve));
    rl.close();
    process.stderr.write('\n');
    if (!v) throw new CliError(`no value for ${n}`, EXIT.usage);
    out[n] = v;
  }
  return out;
}

async function findProfile(name: string): Promise<Profile> {
  const client = await connect();
  const list = await client.listAgents();
  const p = list.agents.find((a) => a.name === name);
  if (!p) {
    throw new CliError(
      `no agent profile named '${name}'`,
      EXIT.notFound,
      `use one of ${list.agents.map((a) => a.name).join(', ')}`,
    );
  }
  return p;
}

export function register(program: Command): void {
  const auth = program
    .command('auth')
    .description("agents' credentials: set up once, given to sessions read-only");

  auth
    .command('setup')
    .description("store a profile's credential directory and/or API keys, sealed by the daemon")
    .argument('<profile>', 'agent profile, e.g. claude')
    .option('--from <dir>', "credential directory to copy (default: the profile's, e.g. ~/.claude)")
    .option('--no-dir', 'do not copy a credential directory')
    .option(
      '--key <NAME>',
      'an API key to set (repeatable); its value comes from $NAME, a hidden prompt, or stdin',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option('--team <name>', "set the team's credentials (its sessions use them) instead of your own")
    .option('--json', 'print what was set as JSON (names and sizes, never values)')
    .action(
      action(
        async (
          name: string,
          o: { from?: string; dir: boolean; key: string[]; team?: string; json?: boolean },
        ) => {
          // tar-stream loads only for this command, not on every start of the CLI.
          const { expandHome, packCredentialDir } = await import('../credential-dir.js');
          const profile = await findProfile(name);
          for (const k of o.key)
            if (!KEY_RE.test(k)) throw new CliError(`--key ${k}: not a variable name`, EXIT.usage);
          let dirPath: string | null = null;
          if (o.from) dirPath = expandHome(o.from);
          else if (o.dir && profile.credentials.dir) dirPath = expandHome(profile.credentials.dir.from);
          const packed =
            dirPath && (o.from || existsSync(dirPath))
              ? await packCredentialDir(dirPath, profile.credentials.dir?.include)
              : null;
          // Without --key, the profile's keys that are set in the environment.
          const keyNames = o.key.length > 0 ? o.key : profile.credentials.keys.filter((k) => process.env[k]);
          const keys = await readKeys(keyNames, true);
          if (!packed && Object.keys(keys).length === 0) {
            throw new CliError(
              `nothing to set up for ${name}`,
              EXIT.usage,
              `copy a directory with --from DIR${profile.credentials.dir ? ` (default ${profile.credentials.dir.from} is absent)` : ''}, or set a key: ${profile.credentials.keys[0] ?? 'NAME'}=… berth auth setup ${name} --key ${profile.credentials.keys[0] ?? 'NAME'}`,
            );
          }
          const client = await connect();
          await client.putAgentCredentials(
            name,
            {
              ...(packed ? { dir: packed.tar.toString('base64') } : {}),
              ...(Object.keys(keys).length > 0 ? { keys } : {}),
            },
            o.team === undefined ? {} : { team: o.team },
          );
          const result = {
            profile: name,
            ...(o.team === undefined ? {} : { team: o.team }),
            dir: packed
              ? { path: dirPath, files: packed.files, bytes: packed.bytes, skipped: packed.skipped }
              : null,
            keys: Object.keys(keys),
          };
          if (o.json) printJson(result);
          else {
            if (packed) {
              process.stdout.write(
                `${name}: copied ${dirPath} (${packed.files} files, ${size(packed.bytes)})\n`,
              );
              if (packed.skipped.length > 0)
                process.stdout.write(
                  `  left out (links out of it, or not files): ${packed.skipped.join(', ')}\n`,
                );
            }
            if (result.keys.length > 0) process.stdout.write(`${name}: set ${result.keys.join(', ')}\n`);
            const whose = o.team === undefined ? 'your' : `team ${o.team}'s`;
            process.stdout.write(
              `${whose} new ${name} sessions get them (running ones at their next start); \`berth auth status\` shows which keys stay in berth\n`,
            );
          }
          return EXIT.ok;
        },
      ),
    );

  auth
    .command('status')
    .description('which credentials each agent profile has set (names, sizes, when; never values): yours')
    .option('--team <name>', "a team's instead of yours")
    .option('--json', 'print JSON')
    .action(
      action(async (o: { team?: string; json?: boolean }) => {
        const client = await connect();
        const list = await client.listAgents(o.team === undefined ? {} : { team: o.team });
        if (o.json) {
          printJson({
            defaultAgent: list.defaultAgent,
            configFile: list.configFile,
            agents: list.agents.map((a) => ({
              name: a.name,
              builtin: a.builtin,
              credentials: a.credentials,
              configured: a.configured,
              ...(a.owner ? { owner: a.owner } : {}),
              ...(a.team ? { team: a.team } : {}),
            })),
          });
          return EXIT.ok;
        }
        const rows = [['PROFILE', 'DIRECTORY', 'KEYS', 'UPDATED']];
        for (const a of list.agents) {
          const c = o.team === undefined ? a.configured : (a.team?.configured ?? { dir: null, keys: [] });
          // A file in the session is the weaker mode: the agent (and whatever it runs) can read it.
          const dir = c.dir
            ? `${c.dir.files} files, ${size(c.dir.bytes)} (in the session, read-only)`
            : a.credentials.dir
              ? `- (${a.credentials.dir.from})`
              : '-';
          const keys =
            c.keys.length > 0
              ? c.keys
                  .map((k) => `${k.name} (${k.mode === 'brokered' ? 'brokered' : 'in the session'})`)
                  .join(', ')
              : '-';
          const times = [c.dir?.updatedAt, ...c.keys.map((k) => k.updatedAt)].filter(Boolean).sort();
          rows.push([`${a.name}${a.builtin ? '' : ' (config)'}`, dir, keys, times.at(-1) ?? '-']);
        }
        process.stdout.write(`${table(rows)}\n`);
        return EXIT.ok;
      }),
    );

  auth
    .command('rm')
    .description("remove a profile's credentials: all, or one with --name (dir or a key's name)")
    .argument('<profile>', 'agent profile')
    .option('--name <name>', '`dir` or one key')
    .option('--team <name>', "the team's instead of yours")
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, o: { name?: string; team?: string; json?: boolean }) => {
        const client = await connect();
        await client.deleteAgentCredentials(name, o.name, o.team === undefined ? {} : { team: o.team });
        if (o.json) printJson({ profile: name, removed: o.name ?? 'all' });
        else process.stdout.write(`${name}: removed ${o.name ?? 'all credentials'}\n`);
        return EXIT.ok;
      }),
    );
}
