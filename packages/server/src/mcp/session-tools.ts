import { ApiError, MAX_WAIT_SECONDS, type PreviewTicket, type Session, WAITABLE_STATES } from '@berth/api';
import { InvalidInput } from '@berth/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { clipText, guarded, ok } from './tool-result.js';

/** Bytes of stdout, stderr or a diff a tool shows at most. */
export const OUTPUT_LIMIT = 256 * 1024;
const DIFF_LIMIT = 512 * 1024;

const STATUSES = ['creating', 'running', 'paused', 'stopped', 'finished', 'cancelled', 'failed'] as const;

export const sessionName = z
  .string()
  .min(1)
  .max(128)
  .describe('The session’s name (or id), as session_list shows it');

/** What a tool tells about a session: never its env (it may carry secrets) nor host paths. */
export function sessionSummary(s: Session) {
  return {
    name: s.name,
    id: s.id,
    status: s.status,
    statusReason: s.statusReason,
    description: s.description,
    kind: s.kind,
    agent: s.agent,
    task: s.task,
    agentStatus: s.agentStatus,
    agentStatusSince: s.agentStatusSince,
    agentExitCode: s.agentExitCode,
    repo: s.repo,
    branch: s.branch,
    baseBranch: s.baseBranch,
    baseCommit: s.baseCommit,
    image: s.image,
    preview: s.preview,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

function sessionDetail(s: Session) {
  return {
    ...sessionSummary(s),
    remote: s.remote,
    runtime: s.runtime,
    limits: s.limits,
    idle: s.idle,
    lastActivityAt: s.lastActivityAt,
    gitUser: s.gitUser,
    hasContainer: s.containerId !== null,
  };
}

/** The URLs a session's preview answers at, or a refusal that says why there are none. */
export function previewUrls(s: Session, host: string): string[] {
  if (!s.preview) {
    throw new InvalidInput(`session '${s.name}' has no preview running`, {
      hint: 'previews start with the session when berth knows how to serve its project; run your server with session_exec meanwhile',
    });
  }
  if (s.preview.hostPort === null) {
    throw new InvalidInput(
      `the preview of session '${s.name}' has no port on the host yet (it is ${s.status})`,
      {
        hint: s.status === 'running' ? 'try again in a moment' : 'start the session first',
      },
    );
  }
  // The host port listens on the server's loopback and answers to loopback names only (DNS
  // rebinding): another name would only be refused. From elsewhere, the link through the server.
  const h = host === 'localhost' || host === '::1' ? (host === '::1' ? '[::1]' : host) : '127.0.0.1';
  return [`http://${h}:${s.preview.hostPort}/`];
}

/**
 * A single-use ticket link to the preview through the berth server, or null when the server does
 * not listen on TCP (the API refuses a ticket then, as invalid input: there is no address to give).
 */
async function throughServer(api: BerthApi, name: string): Promise<PreviewTicket | null> {
  try {
    return await api.previewTicket(name);
  } catch (err) {
    if (err instanceof ApiError && err.problem.code === 'invalid_input') return null;
    throw err;
  }
}

/**
 * How long wait_for_agent holds by default: under the minute many MCP clients give a tool call
 * (the SDK's own default), so the call answers `timeout` before the client gives up on it.
 */
export const MCP_WAIT_DEFAULT_SECONDS = 50;

/** One line about where an agent is: `fix-login: idle`, `… exited (code 1)`. */
function agentLine(s: Session, reached: string): string {
  if (reached === 'timeout') return `${s.name}: ${s.agentStatus ?? 'no agent status'} (timed out waiting)`;
  if (reached === 'exited')
    return `${s.name}: exited${s.agentExitCode === null ? '' : ` (code ${s.agentExitCode})`}`;
  if (reached === 'needs-input')
    return `${s.name}: needs-input (a person answers it with \`berth attach ${s.name}\`)`;
  return `${s.name}: ${reached}`;
}

export function registerSessionTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  server.registerTool(
    'session_list',
    {
      title: 'List sessions',
      description:
        'List berth sessions (isolated containers, each with its own git branch of a repository). ' +
        'Optionally only those with the given statuses.',
      inputSchema: {
        status: z.array(z.enum(STATUSES)).optional().describe('Only sessions in these statuses'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ status }) =>
      guarded(async () => {
        const wanted = status && status.length > 0 ? new Set<string>(status) : null;
        const sessions = (await api.listSessions()).filter((s) => !wanted || wanted.has(s.status));
        return ok({ sessions: sessions.map(sessionSummary) });
      }, opts),
  );

  server.registerTool(
    'session_get',
    {
      title: 'Show a session',
      description: 'One session in detail: status, branch, base commit, limits, preview.',
      inputSchema: { name: sessionName },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) => guarded(async () => ok(sessionDetail(await api.getSession(name))), opts),
  );

  server.registerTool(
    'session_create',
    {
      title: 'Create a session',
      description:
        'Create and start a session: a container with a working copy of a git repository at /workspace, ' +
        'on a new branch `berth/<name>` made from `branch` (default: the repository’s current branch). ' +
        'Work in it with session_exec and the file tools, review with session_diff, then session_finish. ' +
        'With `agent` (a profile from the berth host’s config) and/or `prompt`, a coding agent runs in the ' +
        'session on that task (the default agent when only `prompt` is given); `name` may then be left ' +
        'out and berth makes one up (returned as `name`). Follow its work with session_diff. ' +
        'An ssh remote that needs a key takes it from a person (`berth new --ssh-key`), never through this tool.',
      inputSchema: {
        name: z
          .string()
          .min(1)
          .max(63)
          .optional()
          .describe(
            'Lowercase letters, digits and dashes, e.g. `fix-login`; becomes the branch berth/<name>. ' +
              'Required unless `agent` or `prompt` is given',
          ),
        repo: z
          .string()
          .min(1)
          .max(4096)
          .describe(
            'A git repository: its path on the berth host, or a URL (https://…, ssh://…, git@host:org/repo.git)',
          ),
        branch: z.string().min(1).max(255).optional().describe('Base branch (default: the current one)'),
        description: z.string().max(2000).optional().describe('What the session is for'),
        image: z
          .string()
          .min(1)
          .max(512)
          .optional()
          .describe('Container image (default: berth’s session image)'),
        team: z.string().min(1).max(64).optional().describe('Share the session with this team'),
        cpus: z.number().positive().max(256).optional().describe('CPU limit'),
        memoryBytes: z
          .number()
          .int()
          .min(6 * 1024 * 1024)
          .optional()
          .describe('Memory limit in bytes'),
        gitUser: z
          .object({ name: z.string().min(1).max(200), email: z.string().min(3).max(254) })
          .optional()
          .describe('Who the session’s commits are by'),
        kind: z
          .enum(['shell', 'agent', 'preview'])
          .optional()
          .describe('What the session is for; sets its default limits and idle timeout'),
        pids: z.number().int().min(16).max(1_000_000).optional().describe('Process limit'),
        runtime: z
          .enum(['runc', 'gvisor'])
          .optional()
          .describe('gvisor isolates the session more strongly, where the engine has it'),
        idleTimeoutSeconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 86_400)
          .optional()
          .describe('Seconds without activity before the session is paused or stopped; 0 never'),
        idleAction: z.enum(['pause', 'stop']).optional().describe('What happens when it idles'),
        agent: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .describe('Run this agent profile (e.g. `claude`, `codex`) as the session’s main process'),
        prompt: z
          .string()
          .max(65536)
          .optional()
          .describe('The agent’s task, its first prompt (passed to it as one argument, never to a shell)'),
        preview: z
          .boolean()
          .optional()
          .describe('Also run the project’s dev server; preview_url then tells where it answers'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    (args, extra) =>
      guarded(async () => {
        const token = extra._meta?.progressToken;
        let step = 0;
        const onProgress = (message: string) => {
          if (token === undefined) return;
          step++;
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: step, message },
            })
            .catch(() => undefined);
        };
        const { repo, ...optional } = args;
        if (args.name === undefined && args.agent === undefined && args.prompt === undefined) {
          throw new InvalidInput('a session needs a name unless an agent runs in it', {
            hint: 'give `name` (e.g. `fix-login`), or `agent` and `prompt` to have berth make one up',
          });
        }
        const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
        const s = await api.createSession({ repo, ...defined }, onProgress);
        return ok(sessionSummary(s));
      }, opts),
  );

  server.registerTool(
    'session_exec',
    {
      title: 'Run a command in a session',
      description:
        'Run a command in the session’s /workspace as its user and wait for it. `cmd` is an argument ' +
        'list, not a shell line: use ["sh", "-c", "…"] for pipes and redirections. A non-zero exit ' +
        'code is a result, not an error.',
      inputSchema: {
        name: sessionName,
        cmd: z.array(z.string().max(131072)).min(1).max(4096).describe('Command and arguments'),
        stdin: z
          .string()
          .max(8 * 1024 * 1024)
          .optional()
          .describe('Text for the command’s stdin'),
      },
      outputSchema: {
        exitCode: z.number().int(),
        stdout: z.string(),
        stderr: z.string(),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
    ({ name, cmd, stdin }) =>
      guarded(async () => {
        const r = await api.exec(name, cmd, stdin === undefined ? undefined : Buffer.from(stdin, 'utf8'));
        const advice = 'redirect the output to a file and read parts of it';
        const out = clipText(r.stdout, OUTPUT_LIMIT, advice);
        const err = clipText(r.stderr, OUTPUT_LIMIT, advice);
        return ok({
          exitCode: r.exitCode,
          stdout: out.text,
          stderr: err.text,
          truncated: r.truncated || out.truncated || err.truncated,
        });
      }, opts),
  );

  server.registerTool(
    'session_diff',
    {
      title: 'Show a session’s changes',
      description:
        'The session branch against its base commit as a unified diff, uncommitted work included ' +
        '(new files too).',
      inputSchema: { name: sessionName },
      outputSchema: { base: z.string(), head: z.string(), diff: z.string(), truncated: z.boolean() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const d = await api.diff(name);
        const clipped = clipText(
          Buffer.from(d.diff, 'utf8'),
          DIFF_LIMIT,
          'see single files with git in session_exec',
        );
        return ok(
          { base: d.base, head: d.head, diff: clipped.text, truncated: clipped.truncated },
          clipped.text === '' ? `no changes against ${d.base.slice(0, 12)}` : clipped.text,
        );
      }, opts),
  );

  server.registerTool(
    'session_egress',
    {
      title: 'Show what a session may reach',
      description:
        'The session’s egress policy (mode `allowlist`, `open` or `none`, and its allow-list; null for a ' +
        'session made before berth filtered egress, on the shared network) and the connections berth’s ' +
        'egress proxy allowed and refused, the most recently seen first. Use it when a download or a ' +
        'request fails in the session.',
      inputSchema: { name: sessionName },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const r = await api.egress(name);
        const head = !r.egress
          ? 'unfiltered: made before berth filtered egress, on the shared network; a new session is filtered'
          : r.egress.mode === 'allowlist'
            ? `egress: allowlist (${r.egress.allow.join(', ') || 'empty'})`
            : `egress: ${r.egress.mode}`;
        const lines = [
          head,
          ...r.decisions.map(
            (d) =>
              `${d.allowed ? 'allowed' : 'refused'} ${d.port === 0 ? d.host : `${d.host}:${d.port}`} ×${d.count}: ${d.reason} (last ${d.lastAt})`,
          ),
        ];
        if (r.egress && r.decisions.length === 0) lines.push('no connections decided yet');
        return ok({ egress: r.egress, decisions: r.decisions }, lines.join('\n'));
      }, opts),
  );

  server.registerTool(
    'session_finish',
    {
      title: 'Finish a session',
      description:
        'Commit all changes onto the session branch `berth/<name>` with this message, then remove the ' +
        'container and working copy. The branch stays in the repository for review; push and merge ' +
        'are optional. A merge conflict or a failed push changes nothing and the session keeps running.',
      inputSchema: {
        name: sessionName,
        message: z.string().min(1).max(65536).describe('The commit message'),
        push: z.boolean().optional().describe('Also push berth/<name> to the session’s remote'),
        merge: z
          .boolean()
          .optional()
          .describe('Also merge berth/<name> into the base branch (a remote session needs push too)'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ name, message, push, merge }) =>
      guarded(async () => {
        const flags = { ...(push !== undefined ? { push } : {}), ...(merge !== undefined ? { merge } : {}) };
        return ok(sessionSummary(await api.finish(name, message, flags)));
      }, opts),
  );

  server.registerTool(
    'session_cancel',
    {
      title: 'Cancel a session',
      description: 'Throw a session’s work away: remove its container, working copy and branch.',
      inputSchema: { name: sessionName },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ name }) => guarded(async () => ok(sessionSummary(await api.act(name, 'cancel'))), opts),
  );

  server.registerTool(
    'preview_url',
    {
      title: 'Preview URLs of a session',
      description:
        'Where the session’s web preview answers, when it has one running. `urls` are its port on the ' +
        'berth host (reachable from where that port is). When the berth server listens on TCP, ' +
        '`viaServer.url` is also a link through the server, for a browser anywhere that reaches berth: ' +
        'it is single-use and short-lived (it expires at `viaServer.expiresAt`, about a minute) — open it ' +
        'once, right away; the browser then keeps access to `viaServer.origin` with a cookie. Call this ' +
        'tool again for a fresh link.',
      inputSchema: { name: sessionName },
      outputSchema: {
        name: z.string(),
        urls: z.array(z.string()),
        viaServer: z.object({ url: z.string(), origin: z.string(), expiresAt: z.string() }).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const s = await api.getSession(name);
        const urls = previewUrls(s, opts.previewHost);
        const viaServer = await throughServer(api, s.name);
        const lines = [
          ...urls,
          ...(viaServer
            ? [
                `${viaServer.url}\n(single-use link through the berth server, valid until ${viaServer.expiresAt}; then ${viaServer.origin})`,
              ]
            : []),
        ];
        return ok({ name: s.name, urls, ...(viaServer ? { viaServer } : {}) }, lines.join('\n'));
      }, opts),
  );

  server.registerTool(
    'send_prompt',
    {
      title: 'Send an agent its next prompt',
      description:
        'Type `text` into a running agent session’s agent as its next prompt (one paste, then Enter), as ' +
        'a person at its terminal would. It then counts as working: wait_for_agent tells when its turn is ' +
        'done. Refused for a session that runs no agent or is not running.',
      inputSchema: {
        session: sessionName,
        text: z.string().min(1).max(65536).describe('The prompt: plain text, never run by a shell'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ session, text }) =>
      guarded(async () => {
        const s = await api.sendPrompt(session, text);
        return ok(sessionSummary(s), `sent to ${s.name}: its agent is ${s.agentStatus ?? 'starting'}`);
      }, opts),
  );

  server.registerTool(
    'wait_for_agent',
    {
      title: 'Wait for an agent',
      description:
        'Wait until an agent session’s agent is in one of `for` (default: idle, needs-input, exited): ' +
        '`idle` means its turn is done, `needs-input` that it waits for a person, `exited` that its ' +
        'process ended. Answers at once when it already is. After `timeout_seconds` it answers ' +
        '`reached: "timeout"` with what the agent is doing: call again to wait longer.',
      inputSchema: {
        session: sessionName,
        for: z
          .array(z.enum(WAITABLE_STATES))
          .min(1)
          .max(3)
          .optional()
          .describe('The states to wait for (default all three)'),
        timeout_seconds: z
          .number()
          .int()
          .min(1)
          .max(MAX_WAIT_SECONDS)
          .optional()
          .describe(
            `How long to wait at most (default ${MCP_WAIT_DEFAULT_SECONDS}, at most ${MAX_WAIT_SECONDS})`,
          ),
      },
      outputSchema: {
        reached: z.enum([...WAITABLE_STATES, 'timeout']),
        session: z.record(z.string(), z.unknown()),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ session, for: states, timeout_seconds }) =>
      guarded(async () => {
        const r = await api.waitForAgent(session, {
          ...(states ? { for: states } : {}),
          timeoutSeconds: timeout_seconds ?? MCP_WAIT_DEFAULT_SECONDS,
        });
        return ok(
          { reached: r.reached, session: sessionSummary(r.session) },
          agentLine(r.session, r.reached),
        );
      }, opts),
  );
}
