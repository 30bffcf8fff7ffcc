import { randomUUID } from 'node:crypto';
import type { PatRow } from '../db/tokens-repo.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Principal } from '../ops/op.js';
import { viaThirdPartyClient } from './first-party.js';
import { actsAsAdmin, intersectScopes, parseScopes, scopesForUser } from './scopes.js';
import { newSecret, PAT_PREFIX, secretDigest, secretHint } from './secrets.js';
import type { TokenStore } from './token-store.js';

const TOUCH_EVERY_MS = 60_000;

/**
 * Personal access tokens: made with at most the caller's scopes, listed without their secrets, revoked by
 * their owner or an admin. A password change leaves them alone (as GitHub does); revoking all of a user's
 * tokens is `AuthService.revokeUserTokens`.
 */
export class PersonalTokens {
  /** When this instance last recorded each PAT's use. */
  private readonly touched = new Map<string, number>();

  constructor(private readonly tokens: TokenStore) {}

  /** Whether a PAT's last use is due to be recorded (at most once a minute). */
  touchDue(patId: string, now: number): boolean {
    return (this.touched.get(patId) ?? 0) < now - TOUCH_EVERY_MS;
  }

  /** Records a PAT's last use, at most once a minute. */
  async touch(patId: string, now: number): Promise<void> {
    if (!this.touchDue(patId, now)) return;
    this.touched.set(patId, now);
    await this.tokens.touchPat(patId, now);
  }

  async create(
    principal: Pick<Principal, 'userId' | 'userName' | 'isAdmin' | 'scopes' | 'via' | 'clientId'>,
    input: { name: string; scopes?: readonly string[]; expiresInDays?: number },
  ): Promise<{ token: string; pat: PatRow }> {
    // Security (defence in depth; the op refuses first): an OAuth client's token never mints a PAT.
    if (viaThirdPartyClient(principal))
      throw new ForbiddenError('an OAuth client cannot create personal access tokens');
    const userId = principal.userId;
    const callerScopes = principal.scopes;
    const user = { isAdmin: principal.isAdmin };
    const allowed = intersectScopes([...callerScopes], scopesForUser(user.isAdmin));
    const wanted = input.scopes ? parseScopes(input.scopes) : allowed;
    const denied = wanted.filter((s) => !allowed.includes(s));
    if (denied.length > 0) throw new ValidationError(`a token cannot have scopes you lack: ${denied.join(', ')}`);
    if (wanted.length === 0) throw new ValidationError('a token needs at least one scope');
    if ((await this.tokens.patsOf(userId)).some((p) => p.name === input.name && p.revokedAt === null)) {
      throw new ConflictError(`you already have a token named '${input.name}'`);
    }
    const token = newSecret(PAT_PREFIX);
    const now = Date.now();
    const row = {
      id: `tok_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      userId,
      name: input.name,
      tokenHash: secretDigest(token),
      hint: secretHint(token),
      scopes: wanted,
      kind: 'pat' as const,
      userName: principal.userName,
      userIsAdmin: principal.isAdmin,
      createdAt: now,
      expiresAt: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
    };
    await this.tokens.insertPat(row);
    return { token, pat: (await this.tokens.pat(row.id)) as PatRow };
  }

  list(userId: string): Promise<PatRow[]> {
    return this.tokens.patsOf(userId);
  }

  /** Revokes one of the caller's tokens (an admin may revoke anyone's); others' ids are simply not found. */
  async revoke(principal: Principal, id: string): Promise<PatRow> {
    const pat = await this.tokens.pat(id);
    // Another user's token is an admin's to revoke, with the admin scope: an admin's `account` token (given to a
    // model, say) manages the admin's own tokens, as anyone's does.
    if (!pat || (pat.userId !== principal.userId && !actsAsAdmin(principal))) throw new NotFoundError(`token '${id}'`);
    await this.tokens.revokePat(id, Date.now());
    return (await this.tokens.pat(id)) as PatRow;
  }
}
