import {
  API_PREFIX,
  MAX_WAIT_SECONDS,
  SendPromptRequest,
  Session,
  SessionRef,
  WAITABLE_STATES,
  type WaitableState,
  WaitForAgentRequest,
  WaitForAgentResponse,
} from '@berth/api';
import { type Core, IllegalTransition } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionAccess } from '../auth/session-access.js';
import { hideHostPathsFromMembers } from '../host-paths.js';
import { noteActivity } from './activity.js';

const doc = (operationId: string, summary: string, description: string) => ({
  tags: ['sessions'],
  operationId,
  summary,
  description,
});

/**
 * Driving a running agent: its next prompt, and a long-poll until it is done, needs a person or
 * has exited. Thin: validated here, done by core's agent sessions.
 */
export const agentPromptRoutes: FastifyPluginAsyncTypebox<{ core: Core; access: SessionAccess }> = async (
  app,
  { core, access },
) => {
  const base = `${API_PREFIX}/sessions/:name`;

  app.addHook('preSerialization', hideHostPathsFromMembers);
  // As on every session route: a session this principal may not see is answered as absent.
  app.addHook('preHandler', async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name === undefined) return;
    await access.assertVisible(req.principal, name);
    if (req.routeOptions.config?.idleNeutral !== true) await noteActivity(core, name, req.log);
  });

  // Waits still open when the server closes are answered at once (as timed out), so a drain
  // does not hold on to them; the client asks again of the next daemon.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.post(
    `${base}/send`,
    {
      config: { audit: 'session.send' },
      schema: {
        ...doc(
          'sendPrompt',
          "Type the next prompt into a running session's agent",
          'The text goes into the agent’s terminal as one bracketed paste, then Enter, and the agent ' +
            'counts as `working`. A session that runs no agent, or is not running, is refused (409).',
        ),
        params: SessionRef,
        body: SendPromptRequest,
        response: { 200: Session },
      },
    },
    async (req) => {
      const s = await core.service.get(req.params.name);
      await core.agents.send(s, req.body.text);
      return core.service.get(s.id);
    },
  );

  app.post(
    `${base}/wait`,
    {
      // Waiting on an agent is not working in its session: it does not keep it from idling.
      config: { idleNeutral: true },
      schema: {
        ...doc(
          'waitForAgent',
          "Wait until a session's agent is idle, needs input or has exited (long-poll)",
          `Answers as soon as the agent is in one of \`for\` (default all three; now, or later), or ` +
            `after \`timeoutSeconds\` (default and at most ${MAX_WAIT_SECONDS}) with \`reached: "timeout"\`: ` +
            'ask again to wait longer. A session that stops running counts as `exited`.',
        ),
        params: SessionRef,
        body: WaitForAgentRequest,
        response: { 200: WaitForAgentResponse },
      },
    },
    async (req) => {
      const states: readonly WaitableState[] = req.body.for ?? WAITABLE_STATES;
      const timeoutMs = (req.body.timeoutSeconds ?? MAX_WAIT_SECONDS) * 1000;
      const s = await core.service.get(req.params.name);
      if (s.agent && s.status === 'paused') {
        throw new IllegalTransition(`session '${s.name}' is paused: its agent cannot get anywhere`, {
          hint: `resume it first: \`berth resume ${s.name}\``,
        });
      }
      if (s.agent && s.status !== 'running' && s.status !== 'creating' && !states.includes('exited')) {
        throw new IllegalTransition(`session '${s.name}' is ${s.status}: its agent is not running`, {
          hint: `start it with \`berth start ${s.name}\`, or wait for \`exited\` too`,
        });
      }
      let end = () => {};
      const closing = new Promise<'closing'>((resolve) => {
        end = () => resolve('closing');
        open.add(end);
      });
      try {
        const answer = await Promise.race([core.agents.waitFor(s, states, timeoutMs), closing]);
        if (answer === 'closing')
          return { reached: 'timeout' as const, session: await core.service.get(s.id) };
        return answer;
      } finally {
        open.delete(end);
      }
    },
  );
};
