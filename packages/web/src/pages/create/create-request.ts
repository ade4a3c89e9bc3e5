/**
 * The create form's values → the API's create request, or what is wrong with each field before
 * the server is asked. Pure, so it is tested on its own; the form (create-form.tsx) is the markup.
 * Durations are read with the CLI's grammar (`berth new --idle-timeout`), from the api package.
 */
import { cpusInBounds, LIMIT_BOUNDS } from '@berth/api/limits';
import type { CreateSessionRequest } from '../../api/types';
import { parseBytes } from '../../format/bytes';
import { idleTimeoutOf } from '../../format/duration';
import type { CreateField } from './problem-field';

/** What the form holds, every field as typed. */
export interface CreateValues {
  name: string;
  description: string;
  repo: string;
  branch: string;
  image: string;
  cpus: string;
  memory: string;
  team: string;
  sshKey: string;
  gitName: string;
  gitEmail: string;
  idleTimeout: string;
  idleAction: string;
  agent: string;
  prompt: string;
  autonomy: Autonomy;
  preview: boolean;
  previewCommand: string;
  previewPort: string;
  egress: '' | Egress;
  allow: string;
}

/** A new form. */
export const EMPTY_VALUES: CreateValues = {
  name: '',
  description: '',
  repo: '',
  branch: '',
  image: '',
  cpus: '',
  memory: '',
  team: '',
  sshKey: '',
  gitName: '',
  gitEmail: '',
  idleTimeout: '',
  idleAction: '',
  agent: '',
  prompt: '',
  autonomy: 'full',
  preview: false,
  previewCommand: '',
  previewPort: '',
  egress: '',
  allow: '',
};

export type Autonomy = NonNullable<CreateSessionRequest['autonomy']>;
export type Egress = NonNullable<CreateSessionRequest['egress']>;

/** Whether hosts may be added: only to an allow-list, the server's default one included. */
export const takesAllow = (egress: CreateValues['egress']) => egress === '' || egress === 'allowlist';

/** The hosts typed, separated by commas or whitespace. */
export function allowOf(text: string): string[] {
  return text.split(/[\s,]+/).filter((h) => h !== '');
}

/** A repository given as a URL rather than a path on the server's machine. */
export function isRemoteRepo(repo: string): boolean {
  return /^(?:https|ssh|file):\/\//i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo);
}

const PRIVATE_KEY_RE =
  /^-----BEGIN (?:OPENSSH |RSA |EC |)PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END (?:OPENSSH |RSA |EC |)PRIVATE KEY-----\s*$/;

/** What is wrong with each field, in words to show under it. */
export type CreateErrors = Partial<Record<CreateField, string>>;

/** The request the values make, or the fields that are wrong before asking the server. */
export function toRequest(
  v: CreateValues,
  env: EnvRow[],
): { request: CreateSessionRequest } | { errors: CreateErrors } {
  const errors: CreateErrors = {};
  if (!v.name.trim()) errors.name = 'a name is required';
  if (!v.repo.trim()) errors.repo = 'the path or URL of a git repository is required';
  const sshKey = v.sshKey.trim();
  if (sshKey) {
    if (/^(?:ssh-|ecdsa-)/.test(sshKey)) errors.sshKey = 'that is a public key; paste the private key';
    else if (!PRIVATE_KEY_RE.test(sshKey))
      errors.sshKey = 'paste a whole private key, from -----BEGIN … PRIVATE KEY----- to its END line';
    else if (!isRemoteRepo(v.repo.trim()))
      errors.sshKey = 'an SSH key is only for a repository given as a URL';
  }
  const gitName = v.gitName.trim();
  const gitEmail = v.gitEmail.trim();
  if (gitName && !gitEmail) errors.gitEmail = 'give an email with the name';
  if (gitEmail && !gitName) errors.gitName = 'give a name with the email';
  if (gitEmail && !/^[^\s@<>]+@[^\s@<>]+$/.test(gitEmail))
    errors.gitEmail = 'an address like name@example.com';
  const cpus = v.cpus.trim() ? Number(v.cpus) : undefined;
  const { min, max } = LIMIT_BOUNDS.cpus;
  if (cpus !== undefined && !cpusInBounds(cpus)) errors.cpus = `a number of CPUs between ${min} and ${max}`;
  const memoryBytes = v.memory.trim() ? parseBytes(v.memory) : undefined;
  if (memoryBytes === null) errors.memory = 'a size such as 512m or 2g';
  const idle = v.idleTimeout.trim() ? idleTimeoutOf(v.idleTimeout) : undefined;
  if (idle && 'error' in idle) errors.idleTimeout = idle.error;
  const idleTimeoutSeconds = idle && 'seconds' in idle ? idle.seconds : undefined;
  if (v.prompt.trim() && !v.agent) errors.prompt = 'a prompt is for an agent: choose one above';
  const previewPort = v.preview && v.previewPort.trim() ? Number(v.previewPort) : undefined;
  if (
    previewPort !== undefined &&
    !(Number.isInteger(previewPort) && previewPort >= 1 && previewPort <= 65535)
  ) {
    errors.previewPort = 'a port between 1 and 65535';
  }
  const allow = takesAllow(v.egress) ? allowOf(v.allow) : [];
  const parsedEnv = envFromRows(env);
  if ('error' in parsedEnv) errors.env = parsedEnv.error;
  if (Object.keys(errors).length > 0 || 'error' in parsedEnv) return { errors };
  const request: CreateSessionRequest = {
    name: v.name.trim(),
    repo: v.repo.trim(),
    ...(v.branch.trim() ? { branch: v.branch.trim() } : {}),
    ...(v.image.trim() ? { image: v.image.trim() } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memoryBytes != null ? { memoryBytes } : {}),
    ...(Object.keys(parsedEnv.env).length > 0 ? { env: parsedEnv.env } : {}),
    ...(v.description.trim() ? { description: v.description.trim() } : {}),
    ...(v.team ? { team: v.team } : {}),
    ...(sshKey ? { sshKey: `${sshKey}\n` } : {}),
    ...(gitName && gitEmail ? { gitUser: { name: gitName, email: gitEmail } } : {}),
    ...(v.agent ? { agent: v.agent } : {}),
    ...(v.agent && v.prompt.trim() ? { prompt: v.prompt.trim() } : {}),
    ...(v.agent ? { autonomy: v.autonomy } : {}),
    ...(v.preview
      ? {
          preview:
            v.previewCommand.trim() || previewPort !== undefined
              ? {
                  ...(v.previewCommand.trim() ? { command: ['sh', '-c', v.previewCommand.trim()] } : {}),
                  ...(previewPort !== undefined ? { port: previewPort } : {}),
                }
              : true,
        }
      : {}),
    ...(idleTimeoutSeconds != null ? { idleTimeoutSeconds } : {}),
    ...(v.idleAction === 'pause' || v.idleAction === 'stop' ? { idleAction: v.idleAction } : {}),
    ...(v.egress ? { egress: v.egress } : {}),
    ...(allow.length > 0 ? { allow } : {}),
  };
  return { request };
}

/** One environment variable row of the form. */
export interface EnvRow {
  id: number;
  key: string;
  value: string;
}

/** The rows as the API's `env`, or a message saying what is wrong with them. */
export function envFromRows(rows: EnvRow[]): { env: Record<string, string> } | { error: string } {
  const env: Record<string, string> = {};
  for (const r of rows) {
    const key = r.key.trim();
    if (!key && !r.value) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      return {
        error: `“${key || '(empty)'}” is not a variable name: letters, digits and _, not starting with a digit`,
      };
    }
    if (key in env) return { error: `${key} is set twice` };
    env[key] = r.value;
  }
  return { env };
}
