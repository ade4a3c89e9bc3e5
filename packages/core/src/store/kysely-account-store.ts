import type { Kysely } from 'kysely';
import type { Role, Team, TokenKind, TokenRecord, UserRecord } from '../accounts/account.js';
import type { AccountStore } from '../accounts/account-store.js';
import { Conflict } from '../errors/berth-error.js';
import { isUniqueViolation } from './unique-violation.js';

export interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  role: string;
  created_at: string;
}

export interface TokenRow {
  id: string;
  user_id: string;
  kind: string;
  name: string;
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AccountTables {
  users: UserRow;
  tokens: TokenRow;
  teams: { id: string; name: string; created_at: string };
  team_members: { team_id: string; user_id: string };
}

const toUser = (r: UserRow): UserRecord => ({
  id: r.id,
  username: r.username,
  passwordHash: r.password_hash,
  role: r.role as Role,
  createdAt: r.created_at,
});

const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  userId: r.user_id,
  kind: r.kind as TokenKind,
  name: r.name,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** Users, tokens and teams in the same database as the sessions: one implementation for SQLite and PostgreSQL. */
export class KyselyAccountStore implements AccountStore {
  constructor(private readonly db: Kysely<AccountTables>) {}

  async countUsers(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insertUser(u: UserRecord): Promise<void> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: u.id,
          username: u.username,
          password_hash: u.passwordHash,
          role: u.role,
          created_at: u.createdAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`a user named '${u.username}' already exists`, { cause: err });
      }
      throw err;
    }
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async getUserByName(username: string): Promise<UserRecord | null> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toUser);
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .execute();
  }

  async setRole(userId: string, role: Role): Promise<void> {
    await this.db.updateTable('users').set({ role }).where('id', '=', userId).execute();
  }

  async insertToken(t: TokenRecord): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: t.id,
        user_id: t.userId,
        kind: t.kind,
        name: t.name,
        token_hash: t.tokenHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        last_used_at: t.lastUsedAt,
        revoked_at: t.revokedAt,
      })
      .execute();
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const r = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toToken(r) : null;
  }

  async getTokenByHash(tokenHash: string): Promise<TokenRecord | null> {
    const r = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return r ? toToken(r) : null;
  }

  async listTokens(userId: string): Promise<TokenRecord[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', 'api')
      .orderBy('created_at')
      .execute();
    return rows.map(toToken);
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async revokeToken(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async insertTeam(t: Team): Promise<void> {
    try {
      await this.db.insertInto('teams').values({ id: t.id, name: t.name, created_at: t.createdAt }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`a team named '${t.name}' already exists`, { cause: err });
      }
      throw err;
    }
  }

  async getTeamByName(name: string): Promise<Team | null> {
    const r = await this.db.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }

  async listTeams(): Promise<Team[]> {
    const rows = await this.db.selectFrom('teams').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  async addMember(teamId: string, userId: string): Promise<void> {
    await this.db
      .insertInto('team_members')
      .values({ team_id: teamId, user_id: userId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async removeMember(teamId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('team_members')
      .where('team_id', '=', teamId)
      .where('user_id', '=', userId)
      .execute();
  }

  async teamsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .select('team_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.team_id);
  }

  async membersOf(teamId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .select('user_id')
      .where('team_id', '=', teamId)
      .execute();
    return rows.map((r) => r.user_id);
  }
}
