/**
 * What an agent session adds to its container: before the container is made, the state volume
 * that is the agent's HOME, its credentials on the host (placeholders for brokered keys), and the
 * mounts and environment the launcher needs; before its first start, the launcher, its argvs and
 * the CLI's seed files put inside. AgentSessions.prepare and install delegate here.
 */
import type { BerthConfig } from '../config/config.js';
import { sessionLabels } from '../runtime/labels.js';
import type { ContainerRuntime, Mount } from '../runtime/runtime.js';
import type { Session } from '../session/session.js';
import type { AgentCredentials } from './agent-credentials.js';
import {
  CREDENTIALS_MOUNT,
  LAUNCHER,
  launcherArchive,
  ownedDirArchive,
  SECRETS_MOUNT,
  TMUX_TMPDIR,
} from './agent-launcher.js';
import { AGENT_HOME, type AgentContainerParts, type AgentPlan, stateVolumeName } from './agent-plan.js';
import { type AgentProfile, firstArgv, resumeArgv, withArgs } from './agent-profile.js';
import { seedArchive } from './agent-seed-setup.js';
import type { AgentStatusTracker } from './agent-status.js';
import { AGENTS_BIN, AGENTS_MOUNT } from './agent-tools.js';
import type { AgentToolsVolume, ToolsProgress } from './agent-tools-volume.js';
import { type BrokerKeys, brokeredBaseUrlEnv } from './broker-keys.js';
import type { CredentialOwner } from './credential-owner.js';
import type { CredentialRefresh } from './credential-refresh.js';

export interface AgentContainerDeps {
  config: BerthConfig;
  runtime: ContainerRuntime;
  credentials: AgentCredentials;
  status: AgentStatusTracker;
  tools: AgentToolsVolume;
  refresh: CredentialRefresh;
  keys: BrokerKeys;
  /** Whose credentials the session's owner chain gives now, for a plan that does not say. */
  ownerFromChain: (session: Session, profile: string) => Promise<CredentialOwner>;
}

/** Makes the state volume and puts the credentials on the host; returns the container's parts. */
export async function prepareAgentContainer(
  deps: AgentContainerDeps,
  session: Session,
  plan: AgentPlan,
  progress: ToolsProgress = () => {},
): Promise<AgentContainerParts> {
  const { config, runtime, credentials, keys, tools } = deps;
  const [uid, gid] = session.user.split(':').map(Number) as [number, number];
  const volume = stateVolumeName(session.id);
  await runtime.createVolume(
    volume,
    sessionLabels({ sessionId: session.id, sessionName: session.name, home: config.home }),
  );
  const brokered = plan.brokered ?? [];
  const owner = plan.owner ?? (await deps.ownerFromChain(session, plan.profile.name));
  await keys.enrol(session.id, brokered);
  await credentials.materialise(
    session.id,
    plan.profile.name,
    uid,
    gid,
    await keys.placeholders(session.id, brokered),
    owner,
  );
  const paths = credentials.paths(session.id);
  const mounts: Mount[] = [
    { type: 'volume', source: volume, target: AGENT_HOME, readOnly: false },
    { source: paths.keys, target: SECRETS_MOUNT, readOnly: true },
  ];
  const statusMount = await deps.status.prepare(session.id, uid, gid);
  mounts.push(statusMount);
  const writableDirs = [statusMount.source];
  const refreshMount = await deps.refresh.prepare(
    session.id,
    plan.profile.name,
    refreshNames(plan.profile),
    uid,
    gid,
    owner,
  );
  if (refreshMount) {
    mounts.push(refreshMount);
    writableDirs.push(refreshMount.source);
  }
  const env: Record<string, string> = {};
  // Every agent session gets the agents once they are installed; one whose command is there installs them.
  if (plan.tools && (plan.tools.needed ? await tools.ensure(progress) : await tools.installed())) {
    mounts.push({ type: 'volume', source: tools.name, target: AGENTS_MOUNT, readOnly: true });
    env.PATH = `${AGENTS_BIN}:${plan.tools.imagePath}`;
  }
  const dir = plan.profile.credentials.dir;
  // Only a directory that was set up is mounted: an empty read-only one would only break the agent.
  if (dir && (await credentials.hasDir(plan.profile.name, owner))) {
    mounts.push({
      source: paths.dir,
      target: dir.mode === 'link' ? CREDENTIALS_MOUNT : dir.to,
      readOnly: true,
    });
  }
  return {
    mounts,
    secretDirs: [paths.keys, paths.dir],
    writableDirs,
    env: {
      ...env,
      ...plan.seed?.env,
      ...plan.profile.env,
      ...brokeredBaseUrlEnv(plan.profile, brokered, plan.brokerOrigin),
      HOME: AGENT_HOME,
      TMUX_TMPDIR,
      BERTH_AGENT: plan.profile.name,
    },
    command: ['sh', LAUNCHER, 'boot'],
  };
}

/** Before the first start: the launcher and argvs into `/`, the state volume's root to the session's user. */
export async function installAgent(
  runtime: ContainerRuntime,
  containerId: string,
  session: Session,
  plan: AgentPlan,
): Promise<void> {
  const [uid, gid] = session.user.split(':').map(Number) as [number, number];
  const args = plan.seed?.args ?? [];
  await runtime.putArchive(
    containerId,
    '/',
    await launcherArchive({
      first: withArgs(firstArgv(plan.profile, plan.prompt), args),
      resume: withArgs(resumeArgv(plan.profile), args),
      prompt: plan.prompt,
      linkCredentialsTo:
        plan.profile.credentials.dir?.mode === 'link' ? plan.profile.credentials.dir.to : null,
      withheldEnv: plan.seed?.withheldEnv ?? [],
      guessStatus: plan.statusSource === 'guess',
      // Neither says anything as it takes the prompt it started with (Claude Code's
      // UserPromptSubmit is for typed prompts); Claude Code's SessionStart says when it is ready.
      signalOnStart:
        plan.profile.seed === 'codex' ? 'always' : plan.profile.seed === 'claude' ? 'prompt' : null,
    }),
  );
  await runtime.putArchive(containerId, '/', await ownedDirArchive(AGENT_HOME.slice(1), uid, gid));
  if (plan.seed?.files.length) {
    await runtime.putArchive(containerId, '/', await seedArchive(plan.seed.files, uid, gid));
  }
}

/** A profile's refreshable login files: only in `link` mode, where the launcher links them. */
export function refreshNames(p: AgentProfile): string[] {
  const dir = p.credentials.dir;
  return dir?.mode === 'link' ? (dir.refresh ?? []) : [];
}
