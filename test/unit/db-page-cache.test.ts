import { describe, expect, it } from 'vitest';
import { openDatabase, PAGE_CACHE_KIB } from '../../src/daemon/db/open.js';

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
