import { randomUUID } from 'node:crypto';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface StoredEvent {
  id: string;
  streamId: string;
  message: JSONRPCMessage;
  /** Its size as JSON (what the SSE stream carries), counted against the byte bound. */
  bytes: number;
}

/**
 * Keeps the last events of one MCP session so a client that lost its SSE stream can resume with
 * Last-Event-ID (and poll, per 2025-11-25). Bounded by count and by bytes: old events fall off. The byte
 * bound matters more: a result may be up to DISCO_RESULT_MAX_BYTES (32 KiB by default), so 1000 events alone
 * could hold 32 MB per session, times every open session.
 */
export class BoundedEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private readonly prefix = randomUUID().slice(0, 8);
  private counter = 0;
  private bytes = 0;

  constructor(
    private readonly capacity = 1000,
    private readonly capacityBytes = 2 * 1024 * 1024,
  ) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${this.prefix}-${++this.counter}`;
    const bytes = JSON.stringify(message).length;
    this.events.push({ id, streamId, message, bytes });
    this.bytes += bytes;
    let drop = 0;
    let dropped = 0;
    while (
      this.events.length - drop > 1 &&
      (this.events.length - drop > this.capacity || this.bytes - dropped > this.capacityBytes)
    ) {
      dropped += (this.events[drop] as StoredEvent).bytes;
      drop += 1;
    }
    if (drop > 0) {
      this.events.splice(0, drop);
      this.bytes -= dropped;
    }
    return id;
  }

  /** What it holds now (for tests and diagnostics). */
  get size(): { events: number; bytes: number } {
    return { events: this.events.length, bytes: this.bytes };
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.find((e) => e.id === eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const index = this.events.findIndex((e) => e.id === lastEventId);
    if (index < 0) return '';
    const streamId = (this.events[index] as StoredEvent).streamId;
    for (const e of this.events.slice(index + 1)) {
      // Empty priming events carry no message worth replaying.
      if (e.streamId === streamId && Object.keys(e.message).length > 0) await send(e.id, e.message);
    }
    return streamId;
  }
}
