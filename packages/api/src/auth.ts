import { type Static, Type } from 'typebox';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('member')]);

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Role,
  createdAt: Type.String(),
});
export type User = Static<typeof User>;

export const UserList = Type.Object({ users: Type.Array(User) });

export const CreateUserRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
    role: Type.Optional(Role),
  },
  { additionalProperties: false },
);

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const LoginResponse = Type.Object({ user: User, csrfToken: Type.String() });

export const Me = Type.Object({
  kind: Type.Union([Type.Literal('local'), Type.Literal('user')]),
  user: Type.Union([User, Type.Null()]),
  via: Type.Union([Type.Literal('unix-socket'), Type.Literal('token'), Type.Literal('cookie')]),
});

export const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type Token = Static<typeof Token>;

export const TokenList = Type.Object({ tokens: Type.Array(Token) });

export const CreateTokenRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Whose token; only the host owner (unix socket) or an admin may name another user. */
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** The token itself appears here once and never again. */
export const CreatedToken = Type.Object({ token: Type.String(), info: Token });

export const TokenRef = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const TokensQuery = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
