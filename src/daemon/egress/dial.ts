import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ResolvedAddress } from '../net/address-policy.js';

/** Connection failures as the client is told them (a code, never a stack). */
export class DialError extends Error {
  constructor(
    readonly code: string,
    readonly address: string,
  ) {
    super(`cannot connect to ${address}: ${code}`);
  }
}

/**
 * Perf: what an upstream socket reads lands in this one buffer, up to 1 MiB a read, and is copied out at
 * once (so one buffer serves every socket), instead of a fresh 64 KiB buffer and a 'data' event per read:
 * a download through the tunnel then costs a fraction of the reads and callbacks.
 */
const READ_BUFFER = Buffer.allocUnsafe(1024 * 1024);

/** Where an upstream socket's bytes go once the tunnel is set up; before that they wait in `early`. */
interface Sink {
  /** Takes a chunk; false when the reader should pause until `drain`. */
  take?: (chunk: Buffer) => boolean;
  early: Buffer[];
}
const sinks = new WeakMap<net.Socket, Sink>();

function dialOne(target: ResolvedAddress, port: number, timeoutMs: number, bulk: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sink: Sink = { early: [] };
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, buf: Uint8Array) => {
        const chunk = Buffer.from(buf.subarray(0, n));
        if (sink.take) return sink.take(chunk);
        sink.early.push(chunk);
        return false; // nobody reads it yet: wait for the tunnel
      },
    };
    // An IP literal: net.connect does no lookup, so the vetted address is the one connected to.
    const socket = net.connect({
      host: target.address,
      port,
      family: target.family,
      noDelay: true,
      ...(bulk ? { onread } : {}),
    });
    if (bulk) sinks.set(socket, sink);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError('ETIMEDOUT', target.address));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(err.code ?? 'ECONNFAILED', target.address));
    });
  });
}

/**
 * Connects to the first of `addresses` that answers, trying them in order. `bulk`: the socket is only
 * ever passed to splice (a tunnel): it reads through one shared buffer and emits no 'data' events.
 */
export async function dial(
  addresses: ResolvedAddress[],
  port: number,
  timeoutMs: number,
  bulk = false,
): Promise<net.Socket> {
  let last: DialError | undefined;
  for (const a of addresses) {
    try {
      return await dialOne(a, port, timeoutMs, bulk);
    } catch (err) {
      last = err as DialError;
    }
  }
  throw last ?? new DialError('ENOADDRESS', '');
}

/** Bytes one direction of a tunnel may hold in the daemon before it stops reading the sender. */
const WINDOW = 256 * 1024;

/**
 * Copies `from` into `to` until `from` ends. Like pipe, but reading pauses only once `WINDOW` bytes wait
 * for `to` (a socket's own high-water mark is 16 KiB, less than one 64 KiB read: pipe would stop and
 * restart reading on nearly every chunk, which halves a tunnel's throughput).
 */
function pump(from: Duplex, to: Duplex): void {
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    if (to.writableLength >= WINDOW) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

/**
 * Copies two streams both ways until both have closed; `idleMs` without traffic either way ends both.
 * One side closing ends (not destroys) the other, so what is already buffered for it is still delivered;
 * an error destroys both. At most `WINDOW` bytes per direction wait in the daemon.
 */
export function splice(client: Duplex, upstream: net.Socket, idleMs: number, done: () => void): void {
  let open = 2;
  const closed = (other: Duplex) => () => {
    if (!other.destroyed) other.end();
    if (--open === 0) done();
  };
  const fail = () => {
    client.destroy();
    upstream.destroy();
  };
  upstream.setTimeout(idleMs, fail);
  client.on('error', fail);
  upstream.on('error', fail);
  client.once('close', closed(upstream));
  upstream.once('close', closed(client));
  pump(client, upstream);
  const sink = sinks.get(upstream);
  if (sink) {
    // Downloads: chunks from the upstream's onread callback (dialOne), paused past WINDOW.
    sink.take = (chunk) => {
      client.write(chunk);
      return client.writableLength < WINDOW;
    };
    client.on('drain', () => upstream.resume());
    for (const chunk of sink.early.splice(0)) client.write(chunk);
    upstream.once('end', () => client.end());
    upstream.resume();
  } else pump(upstream, client);
  client.resume();
}
