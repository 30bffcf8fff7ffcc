import { SCOPES, type Scope } from '../ops/op.js';

const KNOWN = new Set<string>(SCOPES);

/**
 * An admin acting as one: the admin flag and a token that carries the `admin` scope. Security: an admin's
 * narrower token (exec or account only, handed to a model) may not do what only an admin may.
 */
export const actsAsAdmin = (who: { isAdmin: boolean; scopes: ReadonlySet<string> }): boolean =>
  who.isAdmin && who.scopes.has('admin');

/** Scopes a user may hold: everything but `admin` unless they are an admin. */
export const scopesForUser = (isAdmin: boolean): Scope[] => SCOPES.filter((s) => isAdmin || s !== 'admin');

/** Parses a space- or comma-separated list, keeping known scopes only, in canonical order. */
export function parseScopes(raw: string | readonly string[] | undefined): Scope[] {
  const list = typeof raw === 'string' ? raw.split(/[\s,]+/) : (raw ?? []);
  const wanted = new Set(list.filter((s) => KNOWN.has(s)));
  return SCOPES.filter((s) => wanted.has(s));
}

/** Unknown names in a requested scope list (for a clear validation error). */
export const unknownScopes = (list: readonly string[]) => list.filter((s) => s && !KNOWN.has(s));

export const intersectScopes = (a: readonly Scope[], b: readonly Scope[]): Scope[] => a.filter((s) => b.includes(s));
