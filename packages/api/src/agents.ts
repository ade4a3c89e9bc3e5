import { type Static, Type } from 'typebox';
import { ShellQuery } from './schemas.js';

/** Agent profiles and their credentials (`/api/v1/agents`). Values of secrets never appear here. */

/** What an owner has set up for a profile: names, sizes and times only. */
export const Configured = Type.Object({
  dir: Type.Union([
    Type.Object({
      files: Type.Integer(),
      bytes: Type.Integer(),
      updatedAt: Type.String(),
      /** A credential directory is always in the session (read-only): the CLI reads it itself. */
      mode: Type.Optional(Type.Literal('file')),
    }),
    Type.Null(),
  ]),
  keys: Type.Array(
    Type.Object({
      name: Type.String(),
      bytes: Type.Integer(),
      updatedAt: Type.String(),
      /**
       * `brokered`: the session holds a placeholder, berth adds the key upstream. `file`: the
       * key itself is in the session (read-only), the weaker mode.
       */
      mode: Type.Optional(Type.Union([Type.Literal('brokered'), Type.Literal('file')])),
    }),
  ),
});

export const AgentProfile = Type.Object({
  name: Type.String(),
  description: Type.String(),
  builtin: Type.Boolean(),
  command: Type.Array(Type.String()),
  resume: Type.Union([Type.Array(Type.String()), Type.Null()]),
  image: Type.Union([Type.String(), Type.Null()]),
  prompt: Type.Union([
    Type.Literal('arg'),
    Type.Literal('operand'),
    Type.Literal('none'),
    Type.Object({ flag: Type.String() }),
  ]),
  credentials: Type.Object({
    dir: Type.Union([
      Type.Object({
        from: Type.String(),
        to: Type.String(),
        include: Type.Optional(Type.Array(Type.String())),
        mode: Type.Optional(Type.Union([Type.Literal('mount'), Type.Literal('link')])),
        /** Files the CLI rewrites with refreshed tokens: kept, sealed, for the next session. */
        refresh: Type.Optional(Type.Array(Type.String())),
      }),
      Type.Null(),
    ]),
    keys: Type.Array(Type.String()),
  }),
  /** What the caller has set up for this profile (their own: see `owner`): names, sizes and times only. */
  configured: Configured,
  /**
   * Whose `configured` is: the host's owner's (the unix socket), or the calling user's own.
   * Credentials belong to an owner; a session gets its team's, else its owner's, never another's.
   */
  owner: Type.Optional(Type.Union([Type.Literal('host'), Type.Literal('user')])),
  /** With `?team=NAME`: what that team has set up for this profile. */
  team: Type.Optional(Type.Object({ name: Type.String(), configured: Configured })),
});
export type AgentProfile = Static<typeof AgentProfile>;

export const AgentList = Type.Object({
  agents: Type.Array(AgentProfile),
  defaultAgent: Type.String(),
  /** A host path: admins only. */
  configFile: Type.Optional(Type.String()),
});
export type AgentList = Static<typeof AgentList>;

export const AgentRef = Type.Object({
  profile: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' }),
});

export const PutCredentialsRequest = Type.Object(
  {
    /** A tar of the credential directory, base64 (at most 10 MiB of files; files and directories only). */
    dir: Type.Optional(Type.String({ maxLength: 15 * 1024 * 1024 })),
    /** API keys by variable name. */
    keys: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }),
        Type.String({ minLength: 1, maxLength: 65536 }),
        { maxProperties: 32 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PutCredentialsRequest = Static<typeof PutCredentialsRequest>;

/** Whose credentials: a team's (its members' and admins'), else the caller's own. */
const TeamName = Type.String({ minLength: 1, maxLength: 64 });

export const CredentialsOwnerQuery = Type.Object({
  /** A team's credentials instead of the caller's own (members of the team and admins). */
  team: Type.Optional(TeamName),
});

export const DeleteCredentialsQuery = Type.Object({
  /** `dir`, or a key's name; all of the profile's credentials when absent. */
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** A team's credentials instead of the caller's own. */
  team: Type.Optional(TeamName),
});

/** The agent's terminal takes the shell's size query. */
export const AttachQuery = ShellQuery;
