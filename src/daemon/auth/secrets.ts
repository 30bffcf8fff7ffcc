import * as crypto from 'node:crypto';
import { sha256 } from '../workspace/content.js';

export const PAT_PREFIX = 'disco_pat_';
export const REFRESH_PREFIX = 'disco_rt_';

/** A new high-entropy secret (256 bits) with a recognisable prefix (secret scanners key on it). */
export const newSecret = (prefix: string) => `${prefix}${crypto.randomBytes(32).toString('base64url')}`;

/**
 * Secrets we mint have 256 bits of entropy, so a plain SHA-256 is the right digest to store (a KDF is for
 * low-entropy passwords); lookups by digest cannot be timed to reveal the secret.
 */
export const secretDigest = (secret: string): string => sha256(secret);

/** What a list shows of a secret: its known prefix and four characters (base64url may itself contain `_`). */
export const secretHint = (secret: string) => {
  const prefix = /^disco_(?:pat_|rt_)?/.exec(secret)?.[0] ?? '';
  return `${secret.slice(0, prefix.length + 4)}…`;
};
