import { request as httpRequest } from 'node:http';
import type { BerthConfig } from '../config/config.js';
import type { SessionNetworks } from '../egress/session-networks.js';
import { PreviewError } from '../errors/berth-error.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { PortAllocator } from '../ports/port-allocator.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { isTerminal, type LiveSession, type PreviewState } from '../session/session.js';
import type { SessionLedger } from '../session/session-ledger.js';
import type { SessionStore } from '../store/store.js';
import { stripControl } from '../workspace/host-git.js';
import { type ForwardTarget, PortForwarder } from './port-forwarder.js';
import {
  DETECT_SCRIPT,
  type PreviewPlan,
  type PreviewRequest,
  type ProjectFacts,
  parseProjectFacts,
  planPreview,
  requireProjectRuntime,
} from './project-detection.js';

/** The dev server's output, inside the session: `berth exec NAME -- cat /tmp/berth-preview.log`. */
export const PREVIEW_LOG = '/tmp/berth-preview.log';
const PREVIEW_PID = '/tmp/berth-preview.pid';

/**
 * Starts the command detached in its own process group (so a restart can end all of it), output
 * to the log; ends the previous one first. Runs as the session's user in /workspace.
 */
const LAUNCH_SCRIPT = `LOG=${PREVIEW_LOG}; PIDF=${PREVIEW_PID}
if [ -f "$PIDF" ]; then
  old=$(cat "$PIDF"); kill -TERM "-$old" 2>/dev/null || kill -TERM "$old" 2>/dev/null
  i=0; while kill -0 "$old" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL "-$old" 2>/dev/null; rm -f "$PIDF"
fi
cd /workspace || exit 3
if command -v setsid >/dev/null 2>&1; then setsid "$@" >"$LOG" 2>&1 </dev/null &
else "$@" >"$LOG" 2>&1 </dev/null &
fi
echo $! > "$PIDF"`;

const ALIVE_SCRIPT = `[ -f ${PREVIEW_PID} ] && kill -0 "$(cat ${PREVIEW_PID})" 2>/dev/null`;

/** node_modules stays out of the session's commits even when the project does not ignore it. */
const EXCLUDE_NODE_MODULES = `mkdir -p .git/info 2>/dev/null && { grep -qx 'node_modules/' .git/info/exclude 2>/dev/null || echo 'node_modules/' >> .git/info/exclude; } ; true`;

export interface PreviewManagerDeps {
  config: BerthConfig;
  store: SessionStore;
  runtime: ContainerRuntime;
  ports: PortAllocator;
  events: EventBus;
  logger: Logger;
  /** Where each session's dev server is reached (directly, or through berth's relay). */
  networks: Pick<SessionNetworks, 'target'>;
  /**
   * Hears of every connection to a preview (activity for the idle timeout), and runs work under the
   * session's own lock, so a health check or a release seen on the event bus never writes over a
   * transition happening at the same time.
   */
  ledger: Pick<SessionLedger, 'noteActivity' | 'withLock'>;
}

type Progress = (step: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True when something answers HTTP at the target (any status). */
export function answersHttp(target: ForwardTarget, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        createConnection: target.dial,
        path: '/',
        method: 'GET',
        timeout: timeoutMs,
        headers: { host: `localhost:${target.port}`, connection: 'close' },
      },
      (res) => {
        // The status line is the answer: a body (of any length a dev server likes) is not read.
        res.destroy();
        resolve(true);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * A session's dev server: detects what to run, installs dependencies, starts it detached inside the
 * container, leases a host port and forwards it, waits until it answers, and health-checks it.
 */
export class PreviewManager {
  private readonly forwarder: PortForwarder;
  private healthTimer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private readonly deps: PreviewManagerDeps) {
    this.forwarder = new PortForwarder((id) => {
      void deps.ledger.noteActivity(id).catch(() => undefined);
    });
  }

  private async run(s: LiveSession, cmd: string[], env: Record<string, string> = {}) {
    return this.deps.runtime.exec(s.containerId, { cmd, user: s.user, workingDir: '/workspace', env });
  }

  /** Detects the project inside the container (the host never reads the untrusted workspace). */
  private async detect(s: LiveSession): Promise<ProjectFacts> {
    const res = await this.run(s, ['sh', '-c', DETECT_SCRIPT]);
    if (res.exitCode !== 0) {
      throw new PreviewError(`could not look at the project of session '${s.name}' (exit ${res.exitCode})`, {
        hint: `check the session answers: \`berth exec ${s.name} -- ls /workspace\``,
      });
    }
    return parseProjectFacts(res.stdout.toString('utf8'));
  }

  /**
   * Runs the preview: with `request` it detects afresh (create, `berth preview --restart`), without it
   * re-runs what the session has (start, restart). On failure it gives back the lease and listener.
   */
  async launch(
    s: LiveSession,
    request: PreviewRequest | null,
    progress: Progress = () => {},
  ): Promise<PreviewState> {
    progress('detecting the project');
    const facts = await this.detect(s);
    let plan: PreviewPlan = planPreview(facts, request ?? {}, s.name);
    if (!request && s.preview) {
      plan = {
        ...plan,
        projectType: s.preview.projectType,
        command: s.preview.command,
        containerPort: s.preview.containerPort,
        env: { HOST: '0.0.0.0', PORT: String(s.preview.containerPort) },
      };
    }
    requireProjectRuntime(plan, facts.bins, { session: s.name, image: s.image });
    try {
      if (plan.needsInstall) {
        progress('installing dependencies (npm install)');
        await this.run(s, ['sh', '-c', EXCLUDE_NODE_MODULES]);
        const res = await this.run(s, ['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error']);
        if (res.exitCode !== 0) {
          throw new PreviewError(
            `npm install failed in session '${s.name}' (exit ${res.exitCode}): ${tail(res.stderr.toString('utf8'))}`,
            { hint: `look with \`berth exec ${s.name} -- npm install\`` },
          );
        }
      }
      progress(`starting the dev server: ${plan.command.join(' ')}`);
      const started = await this.run(
        s,
        ['sh', '-c', LAUNCH_SCRIPT, 'berth-preview', ...plan.command],
        plan.env,
      );
      if (started.exitCode !== 0) {
        throw new PreviewError(`could not start the dev server in session '${s.name}'`, {
          hint: `the session needs sh at /bin/sh; read ${PREVIEW_LOG} with \`berth exec ${s.name} -- cat ${PREVIEW_LOG}\``,
        });
      }
      const target = await this.deps.networks.target(s, plan.containerPort);
      if (!target) throw new PreviewError(`session '${s.name}' has no address on its network`);
      const hostPort = await this.forward(s.id, target);
      progress(`waiting for the preview to answer on port ${plan.containerPort}`);
      await this.waitReady(s, target);
      return {
        projectType: plan.projectType,
        command: plan.command,
        containerPort: plan.containerPort,
        hostPort,
        ready: true,
      };
    } catch (err) {
      await this.release(s.id);
      throw err;
    }
  }

  /** Leases the session's host port (the same one while it holds it) and listens on it. */
  private async forward(sessionId: string, target: ForwardTarget): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const { port } = await this.deps.ports.lease(sessionId);
      try {
        await this.forwarder.open(sessionId, port, target);
        return port;
      } catch (err) {
        // Something outside berth took the port since it was leased: give it up, lease another.
        await this.deps.ports.release(sessionId);
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 4) throw err;
      }
    }
  }

  private async waitReady(s: LiveSession, target: ForwardTarget): Promise<void> {
    const seconds = this.deps.config.previewReadySeconds;
    const deadline = Date.now() + seconds * 1000;
    let nextAliveCheck = Date.now() + 1_000;
    while (Date.now() < deadline) {
      if (await answersHttp(target, Math.min(2_000, Math.max(200, deadline - Date.now())))) return;
      if (Date.now() >= nextAliveCheck) {
        nextAliveCheck = Date.now() + 2_000;
        if ((await this.run(s, ['sh', '-c', ALIVE_SCRIPT])).exitCode !== 0) {
          throw new PreviewError(
            `the dev server of session '${s.name}' exited before it answered: ${await this.logTail(s)}`,
            { hint: `read its log with \`berth exec ${s.name} -- cat ${PREVIEW_LOG}\`` },
          );
        }
      }
      await sleep(300);
    }
    throw new PreviewError(
      `the preview of session '${s.name}' did not answer on port ${target.port} within ${seconds} s: ${await this.logTail(s)}`,
      {
        hint: `read its log with \`berth exec ${s.name} -- cat ${PREVIEW_LOG}\`; check it listens on 0.0.0.0:${target.port} (BERTH_PREVIEW_TIMEOUT waits longer)`,
      },
    );
  }

  private async logTail(s: LiveSession): Promise<string> {
    const res = await this.run(s, ['tail', '-n', '5', PREVIEW_LOG]).catch(() => null);
    const text = res ? tail(res.stdout.toString('utf8')) : '';
    return text || `(nothing in ${PREVIEW_LOG})`;
  }

  /** Closes the listener and gives the port back: on stop, finish, cancel, remove, failure. */
  async release(sessionId: string): Promise<void> {
    await this.forwarder.close(sessionId);
    await this.deps.ports.release(sessionId);
  }

  /** The preview state once its port is given back. */
  static suspended(p: PreviewState | null): PreviewState | null {
    return p ? { ...p, hostPort: null, ready: false } : null;
  }

  /** Where the server's proxy sends a session's preview traffic; null when none runs. */
  upstream(sessionId: string): ForwardTarget | null {
    return this.forwarder.target(sessionId);
  }

  /**
   * At daemon start: running previews get their leased port listened on again (the dev server kept
   * running in its container); leases of sessions that are gone or not running are given back.
   */
  async restoreAll(): Promise<void> {
    const { store, ports, logger } = this.deps;
    const sessions = new Map((await store.list()).map((s) => [s.id, s]));
    for (const lease of await ports.leases()) {
      const s = sessions.get(lease.sessionId);
      if (!s || isTerminal(s.status) || s.status === 'stopped' || !s.preview)
        await this.release(lease.sessionId);
    }
    for (const s of sessions.values()) {
      if (!s.preview || !s.containerId || (s.status !== 'running' && s.status !== 'paused')) continue;
      try {
        const target = await this.deps.networks.target(s, s.preview.containerPort);
        if (!target) continue;
        const hostPort = await this.forward(s.id, target);
        if (hostPort !== s.preview.hostPort) await this.record(s.id, { ...s.preview, hostPort });
      } catch (err) {
        logger.warn({ err, session: s.id }, 'could not reopen a preview');
      }
    }
  }

  /** Probes every forwarded preview every BERTH_PREVIEW_HEALTH_INTERVAL seconds. */
  startHealthChecks(): void {
    if (this.healthTimer) return;
    this.healthTimer = setInterval(() => void this.checkAll(), this.deps.config.previewHealthSeconds * 1000);
    this.healthTimer.unref();
  }

  /** One round of health checks; a change of `ready` is stored and published. */
  async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const id of this.forwarder.sessions()) {
        const target = this.forwarder.target(id);
        if (!target) continue;
        const ready = await answersHttp(target);
        await this.deps.ledger.withLock(id, async () => {
          const s = await this.deps.store.get(id);
          // Only a preview still forwarded and running is recorded: a stop meanwhile wins.
          if (!s?.preview || s.status !== 'running' || this.forwarder.target(id) === null) return;
          if (ready !== s.preview.ready) await this.record(id, { ...s.preview, ready });
        });
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'preview health check failed');
    } finally {
      this.checking = false;
    }
  }

  private async record(id: string, preview: PreviewState): Promise<void> {
    const session = await this.deps.store.update(id, { preview });
    this.deps.events.publish({ type: 'session.updated', session });
  }

  /**
   * A session that stopped or ended without berth asking (its container exited, vanished) gives its
   * port back too. berth's own stop/finish/cancel already did, and record hostPort null.
   */
  watch(): () => void {
    return this.deps.events.subscribe((e) => {
      if (e.type !== 'session.status.changed') return;
      const s = e.session;
      const gone = s.status === 'stopped' || isTerminal(s.status);
      if (!gone || !s.preview || s.preview.hostPort === null) return;
      void this.deps.ledger
        .withLock(s.id, async () => {
          const now = await this.deps.store.get(s.id);
          if (!now?.preview || now.preview.hostPort === null) return;
          if (now.status !== 'stopped' && !isTerminal(now.status)) return; // started again meanwhile
          await this.release(s.id);
          await this.record(s.id, PreviewManager.suspended(now.preview)!);
        })
        .catch((err) => this.deps.logger.warn({ err, session: s.id }, 'could not release a preview port'));
    });
  }

  async close(): Promise<void> {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    await this.forwarder.closeAll();
  }
}

function tail(text: string): string {
  const lines = stripControl(text).trim().split('\n').slice(-5).join(' | ');
  return lines.length > 600 ? `…${lines.slice(-600)}` : lines;
}
