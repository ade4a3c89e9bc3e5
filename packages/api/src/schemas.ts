import { type Static, Type } from 'typebox';
import { LIMIT_BOUNDS } from './limits.js';

/** The contract: every request, response and error the server speaks, defined once. */

export const SessionStatus = Type.Union([
  Type.Literal('creating'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('stopped'),
  Type.Literal('finished'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
]);

export const SessionName = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$',
});
/** Path parameter: a name or an id; checked by the service, bounded here. */
export const SessionRef = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

/** `allowlist`: the hosts on its list; `open`: any public host; `none`: nothing. Never this machine or its LAN. */
export const EgressMode = Type.Union([Type.Literal('open'), Type.Literal('allowlist'), Type.Literal('none')]);

export const Session = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: SessionStatus,
  statusReason: Type.Union([Type.String(), Type.Null()]),
  repo: Type.String(),
  baseBranch: Type.String(),
  baseCommit: Type.String(),
  branch: Type.String(),
  image: Type.String(),
  containerId: Type.Union([Type.String(), Type.Null()]),
  /** The session's working copy on the host: admins only. */
  workspacePath: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  limits: Type.Object({ cpus: Type.Number(), memoryBytes: Type.Integer(), pids: Type.Integer() }),
  env: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description:
      "The variables the session was made with. The values are its owner's (and the host user's on " +
      'the unix socket): to anyone else who may see the session, each value is null and the names are kept.',
  }),
  user: Type.String(),
  ownerId: Type.Union([Type.String(), Type.Null()]),
  teamId: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  kind: Type.Union([Type.Literal('shell'), Type.Literal('agent'), Type.Literal('preview')]),
  agent: Type.Union([Type.String(), Type.Null()]),
  /** The first line of an agent session's prompt; null without one. */
  task: Type.Union([Type.String(), Type.Null()]),
  /** What the agent is doing (agent sessions; null for others): see @berth/api/agent-status. */
  agentStatus: Type.Union([
    Type.Literal('starting'),
    Type.Literal('working'),
    Type.Literal('needs-input'),
    Type.Literal('idle'),
    Type.Literal('exited'),
    Type.Null(),
  ]),
  /** When agentStatus last changed (the daemon's clock). */
  agentStatusSince: Type.Union([Type.String(), Type.Null()]),
  /** The agent process's exit code once agentStatus is `exited`. */
  agentExitCode: Type.Union([Type.Integer(), Type.Null()]),
  /** `signals`: from the agent's hooks and process; `guess`: a profile without such signals. */
  agentStatusSource: Type.Union([Type.Literal('signals'), Type.Literal('guess'), Type.Null()]),
  remote: Type.Union([Type.String(), Type.Null()]),
  hasSshKey: Type.Boolean(),
  gitUser: Type.Object({ name: Type.String(), email: Type.String() }),
  runtime: Type.Union([Type.Literal('runc'), Type.Literal('gvisor')]),
  idle: Type.Object({
    timeoutSeconds: Type.Integer({ minimum: 0 }),
    action: Type.Union([Type.Literal('pause'), Type.Literal('stop')]),
  }),
  lastActivityAt: Type.String(),
  preview: Type.Union([
    Type.Object({
      projectType: Type.String(),
      command: Type.Array(Type.String()),
      containerPort: Type.Integer(),
      hostPort: Type.Union([Type.Integer(), Type.Null()]),
      /** Whether the dev server answered its last health check. */
      ready: Type.Optional(Type.Boolean()),
    }),
    Type.Null(),
  ]),
  /** What the session may reach outside itself; null: made unfiltered, on the shared network. */
  egress: Type.Union([
    Type.Object({
      mode: EgressMode,
      /** Allow-list entries: `example.org`, `*.example.org`, `example.org:8443`. */
      allow: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type Session = Static<typeof Session>;

export const SessionList = Type.Object({
  sessions: Type.Array(Session),
  /** How many match the filter before limit/offset. */
  total: Type.Integer(),
});

export const SessionListQuery = Type.Object({
  /** Comma-separated statuses. */
  status: Type.Optional(Type.String({ maxLength: 200 })),
  /** Owner's username; `local` for the host's owner. */
  owner: Type.Optional(Type.String({ maxLength: 64 })),
  team: Type.Optional(Type.String({ maxLength: 64 })),
  /** Substring of the name or the repository path. */
  q: Type.Optional(Type.String({ maxLength: 200 })),
  /** A field, `-` first for descending. */
  sort: Type.Optional(
    Type.Union([
      Type.Literal('name'),
      Type.Literal('-name'),
      Type.Literal('createdAt'),
      Type.Literal('-createdAt'),
      Type.Literal('status'),
      Type.Literal('-status'),
    ]),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
});

/** What to run as a session's preview; both detected when left out. */
export const PreviewOptions = Type.Object(
  {
    /** The dev server's command and arguments (run in /workspace, HOST and PORT set). */
    command: Type.Optional(Type.Array(Type.String({ maxLength: 8192 }), { minItems: 1, maxItems: 256 })),
    /** The port it listens on inside the session. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false },
);
export type PreviewOptions = Static<typeof PreviewOptions>;

/** A short-lived link that opens a session's preview through the server (on its own origin). */
export const PreviewTicket = Type.Object({
  url: Type.String(),
  /** The preview's origin, without the ticket. */
  origin: Type.String(),
  expiresAt: Type.String(),
});
export type PreviewTicket = Static<typeof PreviewTicket>;

/** What kind of session, how isolated, how many pids, when it idles: shared by create and patch. */
export const IdleAction = Type.Union([Type.Literal('pause'), Type.Literal('stop')]);
export const IdleFields = {
  /** Seconds without activity before the idle action; 0 never. */
  idleTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400 })),
  idleAction: Type.Optional(IdleAction),
};
const SessionShapeFields = {
  /** Overrides the kind the request implies (agent → agent, preview → preview, else shell). */
  kind: Type.Optional(Type.Union([Type.Literal('shell'), Type.Literal('agent'), Type.Literal('preview')])),
  pids: Type.Optional(Type.Integer({ minimum: LIMIT_BOUNDS.pids.min, maximum: LIMIT_BOUNDS.pids.max })),
  /** gvisor only where the engine has runsc registered (see GET /api/v1/capabilities). */
  runtime: Type.Optional(Type.Union([Type.Literal('runc'), Type.Literal('gvisor')])),
  ...IdleFields,
};

export const CreateSessionRequest = Type.Object(
  {
    // Bounded here; the service's slug rules give the helpful message for anything shorter.
    // Optional for an agent session only: the server then makes one up (`berth dispatch`).
    name: Type.Optional(Type.String({ maxLength: 1024 })),
    repo: Type.String({ minLength: 1, maxLength: 4096 }),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    cpus: Type.Optional(Type.Number({ minimum: LIMIT_BOUNDS.cpus.min, maximum: LIMIT_BOUNDS.cpus.max })),
    memoryBytes: Type.Optional(
      Type.Integer({ minimum: LIMIT_BOUNDS.memoryBytes.min, maximum: LIMIT_BOUNDS.memoryBytes.max }),
    ),
    env: Type.Optional(
      Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 32768 }), { maxProperties: 256 }),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Share with this team (you must belong to it). */
    team: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Private key (OpenSSH or PEM, no passphrase) for an ssh remote in `repo`; kept sealed, never returned. */
    sshKey: Type.Optional(Type.String({ minLength: 1, maxLength: 16384 })),
    /** Who the session's commits are by (default 'berth session' <NAME@sessions.berth.invalid>). */
    gitUser: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          email: Type.String({ minLength: 3, maxLength: 254 }),
        },
        { additionalProperties: false },
      ),
    ),
    ...SessionShapeFields,
    /** Run the project's dev server and publish it on a host port and through the server. */
    preview: Type.Optional(Type.Union([Type.Boolean(), PreviewOptions])),
    /** Run this agent profile as the session's main process (kind 'agent'). */
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The agent's first prompt: untrusted text, passed as one argument, never through a shell. */
    prompt: Type.Optional(Type.String({ maxLength: 65536 })),
    /** `full` (default): no permission prompts, the container is the sandbox; `ask`: the agent asks a person. */
    autonomy: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('ask')])),
    /** What it may reach outside itself (default: the server's, `allowlist` unless configured). */
    egress: Type.Optional(EgressMode),
    /** Hosts added to its allow-list: `example.org`, `*.example.org`, `example.org:8443`. */
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 260 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

/** Lines of `application/x-ndjson` while a create runs: progress, then the session or a problem. */
export const CreateProgressLine = Type.Union([
  Type.Object({ progress: Type.String() }),
  Type.Object({ session: Session }),
  Type.Object({ problem: Type.Unknown() }),
]);
export type CreateProgressLine = Static<typeof CreateProgressLine>;

export const FinishRequest = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 65536 }),
    /** Push berth/NAME (and the merged base) to the session's remote. */
    push: Type.Optional(Type.Boolean()),
    /** Merge berth/NAME into the base branch (never in a checked-out branch; a remote needs push). */
    merge: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type FinishRequest = Static<typeof FinishRequest>;

export const RemoveQuery = Type.Object({ force: Type.Optional(Type.Boolean()) });

export const ExecRequest = Type.Object(
  {
    cmd: Type.Array(Type.String({ maxLength: 131072 }), { minItems: 1, maxItems: 4096 }),
    /** Bytes for the command's stdin, base64. */
    stdin: Type.Optional(Type.String({ maxLength: 16 * 1024 * 1024 })),
  },
  { additionalProperties: false },
);
export type ExecRequest = Static<typeof ExecRequest>;

export const ExecResponse = Type.Object({
  exitCode: Type.Integer(),
  /** base64 of the exact bytes, so binary output survives. */
  stdout: Type.String(),
  stderr: Type.String(),
  /** The output passed the daemon's limit (16 MiB a stream): this is its start, and the command was ended. */
  truncated: Type.Boolean(),
});
export type ExecResponse = Static<typeof ExecResponse>;

export const LogsQuery = Type.Object({
  tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  follow: Type.Optional(Type.Boolean()),
  /** Answer as a file download (Content-Disposition: attachment). */
  download: Type.Optional(Type.Boolean()),
});

export const Stats = Type.Object({
  cpuPercent: Type.Number(),
  memoryBytes: Type.Number(),
  memoryLimitBytes: Type.Number(),
  networkRxBytes: Type.Number(),
  networkTxBytes: Type.Number(),
  pids: Type.Number(),
});
export type Stats = Static<typeof Stats>;

/** One line of a session's egress log: a host and port, the outcome, how often and when. */
export const EgressDecision = Type.Object({
  host: Type.String(),
  /** 0 on the overflow line: decisions past what berth keeps apart for one session. */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  allowed: Type.Boolean(),
  /** The latest reason the egress proxy gave for this outcome. */
  reason: Type.String(),
  count: Type.Integer({ minimum: 0 }),
  firstAt: Type.String(),
  lastAt: Type.String(),
});
export type EgressDecision = Static<typeof EgressDecision>;

/** What a session may reach, and what its egress proxy decided: the most recently seen first. */
export const EgressReport = Type.Object({
  egress: Session.properties.egress,
  decisions: Type.Array(EgressDecision, { maxItems: 500 }),
});
export type EgressReport = Static<typeof EgressReport>;

/** How much a diff changes (see @berth/api/diff-stat). */
export const DiffStat = Type.Object({
  files: Type.Integer({ minimum: 0 }),
  additions: Type.Integer({ minimum: 0 }),
  deletions: Type.Integer({ minimum: 0 }),
});
export type DiffStat = Static<typeof DiffStat>;

export const Diff = Type.Object({
  base: Type.String(),
  head: Type.String(),
  diff: Type.String(),
  /** Counted from `diff`; servers before it was added leave it out. */
  stat: Type.Optional(DiffStat),
});
export type Diff = Static<typeof Diff>;

export const ShellQuery = Type.Object({
  cols: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

/** Text frames on the shell WebSocket; binary frames carry terminal bytes both ways. */
export const ShellControl = Type.Union([
  Type.Object({
    type: Type.Literal('resize'),
    cols: Type.Integer({ minimum: 1 }),
    rows: Type.Integer({ minimum: 1 }),
  }),
  Type.Object({ type: Type.Literal('exit'), code: Type.Integer() }),
]);
export type ShellControl = Static<typeof ShellControl>;

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  engine: Type.Boolean(),
  store: Type.Boolean(),
  version: Type.String(),
});
export type Health = Static<typeof Health>;

export const DaemonInfo = Type.Object({
  pid: Type.Integer(),
  version: Type.String(),
  /** Host paths: admins only. */
  socket: Type.Optional(Type.String()),
  home: Type.Optional(Type.String()),
  startedAt: Type.String(),
  tcp: Type.Union([Type.String(), Type.Null()]),
});
export type DaemonInfo = Static<typeof DaemonInfo>;

/** RFC 9457 problem details, with berth's stable code and a hint for what to do next. */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  hint: Type.Optional(Type.String()),
});
export type Problem = Static<typeof Problem>;

export const PROBLEM_TYPE_PREFIX = 'urn:berth:problem:';

/** CPUs, memory and pids a session gets. */
export const ResourceLimits = Type.Object({
  cpus: Type.Number(),
  memoryBytes: Type.Integer(),
  pids: Type.Integer(),
});

/** The server's settings a client may rely on (`GET /api/v1/config`). */
export const ServerConfig = Type.Object({
  version: Type.String(),
  maxRunningSessions: Type.Integer({ minimum: 1 }),
  defaultImage: Type.String(),
  defaultLimits: ResourceLimits,
  sessionNetwork: Type.String({ description: 'the bridge network every session joins' }),
  tcp: Type.Union([Type.String(), Type.Null()], {
    description: '`http://host:port` when the daemon also listens on TCP, else null',
  }),
});
export type ServerConfig = Static<typeof ServerConfig>;

/** What this server can do (`GET /api/v1/capabilities`): a client adapts to it instead of guessing. */
export const Capabilities = Type.Object({
  version: Type.String(),
  apiPrefix: Type.String(),
  runtime: Type.Object({
    kind: Type.Literal('docker'),
    available: Type.Boolean({
      description: 'whether the engine answered just now; the fields below are empty when it did not',
    }),
    engineVersion: Type.Union([Type.String(), Type.Null()]),
    runtimes: Type.Array(Type.String(), { description: 'OCI runtimes the engine has registered' }),
    gvisor: Type.Boolean({ description: 'gVisor (`runsc`) is registered with the engine' }),
    cgroupVersion: Type.Union([Type.String(), Type.Null()]),
  }),
  limits: Type.Object({
    maxRunningSessions: Type.Integer({ minimum: 1 }),
    defaultLimits: ResourceLimits,
    /** The default limits of each kind of session (shell: defaultLimits). */
    profiles: Type.Object({ shell: ResourceLimits, agent: ResourceLimits, preview: ResourceLimits }),
  }),
  /** Whether sessions may ask for `runtime: gvisor`, and the engine runtime berth uses for it. */
  gvisor: Type.Object({
    available: Type.Boolean(),
    runtime: Type.String({ description: 'the OCI runtime name asked of the engine (BERTH_GVISOR_RUNTIME)' }),
  }),
  auth: Type.Object({
    modes: Type.Array(Type.String(), {
      description: 'how a client may authenticate, e.g. `unix-socket` (the socket file mode is the auth)',
    }),
  }),
});
export type Capabilities = Static<typeof Capabilities>;
