import { existsSync } from 'node:fs';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { type LiveDaemonRecord, liveDaemons, pidAlive } from '../shared/daemon-record.js';

/**
 * `disco mcp` beside a running `disco serve` on the same $DISCO_HOME: instead of opening a second core
 * (a second database handle and SandboxPool, so a second sandbox for a container the daemon already runs),
 * it relays MCP messages between its stdio and the daemon's `/mcp` (Streamable HTTP), authenticated with
 * the daemon's per-run local credential from its run record. Message level: requests, responses,
 * notifications (progress, cancellation, list changes) and server-to-client requests pass as they are;
 * the session is the daemon's. Loads no daemon code (test/unit/cli-imports.test.ts).
 */

/** How long the daemon gets to answer the probe (its first /mcp call may load the MCP SDK) before `disco mcp` gives up. */
const PROBE_TIMEOUT_MS = 10_000;
/** How often the relay checks the daemon is still there (its pid and its run record). */
const WATCH_MS = 500;
/** A ping now and then keeps the daemon's session from being swept as idle (30 min) while an editor waits. */
const KEEPALIVE_MS = 5 * 60_000;
const RELAY_ID = 'disco-relay-';

export interface RelayIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  /** One line on stderr (stdout is the protocol). */
  say: (line: string) => void;
}

/**
 * The daemon alive on `home` that answers, if any. A record whose pid is gone is stale and skipped (and
 * removed); so is one whose URL refuses the connection or the credential (the pid was reused). A daemon
 * that is there but does not answer is an error: opening a core beside it would split its sandboxes.
 */
export async function findDaemon(home: string): Promise<LiveDaemonRecord | undefined> {
  for (const record of await liveDaemons(home)) {
    let status: number;
    try {
      // A sessionless ping: answered by the daemon's MCP server itself, leaves no session behind.
      const res = await fetch(new URL('/mcp', record.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${record.credential}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: `${RELAY_ID}probe`, method: 'ping' }),
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await res.body?.cancel();
      status = res.status;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' && pidAlive(record.pid))
        throw new Error(`the disco daemon on ${home} (pid ${record.pid}, ${record.url}) does not answer`);
      continue; // refused: not listening any more
    }
    // 401: a daemon that is not this record's (another run, on a reused port); 404: not a Disco daemon.
    if (status !== 401 && status !== 404) return record;
  }
  return undefined;
}

const isRequest = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } =>
  'method' in m && 'id' in m && m.id !== undefined;
const isResponse = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } =>
  !('method' in m) && 'id' in m && m.id !== undefined;

/**
 * Relays until the client closes stdin (resolves 0) or the daemon goes away (says so, resolves 1: the
 * client starts `disco mcp` again, which then runs in-process or finds the new daemon). Never waits on a
 * daemon that is gone: its pid and run record are watched, and a request it can no longer answer gets an
 * error response.
 */
export async function relayToDaemon(daemon: LiveDaemonRecord, io: RelayIo): Promise<number> {
  const local = new StdioServerTransport(io.stdin as NodeJS.ReadStream, io.stdout as NodeJS.WriteStream);
  const upstream = new StreamableHTTPClientTransport(new URL('/mcp', daemon.url), {
    requestInit: { headers: { authorization: `Bearer ${daemon.credential}` } },
    reconnectionOptions: {
      initialReconnectionDelay: 500,
      maxReconnectionDelay: 2000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 2,
    },
  });
  let initializeId: RequestId | undefined;
  let pings = 0;
  let ended = false;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const finish = (code: number) => {
    ended = true;
    resolveDone(code);
  };
  const gone = (why: string) => {
    if (ended) return; // said once, whoever noticed first (the watch, a failed send, the SSE stream)
    io.say(`disco mcp: ${why}; exiting so the client can start it again`);
    finish(1);
  };
  const daemonGone = () => !pidAlive(daemon.pid) || !existsSync(daemon.file);

  const failed = (message: JSONRPCMessage, err: unknown) => {
    const code = (err as { code?: number }).code;
    if (isRequest(message) && !String(message.id).startsWith(RELAY_ID)) {
      local
        .send({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32603, message: `the disco daemon did not answer: ${(err as Error).message}` },
        })
        .catch(() => {});
    }
    if (code === 404 && upstream.sessionId) gone(`the disco daemon at ${daemon.url} ended this session`);
    else if (daemonGone() || code === undefined) gone(`the disco daemon at ${daemon.url} went away`);
  };

  local.onmessage = (message) => {
    if (isRequest(message) && message.method === 'initialize') initializeId = message.id;
    upstream.send(message).catch((err: unknown) => failed(message, err));
  };
  upstream.onmessage = (message) => {
    if (isResponse(message)) {
      if (String(message.id).startsWith(RELAY_ID)) return; // the relay's own keep-alive ping
      if (message.id === initializeId && 'result' in message) {
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === 'string') upstream.setProtocolVersion(version);
      }
    }
    local.send(message).catch(() => finish(0));
  };
  upstream.onerror = () => {
    if (daemonGone()) gone(`the disco daemon at ${daemon.url} went away`);
  };
  local.onclose = () => finish(0);
  local.onerror = () => {};
  io.stdin.once('end', () => finish(0));
  const onSignal = () => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const watch = setInterval(() => {
    if (daemonGone()) gone(`the disco daemon at ${daemon.url} (pid ${daemon.pid}) went away`);
  }, WATCH_MS);
  const keepAlive = setInterval(() => {
    if (!upstream.sessionId) return;
    const ping: JSONRPCMessage = { jsonrpc: '2.0', id: `${RELAY_ID}${++pings}`, method: 'ping' };
    upstream.send(ping).catch((err: unknown) => failed(ping, err));
  }, KEEPALIVE_MS);
  keepAlive.unref();

  await upstream.start();
  await local.start();
  const code = await done;
  clearInterval(watch);
  clearInterval(keepAlive);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // A clean end closes the daemon's session at once rather than leaving it to the idle sweep.
  if (code === 0 && upstream.sessionId) await bounded(upstream.terminateSession());
  await bounded(upstream.close());
  await local.close().catch(() => {});
  return code;
}

/** Waits for a clean-up step at most a moment: a daemon that stopped answering must not hold the exit. */
function bounded(step: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    step.then(
      () => resolve(),
      () => resolve(),
    );
    step.finally(() => clearTimeout(timer)).catch(() => {});
  });
}
