import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** What the SDK's web-standard transport keeps per open POST (only the fields used here). */
interface StreamEntry {
  resolveJson?: (response: Response) => void;
  cleanup: () => void;
}

/**
 * The SDK's `_streamMapping` with one change: an entry of a JSON-mode POST leaves the map when its response
 * is resolved.
 *
 * Why: in SDK 1.x the JSON branch of the transport's `send()` resolves the pending response but never runs
 * the entry's cleanup, so a session keeps every JSON-mode POST it ever answered — the entry's resolver, its
 * Promise and the Response with its serialized body (~12 KB for a 4 KiB `file_read`) — until the session
 * closes (modelcontextprotocol/typescript-sdk#2559, fix #2747 not released). It was the daemon's memory
 * growth under an MCP load: a 10-connection soak retained every call's Response (heap snapshots 15 s and
 * 50 s apart: +818 Responses, +9 MB of body strings, all reachable from `sessions` → transport →
 * `_streamMapping`).
 */
export class SettlingStreamMap extends Map<string, StreamEntry> {
  override set(id: string, entry: StreamEntry): this {
    const resolve = entry.resolveJson;
    if (resolve) {
      entry.resolveJson = (response) => {
        if (super.get(id) === entry) super.delete(id);
        resolve(response);
      };
    }
    return super.set(id, entry);
  }
}

/** Puts a SettlingStreamMap in place of the transport's own map (before it has served anything). */
export function settleJsonStreams(transport: StreamableHTTPServerTransport): void {
  const web = (transport as unknown as { _webStandardTransport?: { _streamMapping?: unknown } })._webStandardTransport;
  // An SDK without the field (a later version with its own fix, or another layout): nothing to patch.
  if (!web || !(web._streamMapping instanceof Map) || web._streamMapping.size > 0) return;
  web._streamMapping = new SettlingStreamMap();
}
