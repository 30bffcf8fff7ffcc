import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts, FIRST_PASSWORD_FRESH_MINUTES } from '../../src/daemon/auth/accounts.js';
import { scopesForUser } from '../../src/daemon/auth/scopes.js';
import { SqliteTokenStore } from '../../src/daemon/auth/token-store.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { TokensRepo } from '../../src/daemon/db/tokens-repo.js';
import { UsersRepo } from '../../src/daemon/db/users-repo.js';
import { DiscoError } from '../../src/daemon/errors.js';
import type { Principal, Scope } from '../../src/daemon/ops/op.js';

describe('setting a first password', () => {
  let db: Db;
  let accounts: Accounts;
  let store: SqliteTokenStore;
  let n = 0;

  beforeAll(() => {
    db = openDatabase(':memory:');
    store = new SqliteTokenStore(new TokensRepo(db));
    accounts = new Accounts(new UsersRepo(db), store);
  });
  afterAll(() => db.close());

  /** A user without a password, and a session of theirs signed in `ageMinutes` ago. */
  async function setUp(ageMinutes: number, kind: { familyId?: string; clientId?: string } = {}) {
    const user = await accounts.create({ name: `user${++n}` });
    const familyId = kind.familyId ?? `fam-${n}`;
    const createdAt = Date.now() - ageMinutes * 60_000;
    await store.insertRefresh({
      tokenHash: `hash-${n}`,
      familyId,
      userId: user.id,
      clientId: kind.clientId ?? null,
      scopes: scopesForUser(false),
      audience: 'http://disco.test',
      createdAt,
      expiresAt: Date.now() + 86_400_000,
    });
    const principal = (scopes: Scope[]): Principal => ({
      userId: user.id,
      userName: user.name,
      isAdmin: false,
      scopes: new Set(scopes),
      via: kind.clientId ? 'oauth' : 'session',
      sessionId: familyId,
      ...(kind.clientId ? { clientId: kind.clientId } : {}),
    });
    return { user, principal };
  }
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    return err instanceof DiscoError ? err.code : err;
  };

  it('is allowed from a narrow session the user signed in to within the last minutes', async () => {
    const { principal } = await setUp(1);
    await expect(accounts.setPassword(principal(['account']), 'a first password', undefined)).resolves.toEqual({
      endedSessions: 0,
    });
  });

  it('is refused from a narrow session signed in to longer ago', async () => {
    const { principal } = await setUp(FIRST_PASSWORD_FRESH_MINUTES + 1);
    expect(await refusal(accounts.setPassword(principal(['account']), 'a first password', undefined))).toBe(
      'forbidden',
    );
  });

  it('is refused from a fresh narrow session exchanged for a PAT or issued to an OAuth client', async () => {
    const pat = await setUp(0, { familyId: 'tok_0123456789abcdef.x' });
    expect(await refusal(accounts.setPassword(pat.principal(['account']), 'a first password', undefined))).toBe(
      'forbidden',
    );
    const oauth = await setUp(0, { clientId: 'client-1' });
    expect(await refusal(accounts.setPassword(oauth.principal(['account']), 'a first password', undefined))).toBe(
      'forbidden',
    );
  });

  it('is allowed from an old session that carries every scope the user may hold', async () => {
    const { principal, user } = await setUp(60 * 24);
    await accounts.setPassword(principal(scopesForUser(false)), 'a first password', undefined);
    expect(accounts.users.get(user.id)?.hasPassword).toBe(true);
  });
});
