import type { z } from 'zod';
import type { TokenSchema } from '../../contracts/account.js';
import * as contract from '../../contracts/account.js';
import type { PatRow } from '../db/tokens-repo.js';
import { implement, SCOPES } from './op.js';

export { TokenSchema } from '../../contracts/account.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const toTokenDto = (p: PatRow): z.input<typeof TokenSchema> => ({
  id: p.id,
  name: p.name,
  hint: p.hint,
  scopes: p.scopes,
  kind: p.kind,
  createdAt: new Date(p.createdAt).toISOString(),
  expiresAt: iso(p.expiresAt),
  lastUsedAt: iso(p.lastUsedAt),
  revokedAt: iso(p.revokedAt),
});

export const authMe = implement(contract.authMe, {
  run: async (_input, { principal, services }) => {
    const user = services.auth.users.get(principal.userId);
    return {
      user: {
        id: principal.userId,
        name: principal.userName,
        isAdmin: principal.isAdmin,
        email: user?.email ?? null,
        github: user?.githubLogin ?? null,
      },
      via: principal.via,
      scopes: SCOPES.filter((s) => principal.scopes.has(s)),
      ...(principal.clientId ? { clientId: principal.clientId } : {}),
    };
  },
});

export const tokenCreate = implement(contract.tokenCreate, {
  run: async (input, { principal, services }) => {
    const { token, pat } = await services.auth.pats.create(principal, input);
    return { ...toTokenDto(pat), token };
  },
});

export const tokenList = implement(contract.tokenList, {
  run: async (_input, { principal, services }) => ({
    tokens: (await services.auth.pats.list(principal.userId)).map(toTokenDto),
  }),
});

export const tokenRevoke = implement(contract.tokenRevoke, {
  run: async ({ id }, { principal, services }) => toTokenDto(await services.auth.pats.revoke(principal, id)),
});

export const passwordChange = implement(contract.passwordChange, {
  run: async ({ currentPassword, newPassword }, { principal, services }) => {
    await services.auth.accounts.setPassword(principal, newPassword, currentPassword);
    return { changed: true as const };
  },
});
