import type { DomainRules } from '../egress/policy.js';
import { NETWORK_MODES, type NetworkMode } from '../sandbox/network-mode.js';
import { asRuntime, type Runtime } from '../webcontainer/runtimes.js';
import type { Db } from './open.js';

export interface ContainerRow {
  id: string;
  name: string;
  ownerId: string;
  /** Where its commands run. */
  runtime: Runtime;
  template: string;
  status: string;
  createdAt: number;
  lastUsedAt: number;
  /** How its commands reach the network (enforced by the sandbox). */
  network: NetworkMode;
  /** Pinned containers are never deleted for being idle. */
  pinned: boolean;
  /** Its own egress domain lists on top of the global ones (empty lists: none). */
  egress: DomainRules;
}

export const NO_EGRESS_RULES: DomainRules = Object.freeze({ allow: [], deny: [] });
/** What a stored value this version cannot read means: nothing is allowed (fail closed). */
const UNREADABLE_RULES: DomainRules = Object.freeze({ allow: ['unreadable-rules.invalid'], deny: [] });

function parseRules(text: string | null): DomainRules {
  if (text === null) return NO_EGRESS_RULES;
  try {
    const v = JSON.parse(text) as { allow?: unknown; deny?: unknown };
    const list = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
    if (list(v.allow) && list(v.deny)) return { allow: v.allow as string[], deny: v.deny as string[] };
  } catch {
    // below
  }
  return UNREADABLE_RULES;
}

const rulesText = (r: DomainRules | undefined): string | null =>
  r === undefined ? null : JSON.stringify({ allow: r.allow, deny: r.deny });

interface RawRow {
  id: string;
  name: string;
  owner_id: string;
  runtime: string;
  template: string;
  status: string;
  created_at: number;
  last_used_at: number;
  network_mode: string;
  pinned: number;
  egress_rules: string | null;
}

const toRow = (r: RawRow): ContainerRow => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  runtime: asRuntime(r.runtime),
  template: r.template,
  status: r.status,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  // Fail closed: a value this version does not know is no network.
  network: (NETWORK_MODES as readonly string[]).includes(r.network_mode) ? (r.network_mode as NetworkMode) : 'off',
  pinned: r.pinned === 1,
  egress: parseRules(r.egress_rules),
});

export class ContainersRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at, network_mode, pinned, egress_rules)
         VALUES (@id, @name, @ownerId, @runtime, @template, @status, @createdAt, @lastUsedAt, @network, @pinned, @egress)`,
      ),
      byId: db.prepare('SELECT * FROM containers WHERE id = ?'),
      statusOf: db.prepare('SELECT status FROM containers WHERE id = ?').pluck(),
      runtimeOf: db.prepare('SELECT runtime FROM containers WHERE id = ?').pluck(),
      countByStatus: db.prepare('SELECT status, count(*) AS n FROM containers GROUP BY status'),
      countByOwner: db.prepare('SELECT count(*) AS n FROM containers WHERE owner_id = ?'),
      byName: db.prepare('SELECT * FROM containers WHERE owner_id = ? AND name = ?'),
      listByOwner: db.prepare('SELECT * FROM containers WHERE owner_id = ? ORDER BY created_at, id'),
      listAll: db.prepare('SELECT * FROM containers ORDER BY created_at, id'),
      setStatus: db.prepare('UPDATE containers SET status = ? WHERE id = ?'),
      touch: db.prepare('UPDATE containers SET last_used_at = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM containers WHERE id = ?'),
      setFlags: db.prepare(
        'UPDATE containers SET network_mode = coalesce(@network, network_mode), pinned = coalesce(@pinned, pinned), egress_rules = coalesce(@egress, egress_rules) WHERE id = @id',
      ),
      egressOf: db.prepare('SELECT egress_rules FROM containers WHERE id = ?').pluck(),
      idleSince: db.prepare('SELECT * FROM containers WHERE last_used_at < ? AND status = ? ORDER BY last_used_at'),
    };
  }

  insert(row: ContainerRow): void {
    const egress = row.egress.allow.length + row.egress.deny.length > 0 ? rulesText(row.egress) : null;
    this.stmts.insert.run({ ...row, pinned: row.pinned ? 1 : 0, egress });
  }

  get(id: string): ContainerRow | undefined {
    const r = this.stmts.byId.get(id) as RawRow | undefined;
    return r && toRow(r);
  }

  /** The container's status, or undefined when there is no such row. */
  statusOf(id: string): string | undefined {
    return this.stmts.statusOf.get(id) as string | undefined;
  }

  /**
   * The container's runtime as stored, or undefined when there is no such row. Perf: every command asks
   * (is it a webcontainer's?), and the whole row (with its egress rules parsed) cost ~3× this one column.
   */
  runtimeOf(id: string): string | undefined {
    return this.stmts.runtimeOf.get(id) as string | undefined;
  }

  countByStatus(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.stmts.countByStatus.all() as Array<{ status: string; n: number }>) counts[r.status] = r.n;
    return counts;
  }

  /** How many containers an owner has, in any status (the per-user limit). */
  countOwnedBy(ownerId: string): number {
    return (this.stmts.countByOwner.get(ownerId) as { n: number }).n;
  }

  getByName(ownerId: string, name: string): ContainerRow | undefined {
    const r = this.stmts.byName.get(ownerId, name) as RawRow | undefined;
    return r && toRow(r);
  }

  list(ownerId?: string): ContainerRow[] {
    const rows = (ownerId === undefined ? this.stmts.listAll.all() : this.stmts.listByOwner.all(ownerId)) as RawRow[];
    return rows.map(toRow);
  }

  setStatus(id: string, status: string): void {
    this.stmts.setStatus.run(status, id);
  }

  touch(id: string, at: number): void {
    this.stmts.touch.run(at, id);
  }

  setFlags(
    id: string,
    flags: { network?: NetworkMode | undefined; pinned?: boolean | undefined; egress?: DomainRules | undefined },
  ): void {
    const bit = (v: boolean | undefined) => (v === undefined ? null : v ? 1 : 0);
    this.stmts.setFlags.run({
      id,
      network: flags.network ?? null,
      pinned: bit(flags.pinned),
      egress: rulesText(flags.egress),
    });
  }

  /** The container's own egress lists (a primary-key probe per connection: always the stored ones). */
  egressRules(id: string): DomainRules | undefined {
    const text = this.stmts.egressOf.get(id) as string | null | undefined;
    return text === undefined ? undefined : parseRules(text);
  }

  /** Containers in `status` not used since `before` (ms epoch), least recently used first. */
  idleSince(before: number, status: string): ContainerRow[] {
    return (this.stmts.idleSince.all(before, status) as RawRow[]).map(toRow);
  }

  remove(id: string): boolean {
    return this.stmts.remove.run(id).changes > 0;
  }
}
