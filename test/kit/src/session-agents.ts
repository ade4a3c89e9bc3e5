import type { AgentState } from '@berth/api/agent-status';
import { type Core, DockerRuntime } from '@berth/core';
import { onTestFinished } from 'vitest';
import { docker } from './fixtures.js';
import { type RefusingProxy, refusingProxy } from './model-api/refusing-proxy.js';
import type { ScriptedTurn } from './model-api/script.js';

export { SESSION_IMAGE } from './fixtures.js';

/**
 * The address on this host that a session container reaches: its network's gateway (FIELD
 * facts: a container reaches a server on the host there). Scripted model APIs listen on it.
 */
export async function sessionGateway(core: Core): Promise<string> {
  return networkGateway(core.runtime, core.config.sessionNetwork);
}

/** The gateway of berth's session network `name`, made as berth makes it if it is not there yet. */
export async function networkGateway(
  runtime: Pick<Core['runtime'], 'ensureSessionNetwork'> = new DockerRuntime({ home: '/nonexistent' }),
  name = 'berth-sessions',
): Promise<string> {
  await runtime.ensureSessionNetwork(name);
  const info = await docker.getNetwork(name).inspect();
  const gateway = (info.IPAM?.Config ?? []).map((c: { Gateway?: string }) => c.Gateway).find(Boolean);
  if (!gateway) throw new Error(`network ${name} has no gateway`);
  return gateway;
}

/**
 * A proxy on the gateway that refuses and records every attempt: handed to the session as its
 * HTTP(S)_PROXY, with the scripted API's address exempt, it shows any host the agent tries
 * besides the scripted API (the session network itself would let it through).
 */
export async function sessionProxy(
  gateway: string,
): Promise<{ proxy: RefusingProxy; env: Record<string, string> }> {
  const proxy = await refusingProxy({ host: gateway });
  onTestFinished(() => proxy.close());
  const env = {
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    https_proxy: proxy.url,
    http_proxy: proxy.url,
    // The container's own loopback too, as any proxy setting has it (Codex talks to itself there).
    NO_PROXY: `${gateway},127.0.0.1,localhost`,
    no_proxy: `${gateway},127.0.0.1,localhost`,
  };
  return { proxy, env };
}

/**
 * The hosts a filtered session tried to reach through berth's egress proxy, allowed or not, as
 * berth itself records them (`berth egress NAME`): its agent talks to the key broker through the
 * relay, so a seeded agent that phones nowhere else leaves none.
 */
export async function egressTried(core: Core, sessionName: string): Promise<string[]> {
  const s = await core.service.get(sessionName);
  return (await core.egressLog.report(s.id)).decisions.map((d) => d.host);
}

/** Every agentStatus a session goes through from now on, in order (the events berth publishes). */
export function recordStatuses(core: Core, sessionName: string): AgentState[] {
  const seen: AgentState[] = [];
  const stop = core.events.subscribe((e) => {
    if (e.type === 'agent.status.changed' && e.session.name === sessionName) seen.push(e.to);
  });
  onTestFinished(stop);
  return seen;
}

/** Each agent's own tools writing /workspace/hello.txt and running `echo ran > ran.txt`. */
const WRITE_AND_RUN = {
  claude: [
    { name: 'Write', input: { file_path: '/workspace/hello.txt', content: 'hello from the script\n' } },
    { name: 'Bash', input: { command: 'echo ran > ran.txt', description: 'Record the run' } },
  ],
  codex: [
    { name: 'exec_command', input: { cmd: "printf 'hello from the script\\n' > hello.txt" } },
    { name: 'exec_command', input: { cmd: 'echo ran > ran.txt' } },
  ],
};

/**
 * The script the session tests give Claude Code and Codex: the task's tool calls, the turn that
 * ends it, the answer to a second prompt, and the answer after a restart.
 */
export function writeAndRunTurns(agent: keyof typeof WRITE_AND_RUN): ScriptedTurn[] {
  return [
    { text: 'Writing the file.', toolCalls: WRITE_AND_RUN[agent] },
    { text: 'All done: hello.txt is there.' },
    { text: 'Before, I wrote hello.txt.' },
    { text: 'Resumed: hello.txt was my work.' },
  ];
}
