import { AuditRepo } from '../db/audit-repo.js';
import { GrantsRepo } from '../db/grants-repo.js';
import type { Db } from '../db/open.js';
import { TokensRepo } from '../db/tokens-repo.js';
import type { JobHooks } from './jobs.js';

/** The jobs' hooks into the identity tables (audit log, refresh tokens, OAuth grants) of one database. */
export function storeHooks(db: Db): JobHooks {
  const audit = new AuditRepo(db);
  const tokens = new TokensRepo(db);
  const grants = new GrantsRepo(db);
  return {
    pruneAuditLog: (before) => audit.purgeBefore(before),
    purgeExpiredCredentials: (now) => tokens.purgeExpired(now).refresh + grants.purgeExpired(now),
  };
}
