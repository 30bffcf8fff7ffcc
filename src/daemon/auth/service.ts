import { randomUUID } from 'node:crypto';
import type { AuditRecord, AuditRepo } from '../db/audit-repo.js';
import type { PatRow, RefreshRow } from '../db/tokens-repo.js';
import type { UserRow, UsersRepo } from '../db/users-repo.js';
import { DiscoError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import type { Principal, Scope } from '../ops/op.js';
import { Accounts, PAT_SESSION } from './accounts.js';
import type { BootstrapSlot } from './admin-token.js';
import { registerBootstrap } from './bootstrap-token.js';
import { GithubAccounts } from './github-accounts.js';
import { type AccessTokens, looksLikeJwt } from './jwt.js';
import { patLiveUntil, stillLiveCached } from './liveness.js';
import { PersonalTokens } from './personal-tokens.js';
import { PrincipalCache, stampChecked } from './principal-cache.js';
import { RefreshGrace } from './refresh-grace.js';
import { intersectScopes, parseScopes, scopesForUser } from './scopes.js';
import type { SecretBox } from './secret-box.js';
import { newSecret, REFRESH_PREFIX, secretDigest } from './secrets.js';
import type { Realm, TokenPair } from './token-pair.js';
import type { TokenStore } from './token-store.js';

export type { Realm, TokenPair } from './token-pair.js';

export interface AuthOptions {
  accessTtlSeconds: number;
  refreshTtlMs: number;
  /** How long a repeat of a just-spent refresh token gets the same new pair (0: never; a reuse revokes). */
  refreshGraceMs?: number;
  /** Seals GitHub tokens at rest. */
  box: SecretBox;
}

/** Who a session is for: enough to mint tokens without the user's row (another instance may hold it). */
type SessionUser = Pick<UserRow, 'id' | 'name' | 'isAdmin'>;

/**
 * Identity: users, sessions (JWT access + rotating refresh tokens with reuse detection), personal access
 * tokens and the audit log. REST, MCP and the terminal socket all authenticate through `authenticate`.
 */
export class AuthService {
  /** GitHub accounts linked to users, and their sealed tokens. */
  readonly github: GithubAccounts;
  /** Users and their passwords. */
  readonly accounts: Accounts;
  /** Personal access tokens. */
  readonly pats: PersonalTokens;
  /** The bootstrap token's record, kept in memory to let the operator in while a shared store is down. */
  private bootstrap: { digest: string; pat: PatRow } | undefined;
  private readonly grace: RefreshGrace;
  /** Tokens verified before, for their remaining life (see PrincipalCache for why that is safe). */
  private readonly verified: PrincipalCache;

  constructor(
    readonly users: UsersRepo,
    private readonly tokens: TokenStore,
    private readonly auditLog: AuditRepo,
    private readonly access: AccessTokens,
    private readonly options: AuthOptions,
  ) {
    this.github = new GithubAccounts(users, options.box);
    this.accounts = new Accounts(users, tokens);
    this.pats = new PersonalTokens(tokens);
    this.grace = new RefreshGrace(tokens, options.refreshGraceMs ?? 0);
    this.verified = new PrincipalCache(() => tokens.version());
  }

  audit(entry: AuditRecord): void {
    this.auditLog.record(entry);
  }

  listAudit(q: { userId?: string; action?: string; before?: number; limit: number }) {
    return this.auditLog.list(q);
  }

  /** Registers the bootstrap token (see registerBootstrap) and keeps its record for when the store is down. */
  async registerBootstrapToken(token: string, adminId: string, slot: BootstrapSlot): Promise<void> {
    this.bootstrap = await registerBootstrap(this.tokens, token, adminId, slot);
  }

  /**
   * Who is calling, when the token was verified before and nothing has changed since (the same check as
   * `authenticate`'s first step, PrincipalCache), without waiting; undefined when `authenticate` must be
   * asked (not seen, not valid any more, or a PAT whose last use is due to be recorded). Perf: most requests
   * carry a token seen a moment ago, and answering them needs no promise nor event-loop hop.
   */
  knownPrincipal(token: string, realm: Realm): Principal | undefined {
    const jwt = looksLikeJwt(token);
    const known = this.verified.get(PrincipalCache.key(secretDigest(token), jwt ? realm : undefined));
    if (known && !jwt && known.tokenId && this.pats.touchDue(known.tokenId, Date.now())) return undefined;
    return known;
  }

  /** Checks a bearer token (JWT or PAT) and returns who is calling, or throws `unauthorized`. */
  async authenticate(token: string, realm: Realm): Promise<Principal> {
    const jwt = looksLikeJwt(token);
    const digest = secretDigest(token);
    const key = PrincipalCache.key(digest, jwt ? realm : undefined);
    const known = this.verified.get(key);
    if (known) {
      if (!jwt && known.tokenId) await this.pats.touch(known.tokenId, Date.now());
      return known;
    }
    const version = this.verified.current();
    const { principal, until } = jwt ? await this.authenticateAccess(token, realm) : await this.authenticatePat(digest);
    this.verified.set(key, principal, until, version);
    // Verified after `version` was read: what it saw is at least that new.
    return stampChecked(principal, version);
  }

  private async authenticatePat(digest: string): Promise<{ principal: Principal; until: number }> {
    const pat = await this.tokens.patByHash(digest).catch((err: unknown) => {
      // The shared store is unreachable: the bootstrap token still gets the operator in, nothing else does.
      if (this.bootstrap && digest === this.bootstrap.digest) return this.bootstrap.pat;
      throw storeDown(err);
    });
    const now = Date.now();
    if (!pat || pat.revokedAt !== null || (pat.expiresAt !== null && pat.expiresAt <= now)) {
      throw new UnauthorizedError(pat ? 'token was revoked or has expired' : 'invalid bearer token');
    }
    const user = this.userOf(pat.userId, pat.userName, pat.userIsAdmin);
    await this.pats.touch(pat.id, now);
    const principal: Principal = {
      userId: user.id,
      userName: user.name,
      isAdmin: user.isAdmin,
      scopes: new Set(intersectScopes(parseScopes(pat.scopes), scopesForUser(user.isAdmin))),
      via: pat.kind === 'bootstrap' ? 'admin_token' : 'pat',
      tokenId: pat.id,
    };
    return { principal, until: pat.expiresAt ?? Number.POSITIVE_INFINITY };
  }

  /**
   * An access token is only as good as its session's record. Security: the signature proves who minted the
   * token, not that its claims are consistent, and a signing key may leak; so the session must be live and
   * name the same user (and OAuth client), the user and admin flag come from the user's row (or the sealed
   * shared session record), and the scopes are capped by the session's grant and what the user may hold.
   */
  private async authenticateAccess(token: string, realm: Realm): Promise<{ principal: Principal; until: number }> {
    const claims = await this.access.verify(token, realm.issuer, realm.audiences);
    const session = await this.tokens.session(claims.sid).catch((err: unknown) => {
      throw storeDown(err);
    });
    if (!session || session.revokedAt !== null) throw new UnauthorizedError('access token was revoked');
    if (session.userId !== claims.sub || (session.clientId ?? undefined) !== claims.client_id) {
      throw new UnauthorizedError('access token does not match its session');
    }
    await this.checkParentPat(claims.sid);
    const user = this.userOf(session.userId, session.userName, session.userIsAdmin);
    const held = intersectScopes(parseScopes(session.scopes), scopesForUser(user.isAdmin));
    const principal: Principal = {
      userId: user.id,
      userName: user.name,
      isAdmin: user.isAdmin,
      scopes: new Set(intersectScopes(parseScopes(claims.scope), held)),
      via: session.clientId ? 'oauth' : 'session',
      tokenId: claims.jti,
      sessionId: claims.sid,
      ...(session.clientId ? { clientId: session.clientId } : {}),
    };
    return { principal, until: claims.exp * 1000 };
  }

  /**
   * The user a token names: this instance's row, or — when tokens are shared between instances and the
   * user was made on another one — who the token itself says (its signature or shared record vouches).
   */
  private userOf(
    id: string,
    name: string | undefined,
    isAdmin: boolean | undefined,
  ): Pick<UserRow, 'id' | 'name' | 'isAdmin'> {
    const user = this.users.get(id);
    if (user) return user;
    if (this.tokens.shared && name !== undefined) return { id, name, isAdmin: isAdmin === true };
    throw new UnauthorizedError('the token belongs to no user');
  }

  /** Local sign-in. The same answer and time for an unknown user and a wrong password. */
  async passwordLogin(name: string, password: string, realm: Realm, scopes?: readonly string[]): Promise<TokenPair> {
    return this.startSession(await this.verifyCredentials(name, password), scopes, realm);
  }

  /** Checks a user name and password (the consent page signs people in with it). */
  verifyCredentials(name: string, password: string): Promise<UserRow> {
    return this.accounts.verifyCredentials(name, password);
  }

  /** Exchanges a PAT (the bootstrap token included) for a session with at most the PAT's scopes. */
  async tokenLogin(token: string, realm: Realm, scopes?: readonly string[]): Promise<TokenPair> {
    if (token.startsWith(REFRESH_PREFIX) || looksLikeJwt(token)) {
      throw new ValidationError('token login takes a personal access token (or the bootstrap token)');
    }
    const principal = await this.authenticate(token, realm);
    const user = { id: principal.userId, name: principal.userName, isAdmin: principal.isAdmin };
    const wanted = scopes ? parseScopes(scopes) : [...principal.scopes];
    // Security: the session is named after the PAT it was exchanged for and lives no longer than it, so
    // revoking a leaked PAT also ends every session made from it.
    const familyId = `${principal.tokenId}.${randomUUID()}`;
    return this.mint(user, grantable(intersectScopes(wanted, [...principal.scopes])), realm, familyId);
  }

  /** Opens a session (a new refresh-token family) for a user who has just proven who they are. */
  async startSession(
    user: SessionUser,
    scopes: readonly string[] | undefined,
    realm: Realm,
    clientId?: string,
  ): Promise<TokenPair> {
    const granted = intersectScopes(
      scopes ? parseScopes(scopes) : scopesForUser(user.isAdmin),
      scopesForUser(user.isAdmin),
    );
    return this.mint(user, grantable(granted), realm, randomUUID(), clientId);
  }

  private async mint(
    user: SessionUser,
    scopes: Scope[],
    realm: Realm,
    familyId: string,
    clientId?: string,
    audience = realm.audiences[0] as string,
  ): Promise<TokenPair> {
    const refreshToken = newSecret(REFRESH_PREFIX);
    const now = Date.now();
    await this.tokens.insertRefresh({
      tokenHash: secretDigest(refreshToken),
      familyId,
      userId: user.id,
      clientId: clientId ?? null,
      scopes,
      audience,
      createdAt: now,
      expiresAt: now + this.options.refreshTtlMs,
      userName: user.name,
      userIsAdmin: user.isAdmin,
    });
    const access = await this.access.issue({
      userId: user.id,
      scopes,
      issuer: realm.issuer,
      audience,
      user: { name: user.name, isAdmin: user.isAdmin },
      ttlSeconds: this.options.accessTtlSeconds,
      sessionId: familyId,
      ...(clientId ? { clientId } : {}),
    });
    return {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: this.options.accessTtlSeconds,
      refreshToken,
      scopes,
      user: { id: user.id, name: user.name, isAdmin: user.isAdmin },
      sessionId: familyId,
    };
  }

  /**
   * Rotates a refresh token: the old one is spent, a new one of the same family comes back. A spent token
   * presented again means it was stolen (or the client raced itself): the whole family is revoked.
   */
  async refresh(
    refreshToken: string,
    realm: Realm,
    opts: { clientId?: string; scopes?: readonly string[]; audience?: string; grace?: boolean } = {},
  ): Promise<TokenPair> {
    const hash = secretDigest(refreshToken);
    const row = await this.tokens.refresh(hash);
    const now = Date.now();
    if (!row || (row.clientId ?? undefined) !== opts.clientId) throw new UnauthorizedError('invalid refresh token');
    if (row.revokedAt !== null) throw new UnauthorizedError('refresh token was revoked');
    if (row.expiresAt <= now) throw new UnauthorizedError('refresh token expired');
    if (opts.audience !== undefined && opts.audience !== row.audience) {
      throw new UnauthorizedError('refresh token was issued for another resource');
    }
    // A replay is a replay whatever else the request asks (but see the grace window); the atomic mark below
    // settles racing uses.
    if (row.usedAt !== null) return this.repeatOrReused(refreshToken, row, now, opts.grace);
    const held = parseScopes(row.scopes);
    const wider = opts.scopes ? parseScopes(opts.scopes).filter((s) => !held.includes(s)) : [];
    // RFC 6749 §6: a refresh may narrow the grant, never widen it (silently dropping would empty the session).
    if (wider.length > 0) {
      throw new ValidationError(`a refresh cannot add scopes the session lacks: ${wider.join(', ')}`);
    }
    await this.checkParentPat(row.familyId);
    if (!(await this.tokens.markRefreshUsed(hash, now))) {
      return this.repeatOrReused(refreshToken, (await this.tokens.refresh(hash)) ?? row, now, opts.grace);
    }
    const user = this.userOf(row.userId, row.userName, row.userIsAdmin);
    const scopes = grantable(opts.scopes ? intersectScopes(parseScopes(opts.scopes), held) : held);
    const pair = await this.mint(user, scopes, realm, row.familyId, row.clientId ?? undefined, row.audience);
    if (opts.grace) await this.grace.remember(refreshToken, pair, now);
    return pair;
  }

  /**
   * A spent refresh token again: within the grace window (OAuth clients, which retry) the same new pair,
   * else a reuse that revokes. First-party sessions (the CLI, the web) do not race themselves: no grace.
   */
  private async repeatOrReused(refreshToken: string, row: RefreshRow, now: number, grace = false): Promise<TokenPair> {
    if (row.revokedAt !== null) throw new UnauthorizedError('refresh token was revoked');
    const pair = grace ? await this.grace.repeat(refreshToken, row.usedAt, now) : undefined;
    return pair ?? this.refreshReused(row, now);
  }

  /** A spent refresh token came back: its whole family is revoked, and the event audited. */
  private async refreshReused(row: RefreshRow, now: number): Promise<never> {
    await this.tokens.revokeFamily(row.familyId, now);
    this.audit({
      userId: row.userId,
      action: 'auth.refresh_reuse',
      target: row.familyId,
      outcome: 'denied',
      via: row.clientId ? 'oauth' : 'session',
      ip: null,
      userAgent: null,
      detail: row.clientId ? { clientId: row.clientId } : null,
    });
    throw new UnauthorizedError('refresh token was already used; every session of its family is now revoked');
  }

  /** Ends a session: the family of the refresh token given and/or of the access token presented. */
  async logout(refreshToken: string | undefined, principal: Principal | undefined): Promise<{ revoked: boolean }> {
    const now = Date.now();
    let revoked = false;
    if (refreshToken) {
      const row = await this.tokens.refresh(secretDigest(refreshToken));
      if (row && (!principal || row.userId === principal.userId)) {
        revoked = (await this.tokens.revokeFamily(row.familyId, now)) > 0 || revoked;
      }
    }
    if (principal?.sessionId) revoked = (await this.tokens.revokeFamily(principal.sessionId, now)) > 0 || revoked;
    return { revoked };
  }

  /** Ends one session (refresh-token family) and its access tokens. */
  async revokeSession(familyId: string): Promise<void> {
    await this.tokens.revokeFamily(familyId, Date.now());
  }

  /** Revokes a refresh token or an access token (OAuth revocation endpoint, RFC 7009); unknown ones are ignored. */
  async revokeAny(token: string, realm: Realm, clientId?: string): Promise<void> {
    const row = await this.tokens.refresh(secretDigest(token));
    if (row) {
      if ((row.clientId ?? undefined) === clientId) await this.tokens.revokeFamily(row.familyId, Date.now());
      return;
    }
    if (!looksLikeJwt(token)) return;
    try {
      const claims = await this.access.verify(token, realm.issuer, realm.audiences);
      const session = await this.tokens.session(claims.sid);
      // Only the session the token really belongs to (a forged token must not end someone else's).
      if (claims.client_id === clientId && session?.userId === claims.sub && session.clientId === (clientId ?? null)) {
        await this.tokens.revokeFamily(claims.sid, Date.now());
      }
    } catch {
      // Invalid or expired tokens need no revoking.
    }
  }

  /** See `stillLiveCached` (liveness.ts): for connections that outlive the request that opened them. */
  stillLive(principal: Pick<Principal, 'via' | 'tokenId' | 'sessionId'>): Promise<boolean> {
    return stillLiveCached(this.tokens, principal);
  }

  /** A session exchanged for a PAT ends when that PAT is revoked or expires. */
  private async checkParentPat(familyId: string): Promise<void> {
    const patId = PAT_SESSION.exec(familyId)?.[1];
    if (!patId || (await patLiveUntil(this.tokens, patId)) !== undefined) return;
    await this.tokens.revokeFamily(familyId, Date.now());
    throw new UnauthorizedError('the token this session was signed in with was revoked or has expired');
  }

  createUser(input: { name: string; password?: string; isAdmin?: boolean; email?: string }): Promise<UserRow> {
    return this.accounts.create(input);
  }

  /** Every token of a user stops working now: PATs and sessions (with their access tokens) revoked. */
  async revokeUserTokens(userId: string): Promise<{ pats: number; refresh: number }> {
    if (!this.users.get(userId) && !this.tokens.shared) throw new NotFoundError(`user '${userId}'`);
    return this.tokens.revokeAllOf(userId, Date.now());
  }

  purgeExpired(now = Date.now()) {
    return this.tokens.purgeExpired(now);
  }
}

/** A session needs at least one scope: asking only for scopes one cannot have is an error, not an empty token. */
function grantable(scopes: Scope[]): Scope[] {
  if (scopes.length === 0) throw new ValidationError('none of the requested scopes can be granted');
  return scopes;
}

function storeDown(err: unknown): DiscoError {
  if (err instanceof DiscoError) return err;
  return new DiscoError('unavailable', 'the shared token store (Redis) is unreachable; try again shortly');
}
