import type { Scope } from '../ops/op.js';

/** What a sign-in or refresh hands the client. */
export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  scopes: Scope[];
  user: { id: string; name: string; isAdmin: boolean };
  /** The session (refresh-token family); logout or revocation ends it with all its tokens. */
  sessionId: string;
}

/** Where tokens are minted and checked: the issuer (the daemon's public URL) and accepted audiences. */
export interface Realm {
  issuer: string;
  audiences: readonly string[];
}
