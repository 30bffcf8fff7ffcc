import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The synchronous work handed to the app in one event-loop turn before the loop gets to run again. */
export const SLICE_MS = 0.5;

type Pending = [IncomingMessage, ServerResponse];

/**
 * Hands requests to `listener` in the order they arrived, in slices of at most `sliceMs` of synchronous work
 * per event-loop turn, so that a connection waiting to be accepted waits one short turn, not all the work
 * of the connections already open.
 *
 * Why: libuv (1.45 and later, so node 20 and later) accepts one connection per turn of the event loop (its
 * "don't accept() connections in a loop"), and node runs a request's handler from the socket's read, in the
 * turn its bytes arrive. Under load every open connection has a request ready in every turn, so a turn
 * handles all of them (100 connections × ~0.4 ms = ~40 ms) and a new connection waits behind as many turns
 * as connections queued before it: at the start of a 100-connection run the last connections were accepted
 * 2 s late, though the daemon answered every request it had taken in ~40 ms. Queued here instead, a turn
 * reads every ready socket, takes one waiting connection and runs half a millisecond of handlers; the rest
 * wait their turn in arrival order, new connections included. The work is the same and only its order
 * changes; bench:load measured more throughput, not less (file reads and MCP calls at 100 connections).
 *
 * Requests whose client left while they waited are dropped unseen. A listener that throws (express never
 * does) loses that request only: its socket is closed, the error is thrown again outside the queue (where the
 * process guard logs it, as it would have without the queue) and the queue goes on.
 */
export function fairDispatch(listener: RequestListener, sliceMs = SLICE_MS): RequestListener {
  const queue: (Pending | undefined)[] = [];
  let head = 0;
  let scheduled = false;
  /** Handlers run straight from the socket reads in this turn, ms: at most a slice. */
  let direct = 0;
  let turnEnds = false;
  const endTurn = () => {
    turnEnds = false;
    direct = 0;
  };

  const run = (req: IncomingMessage, res: ServerResponse) => {
    try {
      listener(req, res);
    } catch (err) {
      res.destroy();
      process.nextTick(() => {
        throw err;
      });
    }
  };

  const drain = () => {
    scheduled = false;
    const stop = performance.now() + sliceMs;
    while (head < queue.length) {
      const [req, res] = queue[head] as Pending;
      queue[head++] = undefined; // a finished request need not wait for the queue to empty to be collected
      if (!req.socket.destroyed) run(req, res);
      if (performance.now() >= stop) break;
    }
    if (head < queue.length) {
      if (head >= 1024) {
        queue.splice(0, head);
        head = 0;
      }
      scheduled = true;
      setImmediate(drain);
    } else {
      queue.length = 0;
      head = 0;
    }
  };

  return (req, res) => {
    // Perf: with nothing waiting, a request runs at once (no hop through the check phase) until the handlers
    // run so in this turn have used a slice: an idle daemon answers as it would without the queue.
    if (head === queue.length && direct < sliceMs) {
      const started = performance.now();
      run(req, res);
      direct += performance.now() - started;
      if (!turnEnds) {
        turnEnds = true;
        setImmediate(endTurn);
      }
      return;
    }
    queue.push([req, res]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
}
