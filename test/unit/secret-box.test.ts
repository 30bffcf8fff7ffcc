import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretBox, SECRET_KEY_FILE, SecretBox } from '../../src/daemon/auth/secret-box.js';
import { DiscoError } from '../../src/daemon/errors.js';
import { tempDir } from '../helpers/daemon.js';

const TOKEN = 'gho_16C7e42F292c6912E7710c838347Ae178B4a';

/** Flips one bit of one base64url part of a sealed secret (`v1.nonce.ct.tag`). */
function flipBit(sealed: string, part: 1 | 2 | 3): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] as string, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DiscoError);
    expect((err as DiscoError).message).not.toContain(TOKEN);
    return (err as DiscoError).code;
  }
  throw new Error('expected the sealed secret to be refused');
};

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, bound to the same associated data', () => {
    const sealed = box.seal(TOKEN, 'user:42');
    expect(box.open(sealed, 'user:42')).toBe(TOKEN);
    expect(box.seal('', 'user:42')).toMatch(/^v1\./);
    expect(box.open(box.seal('', 'user:42'), 'user:42')).toBe('');
  });

  it('encodes as v1.<nonce>.<ciphertext>.<tag> in base64url with a 12-byte nonce and a 16-byte tag', () => {
    const sealed = box.seal(TOKEN, 'user:42');
    expect(sealed).not.toContain(TOKEN);
    const [version, nonce, ct, tag] = sealed.split('.');
    expect(version).toBe('v1');
    for (const p of [nonce, ct, tag]) expect(p).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(nonce as string, 'base64url')).toHaveLength(12);
    expect(Buffer.from(ct as string, 'base64url')).toHaveLength(Buffer.byteLength(TOKEN));
    expect(Buffer.from(tag as string, 'base64url')).toHaveLength(16);
  });

  it('uses a fresh nonce for every message', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => box.seal(TOKEN, 'a').split('.')[1]));
    expect(nonces.size).toBe(50);
  });

  it('refuses a tampered nonce, ciphertext or tag', () => {
    const sealed = box.seal(TOKEN, 'user:42');
    for (const part of [1, 2, 3] as const)
      expect(refused(() => box.open(flipBit(sealed, part), 'user:42'))).toBe('internal');
  });

  it('refuses the secret under other associated data (another user)', () => {
    const sealed = box.seal(TOKEN, 'user:42');
    expect(refused(() => box.open(sealed, 'user:43'))).toBe('internal');
    expect(refused(() => box.open(sealed, ''))).toBe('internal');
  });

  it('refuses the secret under another key', () => {
    const sealed = box.seal(TOKEN, 'user:42');
    expect(refused(() => new SecretBox(randomBytes(32)).open(sealed, 'user:42'))).toBe('internal');
  });

  it('refuses malformed or unknown-version input', () => {
    const sealed = box.seal(TOKEN, 'a');
    for (const bad of ['', 'v1', 'v1.a.b', `v2${sealed.slice(2)}`, sealed.split('.').slice(0, 3).join('.')])
      expect(refused(() => box.open(bad, 'a'))).toBe('internal');
  });

  it('needs a 32-byte key', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32-byte/);
  });
});

describe('loadSecretBox', () => {
  it('creates keys/secret.key (0600, directory 0700) on first use and reuses it', async () => {
    const home = await tempDir('secret-box-');
    const first = await loadSecretBox(home, undefined);
    const file = path.join(home, SECRET_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url')).toHaveLength(32);

    const sealed = first.seal(TOKEN, 'user:1');
    const again = await loadSecretBox(home, undefined);
    expect(again.open(sealed, 'user:1')).toBe(TOKEN);
  });

  it('derives the key from a shared secret the same way on every instance, without a key file', async () => {
    const [a, b] = [await tempDir('secret-box-a-'), await tempDir('secret-box-b-')];
    const sealed = (await loadSecretBox(a, 'a shared DISCO_JWT_SECRET')).seal(TOKEN, 'user:1');
    expect((await loadSecretBox(b, 'a shared DISCO_JWT_SECRET')).open(sealed, 'user:1')).toBe(TOKEN);
    await expect(stat(path.join(a, SECRET_KEY_FILE))).rejects.toThrow();
    const other = await loadSecretBox(b, 'another secret');
    expect(refused(() => other.open(sealed, 'user:1'))).toBe('internal');
    const fileKey = await loadSecretBox(b, undefined);
    expect(refused(() => fileKey.open(sealed, 'user:1'))).toBe('internal');
  });

  it('replaces a key file that does not hold 32 bytes', async () => {
    const home = await tempDir('secret-box-');
    await loadSecretBox(home, undefined);
    const file = path.join(home, SECRET_KEY_FILE);
    await writeFile(file, 'short\n');
    const box = await loadSecretBox(home, undefined);
    expect(box.open(box.seal(TOKEN, 'x'), 'x')).toBe(TOKEN);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url')).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
