import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { secretDigest } from './secrets.js';
import type { TokenPair } from './token-pair.js';
import type { TokenStore } from './token-store.js';

/** How long a repeat of a just-spent refresh token waits for the racing winner's new pair to be stored. */
export const GRACE_WAIT_MS = 2000;
const POLL_MS = 25;

export const graceKey = (refreshHash: string) => `rt-grace:${refreshHash}`;

/**
 * The new pair a refresh produced, sealed (AES-256-GCM) under a key derived from the refresh token that
 * was spent. Security: the store keeps only the spent token's digest, so the record opens for whoever
 * presents that token again (a client retrying its own refresh within the grace window) and for nobody
 * reading the database or Redis; tokens never appear in plaintext at rest or in logs.
 */
export function sealPair(spentToken: string, pair: TokenPair): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(spentToken), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(pair), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** The sealed pair, or undefined when the record does not open with this token (forged or another's). */
export function openPair(spentToken: string, sealed: string): TokenPair | undefined {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body || iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(spentToken), iv);
    decipher.setAuthTag(tag);
    const json = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    return JSON.parse(json) as TokenPair;
  } catch {
    return undefined;
  }
}

/** Polls for the grace record until it appears or the wait is over (the winner may still be minting). */
export async function awaitGraceRecord(
  read: () => Promise<string | undefined>,
  waitMs = GRACE_WAIT_MS,
): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await read();
    if (found !== undefined || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function keyOf(spentToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', spentToken, 'disco', 'disco refresh grace v1', 32));
}

/**
 * The grace window for racing refreshes (ChatGPT retries a refresh it thinks failed): for `graceMs` after a
 * refresh token is spent, presenting it again returns the same new pair instead of revoking the session.
 * Security: only while that new pair's own refresh token is unspent (a client that has moved on does not
 * repeat itself, a thief does) and the session is live; later, or otherwise, a reuse still revokes.
 */
export class RefreshGrace {
  constructor(
    private readonly tokens: TokenStore,
    private readonly graceMs: number,
  ) {}

  /** Keeps the pair a refresh produced, sealed, for the window. */
  async remember(spentToken: string, pair: TokenPair, now = Date.now()): Promise<void> {
    if (this.graceMs <= 0) return;
    await this.tokens.putMark(graceKey(secretDigest(spentToken)), sealPair(spentToken, pair), now + this.graceMs);
  }

  /** The pair to answer a repeat with, or undefined when the repeat is a reuse (outside the window, …). */
  async repeat(spentToken: string, usedAt: number | null, now = Date.now()): Promise<TokenPair | undefined> {
    if (this.graceMs <= 0 || usedAt === null || now - usedAt > this.graceMs) return undefined;
    const key = graceKey(secretDigest(spentToken));
    const sealed = await awaitGraceRecord(() => this.tokens.mark(key));
    const pair = sealed === undefined ? undefined : openPair(spentToken, sealed);
    if (!pair) return undefined;
    const next = await this.tokens.refresh(secretDigest(pair.refreshToken));
    if (!next || next.usedAt !== null || next.revokedAt !== null) return undefined;
    return pair;
  }
}
