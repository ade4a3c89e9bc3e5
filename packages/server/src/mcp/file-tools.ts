import { InvalidInput } from '@berth/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { sessionName } from './session-views.js';
import { guarded, ok } from './tool-result.js';
import {
  LIST_LIMIT,
  listWorkspace,
  READ_LIMIT,
  readWorkspaceFile,
  WRITE_LIMIT,
  writeWorkspaceFile,
} from './workspace-files.js';

const filePath = z
  .string()
  .min(1)
  .max(4096)
  .describe('A path relative to /workspace (`src/app.ts`) or absolute under it; `..` is refused');
const encoding = z
  .enum(['utf8', 'base64'])
  .optional()
  .describe('utf8 (the default) for text, base64 for any bytes');

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function registerFileTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  const exec = api.exec.bind(api);

  server.registerTool(
    'file_read',
    {
      title: 'Read a file in a session',
      description: `Read a file of the session’s /workspace (at most ${READ_LIMIT} bytes; longer files are cut and say so). Symlinks are followed only while they stay inside /workspace.`,
      inputSchema: { name: sessionName, path: filePath, encoding },
      outputSchema: {
        path: z.string(),
        size: z.number().int(),
        encoding: z.enum(['utf8', 'base64']),
        content: z.string(),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name, path, encoding }) =>
      guarded(async () => {
        const r = await readWorkspaceFile(exec, name, path);
        let content: string;
        if (encoding === 'base64') {
          content = r.bytes.toString('base64');
        } else {
          try {
            content = utf8.decode(r.truncated ? trimPartialChar(r.bytes) : r.bytes);
          } catch {
            throw new InvalidInput(`'${r.path}' is not UTF-8 text`, {
              hint: 'read it with encoding: "base64"',
            });
          }
        }
        const data = {
          path: r.path,
          size: r.size,
          encoding: encoding ?? 'utf8',
          content,
          truncated: r.truncated,
        };
        const note = r.truncated ? `\n[… cut at ${r.bytes.length} of ${r.size} bytes]` : '';
        return ok(data, encoding === 'base64' ? undefined : `${content}${note}`);
      }, opts),
  );

  server.registerTool(
    'file_write',
    {
      title: 'Write a file in a session',
      description: `Create or replace a file in the session’s /workspace (at most ${WRITE_LIMIT} bytes), as the session’s user. Missing folders are made unless createDirs is false. Writing through a symlink that leads outside /workspace is refused.`,
      inputSchema: {
        name: sessionName,
        path: filePath,
        content: z
          .string()
          .max(12 * 1024 * 1024)
          .describe('The whole new content'),
        encoding,
        createDirs: z.boolean().optional().describe('Make missing parent folders (default true)'),
      },
      outputSchema: { path: z.string(), size: z.number().int() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ name, path, content, encoding, createDirs }) =>
      guarded(async () => {
        const bytes = Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8');
        const r = await writeWorkspaceFile(exec, name, path, bytes, { createDirs: createDirs !== false });
        return ok(r, `wrote ${r.size} bytes to ${r.path}`);
      }, opts),
  );

  server.registerTool(
    'file_list',
    {
      title: 'List files in a session',
      description: `List a folder of the session’s /workspace (default: its top), to \`depth\` levels (default 1, at most 10; at most ${LIST_LIMIT} entries). Folders end with "/", symlinks with "@". .git is left out.`,
      inputSchema: {
        name: sessionName,
        path: filePath.optional().describe('A folder relative to /workspace (default: /workspace itself)'),
        depth: z.number().int().min(1).max(10).optional().describe('How many levels down (default 1)'),
      },
      outputSchema: {
        path: z.string(),
        entries: z.array(z.object({ path: z.string(), type: z.enum(['dir', 'symlink', 'file']) })),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name, path, depth }) =>
      guarded(async () => {
        const r = await listWorkspace(exec, name, path ?? '.', depth ?? 1);
        const mark = { dir: '/', symlink: '@', file: '' } as const;
        const lines = r.entries.map((e) => `${e.path}${mark[e.type]}`);
        if (r.truncated) lines.push(`[… more than ${LIST_LIMIT} entries; list a subfolder]`);
        return ok({ ...r }, lines.length > 0 ? lines.join('\n') : `${r.path} is empty`);
      }, opts),
  );
}

/** A cut read may end inside a UTF-8 sequence: drop that partial character. */
function trimPartialChar(b: Buffer): Buffer {
  let i = b.length;
  let back = 0;
  while (i > 0 && back < 4 && ((b[i - 1] ?? 0) & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return b;
  const lead = b[i - 1] ?? 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > back + 1 ? b.subarray(0, i - 1) : b;
}
