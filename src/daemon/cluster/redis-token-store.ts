import type { Redis } from 'ioredis';
import type { NewPat, NewRefresh, TokenStore } from '../auth/token-store.js';
import type { PatRow, RefreshRow } from '../db/tokens-repo.js';

type StoredPat = PatRow & { tokenHash: string };

/**
 * PATs and sessions in Redis, shared by every instance. Keys (under the client's prefix):
 * `pat:<digest>` → the PAT, `pat-id:<id>` → its digest, `pats:<user>` → ids; `rt:<digest>` → a refresh
 * token (expiring with it), `rt-used:<digest>` (SET NX: exactly one caller spends a token),
 * `fam:<id>` → `live` or the revocation time, `fams:<user>` → the user's sessions.
 */
export class RedisTokenStore implements TokenStore {
  readonly shared = true;
  constructor(
    private readonly redis: Redis,
    private readonly sessionTtlMs: number,
  ) {}

  private async putPat(p: StoredPat): Promise<void> {
    const ttl = p.expiresAt ? Math.max(1, p.expiresAt - Date.now() + 86_400_000) : undefined;
    const multi = this.redis.multi();
    if (ttl) multi.set(`pat:${p.tokenHash}`, JSON.stringify(p), 'PX', ttl);
    else multi.set(`pat:${p.tokenHash}`, JSON.stringify(p));
    multi.set(`pat-id:${p.id}`, p.tokenHash);
    multi.sadd(`pats:${p.userId}`, p.id);
    await multi.exec();
  }

  async insertPat(p: NewPat): Promise<void> {
    // The bootstrap token is registered by every instance: the first one wins.
    if (await this.redis.exists(`pat:${p.tokenHash}`)) return;
    await this.putPat({ ...p, scopes: [...p.scopes], lastUsedAt: null, revokedAt: null });
  }

  async patByHash(hash: string): Promise<PatRow | undefined> {
    const raw = await this.redis.get(`pat:${hash}`);
    if (!raw) return undefined;
    const { tokenHash: _h, ...pat } = JSON.parse(raw) as StoredPat;
    const used = await this.redis.get(`pat-used:${pat.id}`);
    return { ...pat, lastUsedAt: used ? Number(used) : pat.lastUsedAt };
  }

  async pat(id: string): Promise<PatRow | undefined> {
    const hash = await this.redis.get(`pat-id:${id}`);
    return hash ? this.patByHash(hash) : undefined;
  }

  async patsOf(userId: string): Promise<PatRow[]> {
    const ids = await this.redis.smembers(`pats:${userId}`);
    const pats = (await Promise.all(ids.map((id) => this.pat(id)))).filter((p): p is PatRow => p !== undefined);
    return pats.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async touchPat(id: string, at: number): Promise<void> {
    await this.redis.set(`pat-used:${id}`, String(at));
  }

  async revokePat(id: string, at: number): Promise<boolean> {
    const hash = await this.redis.get(`pat-id:${id}`);
    const raw = hash ? await this.redis.get(`pat:${hash}`) : null;
    if (!hash || !raw) return false;
    const pat = JSON.parse(raw) as StoredPat;
    if (pat.revokedAt !== null) return false;
    await this.putPat({ ...pat, revokedAt: at });
    return true;
  }

  async insertRefresh(r: NewRefresh): Promise<void> {
    const ttl = Math.max(1, r.expiresAt - Date.now());
    const row: RefreshRow = { ...r, scopes: [...r.scopes], usedAt: null, revokedAt: null };
    await this.redis
      .multi()
      .set(`rt:${r.tokenHash}`, JSON.stringify(row), 'PX', ttl)
      // A family lives as long as its newest token.
      .set(`fam:${r.familyId}`, 'live', 'PX', Math.max(ttl, this.sessionTtlMs), 'NX')
      .pexpire(`fam:${r.familyId}`, Math.max(ttl, this.sessionTtlMs), 'GT')
      .sadd(`fams:${r.userId}`, r.familyId)
      .exec();
  }

  async refresh(hash: string): Promise<RefreshRow | undefined> {
    const [raw, used] = await this.redis.mget(`rt:${hash}`, `rt-used:${hash}`);
    if (!raw) return undefined;
    const row = JSON.parse(raw) as RefreshRow;
    const fam = await this.redis.get(`fam:${row.familyId}`);
    return {
      ...row,
      usedAt: used ? Number(used) : null,
      revokedAt: fam === null || fam === 'live' ? (fam === null ? Date.now() : null) : Number(fam),
    };
  }

  async markRefreshUsed(hash: string, at: number): Promise<boolean> {
    return (await this.redis.set(`rt-used:${hash}`, String(at), 'PX', this.sessionTtlMs, 'NX')) === 'OK';
  }

  async revokeFamily(familyId: string, at: number): Promise<number> {
    // XX: only a family that exists; the revocation outlives every access token it issued.
    const res = await this.redis.set(`fam:${familyId}`, String(at), 'KEEPTTL', 'XX');
    return res === 'OK' ? 1 : 0;
  }

  async revokeAllOf(userId: string, at: number): Promise<{ pats: number; refresh: number }> {
    let pats = 0;
    for (const id of await this.redis.smembers(`pats:${userId}`)) if (await this.revokePat(id, at)) pats++;
    let refresh = 0;
    for (const fid of await this.redis.smembers(`fams:${userId}`)) {
      if ((await this.redis.get(`fam:${fid}`)) === 'live') refresh += await this.revokeFamily(fid, at);
    }
    return { pats, refresh };
  }

  async isSessionLive(familyId: string): Promise<boolean> {
    return (await this.redis.get(`fam:${familyId}`)) === 'live';
  }

  /** Redis expires tokens and sessions by itself; nothing to purge. */
  async purgeExpired(): Promise<{ refresh: number }> {
    return { refresh: 0 };
  }
}
