import type { Db } from './open.js';

export interface ContainerRow {
  id: string;
  name: string;
  ownerId: string;
  runtime: string;
  template: string;
  status: string;
  createdAt: number;
  lastUsedAt: number;
}

interface RawRow {
  id: string;
  name: string;
  owner_id: string;
  runtime: string;
  template: string;
  status: string;
  created_at: number;
  last_used_at: number;
}

const toRow = (r: RawRow): ContainerRow => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  runtime: r.runtime,
  template: r.template,
  status: r.status,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export class ContainersRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at)
         VALUES (@id, @name, @ownerId, @runtime, @template, @status, @createdAt, @lastUsedAt)`,
      ),
      byId: db.prepare('SELECT * FROM containers WHERE id = ?'),
      exists: db.prepare("SELECT 1 FROM containers WHERE id = ? AND status != 'deleting'").pluck(),
      byName: db.prepare('SELECT * FROM containers WHERE owner_id = ? AND name = ?'),
      listByOwner: db.prepare('SELECT * FROM containers WHERE owner_id = ? ORDER BY created_at, id'),
      listAll: db.prepare('SELECT * FROM containers ORDER BY created_at, id'),
      setStatus: db.prepare('UPDATE containers SET status = ? WHERE id = ?'),
      touch: db.prepare('UPDATE containers SET last_used_at = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM containers WHERE id = ?'),
    };
  }

  insert(row: ContainerRow): void {
    this.stmts.insert.run(row);
  }

  get(id: string): ContainerRow | undefined {
    const r = this.stmts.byId.get(id) as RawRow | undefined;
    return r && toRow(r);
  }

  exists(id: string): boolean {
    return this.stmts.exists.get(id) !== undefined;
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

  remove(id: string): boolean {
    return this.stmts.remove.run(id).changes > 0;
  }
}
