import { randomUUID } from 'node:crypto';
import type { UserRow, UsersRepo } from '../db/users-repo.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import type { Principal } from '../ops/op.js';
import { hashPassword, PASSWORD_MIN_LENGTH, verifyPassword } from './passwords.js';
import { scopesForUser } from './scopes.js';
import type { SessionRecord, TokenStore } from './token-store.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,38}$/;
const BAD_LOGIN = 'invalid user name or password';
/** How recent a sign-in must be to set a first password with a token that lacks some of the user's scopes. */
export const FIRST_PASSWORD_FRESH_MINUTES = 10;
/** The id of a session exchanged for a PAT: `<PAT id>.<uuid>`. */
export const PAT_SESSION = /^(tok_[0-9a-f]{16})\./;

/**
 * A session the user opened by proving who they are in person (password or GitHub sign-in), as opposed to
 * one exchanged for a PAT or issued to an OAuth client.
 */
export const isInteractiveSession = (s: SessionRecord) => s.clientId === null && !PAT_SESSION.test(s.familyId);

/** Local accounts: users, their passwords and what a password change does to their sessions. */
export class Accounts {
  constructor(
    readonly users: UsersRepo,
    private readonly tokens: TokenStore,
  ) {}

  async create(input: { name: string; password?: string; isAdmin?: boolean; email?: string }): Promise<UserRow> {
    if (!USER_NAME.test(input.name)) {
      throw new ValidationError('a user name is 1-39 letters, digits, dots, dashes or underscores');
    }
    if (this.users.getByName(input.name)) throw new ConflictError(`user '${input.name}' already exists`);
    return this.users.insert({
      id: `usr_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      name: input.name,
      isAdmin: input.isAdmin ?? false,
      passwordHash: input.password === undefined ? null : await hashPassword(checkPassword(input.password)),
      email: input.email ?? null,
    });
  }

  /** Checks a user name and password. The same answer and time for an unknown user and a wrong password. */
  async verifyCredentials(name: string, password: string): Promise<UserRow> {
    const user = this.users.getByName(name);
    const ok = await verifyPassword(password, user ? this.users.passwordHash(user.id) : null);
    if (!user || !ok) throw new UnauthorizedError(BAD_LOGIN);
    return user;
  }

  /**
   * Sets the caller's password. Changing one needs the current one. Setting a first one needs a token with
   * every scope the user may hold, or a sign-in of the last few minutes: a password signs in with all scopes,
   * so a narrow token (say `account` only) must not be able to choose it. Afterwards every other session of
   * the user ends (their access and refresh tokens with it); the caller's own session and the user's personal
   * access tokens stay, as on GitHub (revoke those with token_revoke, or all at once with user_revoke_tokens).
   */
  async setPassword(
    principal: Principal,
    password: string,
    current: string | undefined,
  ): Promise<{ endedSessions: number }> {
    const user = this.users.get(principal.userId);
    if (!user) throw new NotFoundError(`user '${principal.userId}' on this instance`);
    if (user.hasPassword) {
      if (current === undefined) {
        throw new ValidationError('currentPassword is required to change an existing password');
      }
      if (!(await verifyPassword(current, this.users.passwordHash(user.id)))) {
        throw new UnauthorizedError('the current password is wrong');
      }
    } else {
      await this.checkFirstPassword(principal, user);
    }
    this.users.setPassword(user.id, await hashPassword(checkPassword(password)));
    const endedSessions = await this.tokens.revokeSessionsOf(user.id, Date.now(), principal.sessionId);
    return { endedSessions };
  }

  private async checkFirstPassword(principal: Principal, user: UserRow): Promise<void> {
    const all = scopesForUser(user.isAdmin);
    if (all.every((s) => principal.scopes.has(s))) return;
    if (principal.sessionId && principal.via === 'session') {
      const session = await this.tokens.session(principal.sessionId);
      const freshSince = Date.now() - FIRST_PASSWORD_FRESH_MINUTES * 60_000;
      if (session && isInteractiveSession(session) && session.authTime >= freshSince) return;
    }
    throw new ForbiddenError(
      `setting a first password needs a token with all your scopes (${all.join(', ')}) or a sign-in ` +
        `(GitHub) of the last ${FIRST_PASSWORD_FRESH_MINUTES} minutes: a password will sign in with every scope`,
    );
  }
}

export function checkPassword(password: string): string {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new ValidationError(`a password needs at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  return password;
}
