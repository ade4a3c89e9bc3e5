import { Type } from 'typebox';

export const Team = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  members: Type.Array(Type.String()),
});
export const TeamList = Type.Object({ teams: Type.Array(Team) });
export const CreateTeamRequest = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' }) },
  { additionalProperties: false },
);
export const TeamRef = Type.Object({ team: Type.String({ minLength: 1, maxLength: 64 }) });
export const MemberRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export const MemberRef = Type.Object({
  team: Type.String({ minLength: 1, maxLength: 64 }),
  username: Type.String({ minLength: 1, maxLength: 64 }),
});

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  sessionName: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('refused'), Type.Literal('failed')]),
  detail: Type.String(),
});
export const AuditList = Type.Object({ entries: Type.Array(AuditEntry) });
export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  session: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});
