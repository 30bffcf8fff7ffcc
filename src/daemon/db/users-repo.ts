import type { Db } from './open.js';

export interface UserRow {
  id: string;
  name: string;
  isAdmin: boolean;
  createdAt: number;
  email: string | null;
  githubId: number | null;
  githubLogin: string | null;
  hasPassword: boolean;
}

interface RawUser {
  id: string;
  name: string;
  is_admin: number;
  created_at: number;
  email: string | null;
  github_id: number | null;
  github_login: string | null;
  password_hash: string | null;
}

const toUser = (r: RawUser): UserRow => ({
  id: r.id,
  name: r.name,
  isAdmin: r.is_admin === 1,
  createdAt: r.created_at,
  email: r.email,
  githubId: r.github_id,
  githubLogin: r.github_login,
  hasPassword: r.password_hash !== null,
});

/** Users: local (password) users and users created from GitHub sign-in. The first user is the admin. */
export class UsersRepo {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      byId: db.prepare('SELECT * FROM users WHERE id = ?'),
      byName: db.prepare('SELECT * FROM users WHERE name = ?'),
      byGithub: db.prepare('SELECT * FROM users WHERE github_id = ?'),
      list: db.prepare('SELECT * FROM users ORDER BY created_at, id'),
      insert: db.prepare(
        `INSERT INTO users (id, name, is_admin, created_at, password_hash, email, github_id, github_login)
         VALUES (@id, @name, @isAdmin, @createdAt, @passwordHash, @email, @githubId, @githubLogin)`,
      ),
      passwordHash: db.prepare('SELECT password_hash FROM users WHERE id = ?'),
      setPassword: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      setGithub: db.prepare('UPDATE users SET github_id = ?, github_login = ?, github_token = ? WHERE id = ?'),
      githubToken: db.prepare('SELECT github_token FROM users WHERE id = ?'),
    };
  }

  ensureAdmin(id = 'admin', name = 'admin'): UserRow {
    this.db
      .prepare('INSERT OR IGNORE INTO users (id, name, is_admin, created_at) VALUES (?, ?, 1, ?)')
      .run(id, name, Date.now());
    return this.get(id) as UserRow;
  }

  get(id: string): UserRow | undefined {
    const r = this.stmts.byId.get(id) as RawUser | undefined;
    return r && toUser(r);
  }

  getByName(name: string): UserRow | undefined {
    const r = this.stmts.byName.get(name) as RawUser | undefined;
    return r && toUser(r);
  }

  getByGithubId(githubId: number): UserRow | undefined {
    const r = this.stmts.byGithub.get(githubId) as RawUser | undefined;
    return r && toUser(r);
  }

  list(): UserRow[] {
    return (this.stmts.list.all() as RawUser[]).map(toUser);
  }

  insert(u: {
    id: string;
    name: string;
    isAdmin: boolean;
    passwordHash?: string | null;
    email?: string | null;
    githubId?: number | null;
    githubLogin?: string | null;
  }): UserRow {
    this.stmts.insert.run({
      id: u.id,
      name: u.name,
      isAdmin: u.isAdmin ? 1 : 0,
      createdAt: Date.now(),
      passwordHash: u.passwordHash ?? null,
      email: u.email ?? null,
      githubId: u.githubId ?? null,
      githubLogin: u.githubLogin ?? null,
    });
    return this.get(u.id) as UserRow;
  }

  passwordHash(id: string): string | null {
    return (this.stmts.passwordHash.get(id) as { password_hash: string | null } | undefined)?.password_hash ?? null;
  }

  setPassword(id: string, hash: string): void {
    this.stmts.setPassword.run(hash, id);
  }

  /** Links a GitHub account; `encryptedToken` is already sealed (never stored in the clear). */
  setGithub(id: string, githubId: number, login: string, encryptedToken: string | null): void {
    this.stmts.setGithub.run(githubId, login, encryptedToken, id);
  }

  githubToken(id: string): string | null {
    return (this.stmts.githubToken.get(id) as { github_token: string | null } | undefined)?.github_token ?? null;
  }
}
