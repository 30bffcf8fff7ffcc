import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase, PAGE_CACHE_KIB } from '../../src/daemon/db/open.js';
import { RAG_PAGE_CACHE_KIB, RagRepo } from '../../src/daemon/db/rag-repo.js';

describe('openDatabase page cache', () => {
  it("bounds the connection's page cache at SQLite's own 2 MB, not the driver's 16 MB", () => {
    const db = openDatabase(':memory:');
    try {
      expect(PAGE_CACHE_KIB).toBe(2000);
      expect(db.pragma('cache_size', { simple: true })).toBe(-2000);
    } finally {
      db.close();
    }
  });

  it('takes another size where a connection needs it (the RAG indexer keeps 16 MB)', () => {
    const db = openDatabase(':memory:', [], { pageCacheKib: 16000 });
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-16000);
    } finally {
      db.close();
    }
  });
});

describe('the RAG search connection', () => {
  it('opens on the first search with its own 16 MB cache, and closes with the service', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'disco-rag-conn-'));
    const file = path.join(dir, 'state.db');
    const db = openDatabase(file);
    const opened: Db[] = [];
    try {
      const repo = new RagRepo(db, () => {
        const c = openDatabase(file, [], { pageCacheKib: RAG_PAGE_CACHE_KIB });
        opened.push(c);
        return c;
      });
      expect(opened).toHaveLength(0); // nothing opened until a search reads
      expect(repo.reads.chunks([]).size).toBe(0);
      expect(repo.reads).toBe(repo.reads);
      expect(opened).toHaveLength(1);
      expect(opened[0]?.pragma('cache_size', { simple: true })).toBe(-16000);
      repo.closeSearch();
      expect(opened[0]?.open).toBe(false);
      // A late search reads through the main connection, opening nothing.
      expect(repo.reads.chunks([]).size).toBe(0);
      expect(opened).toHaveLength(1);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
