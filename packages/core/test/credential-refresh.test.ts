import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentCore, tarOf, tempDir } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import type { CredentialOwner } from '../src/agents/credential-owner.js';
import { acceptableLogin } from '../src/agents/credential-refresh.js';
import type { Session } from '../src/session/session.js';

const claudeLogin = (access: string) =>
  JSON.stringify({ claudeAiOauth: { accessToken: access, refreshToken: `${access}-r`, expiresAt: 1 } });
const codexLogin = (access: string, account = 'acct-1') =>
  JSON.stringify({ tokens: { access_token: access, refresh_token: `${access}-r`, account_id: account } });

describe('a refreshed login', () => {
  it('is kept only as a login of the same kind (and, for Codex, of the same account)', () => {
    const b = (s: string) => Buffer.from(s);
    expect(acceptableLogin('.credentials.json', b(claudeLogin('a')), b(claudeLogin('b')))).toBe(true);
    expect(acceptableLogin('.credentials.json', b(claudeLogin('a')), b(claudeLogin('a')))).toBe(false);
    expect(acceptableLogin('.credentials.json', b(claudeLogin('a')), b('{"claudeAiOauth":{}}'))).toBe(false);
    expect(acceptableLogin('.credentials.json', b(claudeLogin('a')), b('not json'))).toBe(false);
    expect(acceptableLogin('.credentials.json', b(claudeLogin('a')), b('[1]'))).toBe(false);
    expect(acceptableLogin('auth.json', b(codexLogin('a')), b(codexLogin('b')))).toBe(true);
    expect(acceptableLogin('auth.json', b(codexLogin('a')), b(codexLogin('b', 'acct-evil')))).toBe(false);
    expect(
      acceptableLogin('auth.json', b(codexLogin('a')), b(`${codexLogin('b')}${' '.repeat(70_000)}`)),
    ).toBe(false);
    expect(acceptableLogin('settings.json', b('{}'), b('{"a":1}'))).toBe(false);
  });

  it('written by the agent into its copy is sealed again; a link, a swap of account or junk is not', async () => {
    const core = await agentCore();
    await core.agents.credentials.put('codex', {
      dir: await tarOf({ 'auth.json': codexLogin('first'), 'config.toml': 'model = "x"\n' }),
    });
    const id = randomUUID();
    const mount = await core.agents.refresh.prepare(id, 'codex', ['auth.json'], 1000, 1000);
    expect(mount).toMatchObject({ target: '/run/berth/refresh', readOnly: false });
    const copy = join(mount!.source, 'auth.json');
    expect(readFileSync(copy, 'utf8')).toBe(codexLogin('first'));
    const sealed = async () =>
      (await core.agents.credentials.dirEntries('codex'))
        ?.find((e) => e.name === 'auth.json')
        ?.body.toString();

    // Junk, another account, a link to a host file: nothing is kept.
    writeFileSync(copy, 'junk');
    expect(await core.agents.refresh.harvest(id, 'codex', ['auth.json'])).toEqual([]);
    writeFileSync(copy, codexLogin('swapped', 'acct-evil'));
    expect(await core.agents.refresh.harvest(id, 'codex', ['auth.json'])).toEqual([]);
    const outside = join(tempDir('berth-outside-'), 'auth.json');
    writeFileSync(outside, codexLogin('linked'));
    rmSync(copy);
    symlinkSync(outside, copy);
    expect(await core.agents.refresh.harvest(id, 'codex', ['auth.json'])).toEqual([]);
    expect(await sealed()).toBe(codexLogin('first'));

    // The CLI's own refresh: kept, and the rest of the directory with it.
    rmSync(copy);
    writeFileSync(copy, codexLogin('second'));
    expect(await core.agents.refresh.harvest(id, 'codex', ['auth.json'])).toEqual(['auth.json']);
    expect(await sealed()).toBe(codexLogin('second'));
    const entries = await core.agents.credentials.dirEntries('codex');
    expect(entries?.find((e) => e.name === 'config.toml')?.body.toString()).toBe('model = "x"\n');
    await core.agents.credentials.release(id);
  });

  it('goes back to the owner it came from, never the host, a team or another user (security review F12)', async () => {
    const core = await agentCore();
    const creds = core.agents.credentials;
    const user: CredentialOwner = { kind: 'user', id: 'user-1' };
    const team: CredentialOwner = { kind: 'team', id: 'team-1' };
    for (const [owner, login] of [
      [{ kind: 'host' }, 'host'],
      [user, 'user'],
      [{ kind: 'user', id: 'user-2' }, 'other'],
    ] as Array<[CredentialOwner, string]>) {
      await creds.put('claude', { dir: await tarOf({ '.credentials.json': claudeLogin(login) }) }, owner);
    }
    const id = randomUUID();
    // The session was given user-1's own; its team's are set up only after it started.
    await creds.materialise(id, 'claude', 1000, 1000, {}, user);
    expect(await creds.ownerOf(id)).toEqual(user);
    const mount = await core.agents.refresh.prepare(id, 'claude', ['.credentials.json'], 1000, 1000, user);
    await creds.put('claude', { dir: await tarOf({ '.credentials.json': claudeLogin('team') }) }, team);
    const copy = join(mount!.source, '.credentials.json');
    expect(readFileSync(copy, 'utf8')).toBe(claudeLogin('user'));
    writeFileSync(copy, claudeLogin('user-refreshed'));
    const session = { id, agent: 'claude', ownerId: 'user-1', teamId: 'team-1' } as Session;
    await core.agents.harvest(session);
    const login = async (owner: CredentialOwner) =>
      (await creds.dirEntries('claude', owner))?.find((e) => e.name === '.credentials.json')?.body.toString();
    expect(await login(user)).toBe(claudeLogin('user-refreshed'));
    expect(await login(team)).toBe(claudeLogin('team'));
    expect(await login({ kind: 'host' })).toBe(claudeLogin('host'));
    expect(await login({ kind: 'user', id: 'user-2' })).toBe(claudeLogin('other'));
    await creds.release(id);
  });
});
