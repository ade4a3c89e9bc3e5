import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** API tokens `berth login` saved, by server URL, in a 0600 file of the user's config. */
export interface SavedLogin {
  token: string;
  username: string;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'berth', 'credentials.json');
}

export async function readLogins(): Promise<Record<string, SavedLogin>> {
  try {
    return JSON.parse(await readFile(credentialsPath(), 'utf8')) as Record<string, SavedLogin>;
  } catch {
    return {};
  }
}

export async function saveLogin(url: string, login: SavedLogin): Promise<string> {
  const file = credentialsPath();
  const all = await readLogins();
  all[url] = login;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
