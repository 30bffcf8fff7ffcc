import type { Redis } from 'ioredis';
import type { RecordSeal } from '../auth/record-seal.js';
import type { NewPat, NewRefresh, SessionRecord, TokenStore } from '../auth/token-store.js';
import type { PatRow, RefreshRow } from '../db/tokens-repo.js';
import type { Logger } from '../log.js';

type StoredPat = PatRow & { tokenHash: string };
type StoredRefresh = Omit<RefreshRow, 'usedAt' | 'revokedAt'>;
/** The most refused keys remembered (each is logged once); beyond it, refusals are no longer logged. */
const REFUSED_LOGGED_MAX = 1024;

/**
 * PATs and sessions in Redis, shared by every instance. Keys (under the client's prefix):
 * `pat:<digest>` → the PAT, `pat-id:<id>` → its digest, `pats:<user>` → ids; `rt:<digest>` → a refresh
 * token (expiring with it), `rt-used:<digest>` (SET NX: exactly one caller spends a token),
 * `fam:<id>` → the session (its user, grant, sign-in time and revocation), `fams:<user>` → the user's sessions,
 * `mark:<key>` → short-lived marks (a refresh's sealed successor for the grace window, used assertion ids).
 *
 * Security: whoever can write Redis must not be able to mint a token. The records (`pat:`, `rt:`, `fam:`) are
 * sealed (RecordSeal, keyed from DISCO_JWT_SECRET and bound to their key); one that does not open — forged,
 * edited, moved to another key, or written unsealed by an older version — is treated as absent and logged
 * once. The index keys (`pat-id:`, `pats:`, `fams:`) and the `rt-used:`/`pat-used:` marks are not sealed:
 * what they point at is checked against the sealed record, and tampering with them can only deny service. The
 * `mark:` values are either encrypted under a key only the presenter of a spent refresh token has, or bare ids.
 */
export class RedisTokenStore implements TokenStore {
  readonly shared = true;
  private readonly refusedLogged = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly sessionTtlMs: number,
    private readonly seal: RecordSeal,
    private readonly log?: Logger,
  ) {}

  /**
   * Never remembered: Redis is not trusted to vouch for a record, so a record edited in Redis must be refused
   * at its next use (test/security/redis-forgery.test.ts), and a writer of Redis announces nothing.
   */
  version(): undefined {
    return undefined;
  }

  /** Opens a sealed record; an unsealed or broken one is refused (and logged once per key). */
  private open<T>(key: string, raw: string | null): T | undefined {
    if (raw === null) return undefined;
    const value = this.seal.open<T>(key, raw);
    if (value === undefined && !this.refusedLogged.has(key) && this.refusedLogged.size < REFUSED_LOGGED_MAX) {
      this.refusedLogged.add(key);
      this.log?.warn(
        { key },
        'refused a token-store record in Redis that Disco did not seal (forged, edited or legacy)',
      );
    }
    return value;
  }

  private async storedPat(hash: string): Promise<StoredPat | undefined> {
    const key = `pat:${hash}`;
    const pat = this.open<StoredPat>(key, await this.redis.get(key));
    return pat && pat.tokenHash === hash ? pat : undefined;
  }

  private async putPat(p: StoredPat): Promise<void> {
    const ttl = p.expiresAt ? Math.max(1, p.expiresAt - Date.now() + 86_400_000) : undefined;
    const key = `pat:${p.tokenHash}`;
    const multi = this.redis.multi();
    if (ttl) multi.set(key, this.seal.seal(key, p), 'PX', ttl);
    else multi.set(key, this.seal.seal(key, p));
    multi.set(`pat-id:${p.id}`, p.tokenHash);
    multi.sadd(`pats:${p.userId}`, p.id);
    await multi.exec();
  }

  async insertPat(p: NewPat): Promise<void> {
    // The bootstrap token is registered by every instance: the first one wins (an unreadable record does not).
    if (await this.storedPat(p.tokenHash)) return;
    await this.putPat({ ...p, scopes: [...p.scopes], lastUsedAt: null, revokedAt: null });
  }

  async patByHash(hash: string): Promise<PatRow | undefined> {
    const stored = await this.storedPat(hash);
    if (!stored) return undefined;
    const { tokenHash: _h, ...pat } = stored;
    const used = await this.redis.get(`pat-used:${pat.id}`);
    return { ...pat, lastUsedAt: used ? Number(used) : pat.lastUsedAt };
  }

  async pat(id: string): Promise<PatRow | undefined> {
    const hash = await this.redis.get(`pat-id:${id}`);
    const pat = hash ? await this.patByHash(hash) : undefined;
    return pat?.id === id ? pat : undefined;
  }

  async patsOf(userId: string): Promise<PatRow[]> {
    const ids = await this.redis.smembers(`pats:${userId}`);
    const pats = (await Promise.all(ids.map((id) => this.pat(id)))).filter(
      (p): p is PatRow => p !== undefined && p.userId === userId,
    );
    return pats.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async touchPat(id: string, at: number): Promise<void> {
    await this.redis.set(`pat-used:${id}`, String(at));
  }

  async revokePat(id: string, at: number): Promise<boolean> {
    const hash = await this.redis.get(`pat-id:${id}`);
    const pat = hash ? await this.storedPat(hash) : undefined;
    if (!pat || pat.id !== id || pat.revokedAt !== null) return false;
    await this.putPat({ ...pat, revokedAt: at });
    return true;
  }

  async insertRefresh(r: NewRefresh): Promise<void> {
    const ttl = Math.max(1, r.expiresAt - Date.now());
    const famTtl = Math.max(ttl, this.sessionTtlMs);
    const row: StoredRefresh = { ...r, scopes: [...r.scopes] };
    const session: SessionRecord = {
      familyId: r.familyId,
      userId: r.userId,
      ...(r.userName !== undefined ? { userName: r.userName } : {}),
      ...(r.userIsAdmin !== undefined ? { userIsAdmin: r.userIsAdmin } : {}),
      scopes: [...r.scopes],
      clientId: r.clientId,
      authTime: r.createdAt,
      revokedAt: null,
    };
    const rt = `rt:${r.tokenHash}`;
    const fam = `fam:${r.familyId}`;
    await this.redis
      .multi()
      .set(rt, this.seal.seal(rt, row), 'PX', ttl)
      // The session record is written by its first token; a family lives as long as its newest token.
      .set(fam, this.seal.seal(fam, session), 'PX', famTtl, 'NX')
      .pexpire(fam, famTtl, 'GT')
      .sadd(`fams:${r.userId}`, r.familyId)
      .exec();
  }

  async refresh(hash: string): Promise<RefreshRow | undefined> {
    const rt = `rt:${hash}`;
    const [raw, used] = await this.redis.mget(rt, `rt-used:${hash}`);
    const row = this.open<StoredRefresh>(rt, raw ?? null);
    if (!row || row.tokenHash !== hash) return undefined;
    const session = await this.session(row.familyId);
    // A token whose session is gone, or names another user, belongs to no session: it is revoked.
    const revokedAt = session && session.userId === row.userId ? session.revokedAt : Date.now();
    return { ...row, usedAt: used ? Number(used) : null, revokedAt };
  }

  async markRefreshUsed(hash: string, at: number): Promise<boolean> {
    return (await this.redis.set(`rt-used:${hash}`, String(at), 'PX', this.sessionTtlMs, 'NX')) === 'OK';
  }

  async session(familyId: string): Promise<SessionRecord | undefined> {
    const key = `fam:${familyId}`;
    const session = this.open<SessionRecord>(key, await this.redis.get(key));
    return session?.familyId === familyId ? session : undefined;
  }

  async revokeFamily(familyId: string, at: number): Promise<number> {
    const session = await this.session(familyId);
    if (!session || session.revokedAt !== null) return 0;
    const key = `fam:${familyId}`;
    // XX: only a family that exists; the revocation outlives every access token it issued.
    const res = await this.redis.set(key, this.seal.seal(key, { ...session, revokedAt: at }), 'KEEPTTL', 'XX');
    return res === 'OK' ? 1 : 0;
  }

  async revokeSessionsOf(userId: string, at: number, except?: string): Promise<number> {
    let ended = 0;
    for (const fid of await this.redis.smembers(`fams:${userId}`)) {
      if (fid === except) continue;
      const session = await this.session(fid);
      if (session?.userId === userId) ended += await this.revokeFamily(fid, at);
    }
    return ended;
  }

  async revokeAllOf(userId: string, at: number): Promise<{ pats: number; refresh: number }> {
    let pats = 0;
    for (const id of await this.redis.smembers(`pats:${userId}`)) if (await this.revokePat(id, at)) pats++;
    return { pats, refresh: await this.revokeSessionsOf(userId, at) };
  }

  async putMark(key: string, value: string, expiresAt: number): Promise<void> {
    await this.redis.set(`mark:${key}`, value, 'PX', Math.max(1, expiresAt - Date.now()));
  }

  async putMarkOnce(key: string, value: string, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - Date.now());
    return (await this.redis.set(`mark:${key}`, value, 'PX', ttl, 'NX')) === 'OK';
  }

  async mark(key: string): Promise<string | undefined> {
    return (await this.redis.get(`mark:${key}`)) ?? undefined;
  }

  /** Redis expires tokens and sessions by itself; nothing to purge. */
  async purgeExpired(): Promise<{ refresh: number }> {
    return { refresh: 0 };
  }
}
