import type { z } from 'zod';
import type { UserSchema } from '../../contracts/admin.js';
import * as contract from '../../contracts/admin.js';
import type { UserRow } from '../db/users-repo.js';
import { implement } from './op.js';

export { AuditEntrySchema, UserSchema } from '../../contracts/admin.js';

const toUserDto = (u: UserRow): z.input<typeof UserSchema> => ({
  id: u.id,
  name: u.name,
  isAdmin: u.isAdmin,
  email: u.email,
  github: u.githubLogin,
  hasPassword: u.hasPassword,
  createdAt: new Date(u.createdAt).toISOString(),
});

export const userList = implement(contract.userList, {
  run: async (_input, { services }) => ({ users: services.auth.users.list().map(toUserDto) }),
});

export const userCreate = implement(contract.userCreate, {
  run: async (input, { services }) => toUserDto(await services.auth.createUser(input)),
});

export const userRevokeTokens = implement(contract.userRevokeTokens, {
  run: async ({ id }, { services }) => {
    const user = services.auth.users.get(id) ?? services.auth.users.getByName(id);
    const revoked = await services.auth.revokeUserTokens(user?.id ?? id);
    return { user: user?.id ?? id, personalAccessTokens: revoked.pats, refreshTokens: revoked.refresh };
  },
});

export const auditList = implement(contract.auditList, {
  run: async ({ user, action, before, limit }, { services }) => ({
    entries: services.auth
      .listAudit({
        ...(user ? { userId: user } : {}),
        ...(action ? { action } : {}),
        ...(before ? { before } : {}),
        limit,
      })
      .map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  }),
});
