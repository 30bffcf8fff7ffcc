import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DiscoError } from '../errors.js';
import { atomicWrite } from '../workspace/files.js';

export const SECRET_KEY_FILE = path.join('keys', 'secret.key');
const VERSION = 'v1';

/**
 * Seals small secrets at rest (users' GitHub tokens) with AES-256-GCM from Node's crypto: a random
 * 96-bit nonce per message, the auth tag checked on open, and associated data binding a secret to its
 * owner (a sealed token copied to another user's row does not open).
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: string, aad: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, nonce, ct, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string, aad: string): string {
    const [version, nonce, ct, tag] = sealed.split('.');
    if (version !== VERSION || !nonce || ct === undefined || !tag)
      throw new DiscoError('internal', 'unreadable sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DiscoError('internal', 'a sealed secret failed its integrity check (wrong key or tampered)');
    }
  }
}

/**
 * The sealing key: derived with HKDF-SHA256 from `DISCO_JWT_SECRET` when set (so instances sharing it can
 * open each other's secrets), else 32 random bytes generated once into `$DISCO_HOME/keys/secret.key` (0600).
 */
export async function loadSecretBox(home: string, sharedSecret: string | undefined): Promise<SecretBox> {
  if (sharedSecret) {
    return new SecretBox(Buffer.from(hkdfSync('sha256', sharedSecret, 'disco', 'disco secret box v1', 32)));
  }
  const file = path.join(home, SECRET_KEY_FILE);
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
    if (key.length === 32) return new SecretBox(key);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await atomicWrite(file, Buffer.from(`${key.toString('base64url')}\n`), 0o600);
  return new SecretBox(key);
}
