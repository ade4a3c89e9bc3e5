/**
 * The session_create tool: its input schema (every field a session may be created with through
 * MCP, never an SSH key, which only a person gives) and the call that creates the session,
 * reporting each step of the create as an MCP progress notification when the client asked for
 * them.
 */
import { InvalidInput } from '@berth/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { sessionSummary } from './session-views.js';
import { guarded, ok } from './tool-result.js';

export function registerCreateTool(server: McpServer, api: BerthApi, opts: McpOptions): void {
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
}
