import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const PREFIX = 's1.';

/**
 * Seals records kept outside this process (the token store in Redis) with an HMAC-SHA256 keyed by HKDF from
 * `DISCO_JWT_SECRET` (its own info label, so the key is used for nothing else). The MAC covers the record's
 * key name too: a sealed record copied under another key (another token's digest, another session) does not
 * open. Records stay readable JSON (they hold digests, never secrets); sealing is about who wrote them.
 * Security: it stops forged and edited records, not a writer replaying an older record of the same key.
 */
export class RecordSeal {
  private readonly key: Buffer;

  constructor(sharedSecret: string) {
    if (sharedSecret.length < 32) throw new Error('RecordSeal needs the shared secret (DISCO_JWT_SECRET)');
    this.key = Buffer.from(hkdfSync('sha256', sharedSecret, 'disco', 'disco token store records v1', 32));
  }

  seal(name: string, value: unknown): string {
    const json = JSON.stringify(value);
    return `${PREFIX}${this.mac(name, json)}.${json}`;
  }

  /** The record, or undefined when it is not one this key sealed under this name (forged, edited, moved, legacy). */
  open<T>(name: string, raw: string): T | undefined {
    if (!raw.startsWith(PREFIX)) return undefined;
    const dot = raw.indexOf('.', PREFIX.length);
    if (dot < 0) return undefined;
    const given = Buffer.from(raw.slice(PREFIX.length, dot), 'base64url');
    const json = raw.slice(dot + 1);
    const expected = Buffer.from(this.mac(name, json), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(json) as T;
    } catch {
      return undefined;
    }
  }

  private mac(name: string, json: string): string {
    return createHmac('sha256', this.key).update(name).update('\0').update(json).digest('base64url');
  }
}
