import type { Db } from './open.js';

export interface UserRow {
  id: string;
  name: string;
  isAdmin: boolean;
  createdAt: number;
}

/** Users. The foundation has one: the admin who owns the bootstrap token; the auth issue adds the rest. */
export class UsersRepo {
  constructor(private readonly db: Db) {}

  ensureAdmin(id = 'admin', name = 'admin'): UserRow {
    this.db
      .prepare('INSERT OR IGNORE INTO users (id, name, is_admin, created_at) VALUES (?, ?, 1, ?)')
      .run(id, name, Date.now());
    const r = this.db.prepare('SELECT id, name, is_admin, created_at FROM users WHERE id = ?').get(id) as {
      id: string;
      name: string;
      is_admin: number;
      created_at: number;
    };
    return { id: r.id, name: r.name, isAdmin: r.is_admin === 1, createdAt: r.created_at };
  }
}
