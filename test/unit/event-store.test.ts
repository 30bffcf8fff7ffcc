import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { BoundedEventStore } from '../../src/mcp/event-store.js';

const result = (id: number, text: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text }] },
});

async function replay(store: BoundedEventStore, after: string) {
  const got: string[] = [];
  await store.replayEventsAfter(after, {
    send: async (eventId) => {
      got.push(eventId);
    },
  });
  return got;
}

describe('the MCP session event store', () => {
  it('never holds more events than its count bound', async () => {
    const store = new BoundedEventStore(10, 1024 * 1024);
    for (let i = 0; i < 100; i++) {
      await store.storeEvent('s', result(i, 'x'));
      expect(store.size.events).toBeLessThanOrEqual(10);
    }
    expect(store.size.events).toBe(10);
  });

  it('never holds more bytes than its byte bound, dropping the oldest first', async () => {
    const bound = 64 * 1024;
    const store = new BoundedEventStore(1000, bound);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      ids.push(await store.storeEvent('s', result(i, 'y'.repeat(4096))));
      expect(store.size.bytes).toBeLessThanOrEqual(bound);
    }
    const kept = store.size.events;
    expect(kept).toBeGreaterThan(10);
    // The newest events are still there to replay, in order; the oldest are gone.
    expect(await replay(store, ids.at(-kept) as string)).toEqual(ids.slice(-kept + 1));
    expect(await store.getStreamIdForEventId(ids[0] as string)).toBeUndefined();
  });

  it('keeps the latest event even when it alone is over the byte bound', async () => {
    const store = new BoundedEventStore(1000, 1024);
    await store.storeEvent('s', result(1, 'a'));
    const big = await store.storeEvent('s', result(2, 'b'.repeat(4096)));
    expect(store.size.events).toBe(1);
    expect(await store.getStreamIdForEventId(big)).toBe('s');
  });
});
