import { AuditRepo } from '../db/audit-repo.js';
import { GrantsRepo } from '../db/grants-repo.js';
import type { Db } from '../db/open.js';
import { ProcessesRepo } from '../db/processes-repo.js';
import { TokensRepo } from '../db/tokens-repo.js';
import { removeProcessLogs } from '../workspace/output-log.js';
import type { JobHooks } from './jobs.js';

/**
 * The jobs' hooks into the tables of one database (audit log, refresh tokens, OAuth grants, process
 * history); `processLogDir` is where processes' output logs live.
 */
export function storeHooks(db: Db, processLogDir: string): JobHooks {
  const audit = new AuditRepo(db);
  const tokens = new TokensRepo(db);
  const grants = new GrantsRepo(db);
  const processes = new ProcessesRepo(db);
  return {
    pruneAuditLog: (before) => audit.purgeBefore(before),
    purgeExpiredCredentials: (now) => tokens.purgeExpired(now).refresh + grants.purgeExpired(now),
    pruneProcessHistory: async (keep) => {
      const ids = processes.pruneHistory(keep);
      await removeProcessLogs(processLogDir, ids);
      return ids.length;
    },
  };
}
