import type { Role, Team, TokenRecord, UserRecord } from './account.js';

/** Users and their tokens; the server's auth builds on it. */
export interface AccountStore {
  countUsers(): Promise<number>;
  /** Throws Conflict when the username is taken. */
  insertUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  getUserByName(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  setPassword(userId: string, passwordHash: string): Promise<void>;
  setRole(userId: string, role: Role): Promise<void>;

  insertToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | null>;
  getTokenByHash(tokenHash: string): Promise<TokenRecord | null>;
  listTokens(userId: string): Promise<TokenRecord[]>;
  touchToken(id: string, at: string): Promise<void>;
  revokeToken(id: string, at: string): Promise<void>;

  /** Throws Conflict when the name is taken. */
  insertTeam(team: Team): Promise<void>;
  getTeamByName(name: string): Promise<Team | null>;
  listTeams(): Promise<Team[]>;
  addMember(teamId: string, userId: string): Promise<void>;
  removeMember(teamId: string, userId: string): Promise<void>;
  /** Ids of the teams a user belongs to. */
  teamsOf(userId: string): Promise<string[]>;
  membersOf(teamId: string): Promise<string[]>;
}
