/**
 * A built-in CLI's seed for one session (agent-seeds.ts holds what a seed is): at plan time, the
 * base URL and API key it is pointed at (the broker's origin for brokered keys, the profile's or
 * the session's variable otherwise, the key from the file berth mounts); at install time, the
 * seed's files as an archive for the container's `/`, owned by the session's user.
 */
import { posix } from 'node:path';
import tarStream from 'tar-stream';
import type { AgentCredentials } from './agent-credentials.js';
import { LAUNCHER, SECRETS_MOUNT } from './agent-launcher.js';
import { AGENT_HOME } from './agent-plan.js';
import type { AgentProfile } from './agent-profile.js';
import { type AgentSeed, type Autonomy, agentSeed, type SeedFile, seededContent } from './agent-seeds.js';
import { BASE_URL_VARIABLE, VENDOR_OF } from './broker-keys.js';
import type { CredentialOwner } from './credential-owner.js';

/**
 * The seed of a built-in CLI: its base URL from its variable (the profile's env, then the
 * session's), and its key from the file berth mounts, where one is set up.
 */
export async function seedFor(
  credentials: AgentCredentials,
  profile: AgentProfile,
  autonomy: Autonomy,
  env: Record<string, string>,
  brokered: string[],
  owner: CredentialOwner,
  brokerOrigin: string | undefined,
): Promise<AgentSeed> {
  const agent = profile.seed!;
  const vars = { ...profile.env, ...env };
  const keys = new Set((await credentials.status(profile.name, owner)).keys.map((k) => k.name));
  const keyName =
    agent === 'codex' ? 'OPENAI_API_KEY' : agent === 'gemini' ? 'GEMINI_API_KEY' : 'ANTHROPIC_API_KEY';
  const hasKey = keys.has(keyName);
  // A brokered key: the CLI talks to berth, which knows where the real API is.
  let baseUrl = brokered.length > 0 ? `${brokerOrigin}/${VENDOR_OF[agent]}` : vars[BASE_URL_VARIABLE[agent]];
  // A key for Codex goes through a provider of berth's (no login screen); the vendor's URL by default.
  if (agent === 'codex' && hasKey && !baseUrl) baseUrl = 'https://api.openai.com/v1';
  // opencode's Anthropic provider takes the URL with its version path; the variable has none.
  if (agent === 'opencode' && baseUrl) baseUrl = `${baseUrl.replace(/\/+$/, '')}/v1`;
  return agentSeed(agent, {
    autonomy,
    home: AGENT_HOME,
    workspace: '/workspace',
    launcher: LAUNCHER,
    ...(baseUrl ? { baseUrl } : {}),
    ...(profile.model ? { model: profile.model } : {}),
    ...(hasKey
      ? {
          apiKey:
            agent === 'claude' || agent === 'opencode'
              ? { env: keyName, file: `${SECRETS_MOUNT}/${keyName}` }
              : { env: keyName },
        }
      : {}),
  });
}

/** A seed's files for the container's `/`, owned by the session's user, their directories too. */
export async function seedArchive(files: SeedFile[], uid: number, gid: number): Promise<Buffer> {
  const pack = tarStream.pack();
  const owner = { uid, gid, mtime: new Date() };
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = posix.dirname(f.path); d.startsWith(`${AGENT_HOME}/`); d = posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort())
    pack.entry({ ...owner, name: d.slice(1), type: 'directory', mode: 0o700 });
  // A fresh HOME: nothing of the agent's to merge with yet.
  for (const f of files)
    pack.entry({ ...owner, name: f.path.slice(1), mode: f.mode }, seededContent(f, undefined));
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
