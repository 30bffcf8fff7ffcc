import { createHash, createSecretKey, type KeyObject, type webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CryptoKey, JWK } from 'jose';
import { atomicWrite } from '../workspace/files.js';

export interface SigningKeys {
  alg: 'EdDSA' | 'HS256';
  kid: string;
  /** Signs new tokens. */
  signKey: KeyObject | CryptoKey | Uint8Array;
  /** Verifies tokens (the public half, or the shared secret). */
  verifyKey: KeyObject | CryptoKey | Uint8Array;
  source: 'env' | 'file' | 'generated';
}

export const SIGNING_KEY_FILE = path.join('keys', 'jwt-signing.json');

/**
 * JWT signing keys. `DISCO_JWT_SECRET` (HS256) lets several instances verify each other's tokens;
 * otherwise an Ed25519 key pair is generated on first start into `$DISCO_HOME/keys` (0600, dir 0700),
 * which the container sandbox never exposes.
 */
export async function loadSigningKeys(home: string, secret: string | undefined): Promise<SigningKeys> {
  if (secret) {
    const key = createSecretKey(Buffer.from(secret, 'utf8'));
    const kid = createHash('sha256').update(`kid:${secret}`).digest('base64url').slice(0, 16);
    return { alg: 'HS256', kid, signKey: key, verifyKey: key, source: 'env' };
  }
  const file = path.join(home, SIGNING_KEY_FILE);
  let jwk: JWK | undefined;
  let source: SigningKeys['source'] = 'file';
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!jwk) {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    jwk = await exportJwk(pair.privateKey);
    jwk.kid = createHash('sha256')
      .update(jwk.x ?? '')
      .digest('base64url')
      .slice(0, 16);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await atomicWrite(file, Buffer.from(`${JSON.stringify(jwk)}\n`), 0o600);
    source = 'generated';
  }
  const { d: _private, ...publicJwk } = jwk;
  return {
    alg: 'EdDSA',
    kid: jwk.kid ?? 'disco',
    signKey: await importEd25519(jwk),
    verifyKey: await importEd25519(publicJwk),
    source,
  };
}

/**
 * The Web Crypto calls jose's `exportJWK` and `importJWK(jwk, 'EdDSA')` make for an Ed25519 key, made here
 * so that start-up does not load jose (see jose.ts): the same JWK members on disk, and the same keys (a
 * private key for signing only and not extractable, a public key for verifying).
 */
const { subtle } = globalThis.crypto;

async function exportJwk(key: CryptoKey): Promise<JWK> {
  const { ext: _ext, key_ops: _ops, use: _use, alg: _alg, ...jwk } = await subtle.exportKey('jwk', key);
  return jwk as JWK;
}

function importEd25519(jwk: JWK): Promise<CryptoKey> {
  const { alg: _alg, use: _use, ...keyData } = jwk;
  const isPrivate = Boolean(jwk.d);
  const extractable = typeof jwk.ext === 'boolean' ? jwk.ext : !isPrivate;
  return subtle.importKey('jwk', keyData as webcrypto.JsonWebKey, { name: 'Ed25519' }, extractable, [
    isPrivate ? 'sign' : 'verify',
  ]);
}
