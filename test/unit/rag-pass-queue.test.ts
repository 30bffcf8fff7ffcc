import { describe, expect, it } from 'vitest';
import { PassQueue } from '../../src/daemon/rag/pass-queue.js';

describe('index passes wait their turn', () => {
  it('runs at most its bound at once, and gives a freed turn to the owner with the fewest running', () => {
    const q = new PassQueue(2);
    const started: string[] = [];
    const enter = (id: string, owner: string) => q.enter(id, owner, () => started.push(id));
    expect([enter('a1', 'alice'), enter('a2', 'alice'), enter('a3', 'alice'), enter('a4', 'alice')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(enter('b1', 'bob')).toBe(false);
    expect(started).toEqual(['a1', 'a2']);
    expect(q.isWaiting('a3')).toBe(true);
    // Alice still runs a2: Bob's pass goes before her older waiting ones.
    q.leave('a1');
    expect(started).toEqual(['a1', 'a2', 'b1']);
    q.leave('b1');
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    // A waiting pass cancelled leaves the line and starts nothing.
    q.leave('a4');
    expect(q.isWaiting('a4')).toBe(false);
    q.leave('a2');
    q.leave('a3');
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(enter('a5', 'alice')).toBe(true);
  });
});
