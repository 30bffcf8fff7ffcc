import { createHash } from 'node:crypto';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { loadJose } from '../jose.js';
import { fetchClientDocument, type MetadataFetchOptions } from './cimd.js';
import { type OAuthClient, OAuthRequestError } from './clients.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Asymmetric algorithms only: `private_key_jwt` (never HS*, never `none`). */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];
/** The longest an assertion may live (its `exp` from now), so remembering its `jti` stays cheap. */
const MAX_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;
const JWKS_TTL_MS = 5 * 60_000;
/** A key id not in a cached set refetches it, at most this often (key rotation, without a fetch per request). */
const JWKS_REFETCH_MS = 30_000;

export interface AssertionCheck {
  /** Where the request came: the token (or revocation) endpoint URL; the issuer is accepted too. */
  endpoint: string;
  issuer: string;
  /** Remembers a used assertion id until it expires; false when it was used before (shared store). */
  rememberOnce: (key: string, expiresAt: number) => Promise<boolean>;
}

/** The client id an assertion names (`sub`, RFC 7523 §3), read without verifying, to find the client. */
export async function assertionSubject(assertion: string): Promise<string | undefined> {
  const { decodeJwt } = await loadJose();
  try {
    const sub = decodeJwt(assertion).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies `private_key_jwt` client authentication (RFC 7523 §2.2, §3): a JWT signed with a key of the
 * client's JWKS (inline, or fetched from its `jwks_uri` under the metadata-document fetch rules), whose
 * `iss` and `sub` are the client id, `aud` this endpoint (or the issuer), with an `exp` at most five minutes
 * out and a `jti` never seen before (remembered in the token store until it expires, so a replay fails on
 * every instance).
 */
export class ClientAssertions {
  private readonly cache = new Map<string, { jwks: JSONWebKeySet; at: number }>();

  constructor(private readonly fetchOptions: MetadataFetchOptions) {}

  async verify(client: OAuthClient, assertion: string | undefined, type: string | undefined, check: AssertionCheck) {
    const fail = (why: string): never => {
      throw new OAuthRequestError('invalid_client', `client assertion: ${why}`, 401);
    };
    if (type !== JWT_BEARER_ASSERTION || !assertion) fail(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    const options = {
      issuer: client.clientId,
      subject: client.clientId,
      audience: [check.endpoint, check.issuer],
      algorithms: ASSERTION_ALGORITHMS,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW_S,
    };
    const { createLocalJWKSet, errors, jwtVerify } = await loadJose();
    let payload: JWTPayload;
    try {
      payload = (await jwtVerify(assertion as string, createLocalJWKSet(await this.keys(client, false)), options))
        .payload;
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) return fail(reason(errors, err));
      try {
        payload = (await jwtVerify(assertion as string, createLocalJWKSet(await this.keys(client, true)), options))
          .payload;
      } catch (again) {
        return fail(reason(errors, again));
      }
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp as number;
    if (exp - now > MAX_LIFETIME_S) fail(`exp is more than ${MAX_LIFETIME_S} seconds away`);
    const jti = payload.jti as string;
    const key = `jti:${createHash('sha256').update(`${client.clientId}\0${jti}`).digest('base64url')}`;
    if (!(await check.rememberOnce(key, (exp + CLOCK_SKEW_S) * 1000))) fail('this assertion (jti) was already used');
  }

  /** The client's public keys: inline `jwks`, else its `jwks_uri` (cached; `fresh` refetches if allowed). */
  private async keys(client: OAuthClient, fresh: boolean): Promise<JSONWebKeySet> {
    if (client.jwks) return checkedSet(client.jwks);
    const uri = client.jwksUri;
    if (!uri) throw new OAuthRequestError('invalid_client', 'the client has neither jwks nor jwks_uri', 401);
    const cached = this.cache.get(uri);
    const now = Date.now();
    if (cached && now - cached.at < (fresh ? JWKS_REFETCH_MS : JWKS_TTL_MS)) return cached.jwks;
    const jwks = checkedSet(await fetchClientDocument(uri, "the client's jwks_uri", this.fetchOptions));
    this.cache.set(uri, { jwks, at: now });
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
    return jwks;
  }
}

/** A JWKS of public keys only (a set with private parts is a client's mistake we do not use). */
function checkedSet(raw: unknown): JSONWebKeySet {
  const keys = (raw as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 20) {
    throw new OAuthRequestError('invalid_client', 'the client JWKS must hold 1 to 20 keys', 401);
  }
  if (keys.some((k) => !k || typeof k !== 'object' || 'd' in k || (k as { kty?: unknown }).kty === 'oct')) {
    throw new OAuthRequestError('invalid_client', 'the client JWKS must hold public keys only', 401);
  }
  return { keys } as JSONWebKeySet;
}

function reason(errors: Awaited<ReturnType<typeof loadJose>>['errors'], err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `${err.claim} is wrong or missing`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'signed with no key of the client';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof OAuthRequestError) return err.message;
  return 'not a valid JWT';
}
